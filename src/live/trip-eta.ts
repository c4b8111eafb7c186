// One trip's ETA tracking, advanced by engine events. Pure: a state and an event in, the next state out.
//
// The engine says where the bus is (trip.progress: progress along the route, the stop it is dwelling at, the stops
// not yet served) and when it reaches, leaves or passes a stop (stop.arrived / departed / missed); nothing is
// re-derived here. Each trip.progress updates today's pace and estimates every stop still ahead (./eta.ts); a stop
// event only prunes that list (a stop leaves it once departed or passed; the stop the bus is at stays, due now).
// The live service (./service.ts) publishes what this returns; scripts (replay --eta, eval:eta) run the same steps.
import type { EngineEvent, ProgressEvent, StopEvent } from '../core/events';
import {
  estimateEtas,
  etasChanged,
  type EtaStop,
  initialPace,
  initialRunPace,
  type PaceState,
  type RouteProfile,
  type RunPace,
  type StopEtaResult,
  updatePace,
  updateRunPace,
} from './eta';

/** The ETA list as the live side publishes it. */
export interface PublishedEta {
  /** time of the trip.progress the list was computed at */
  computedMs: number;
  progressM: number;
  /** the stop the bus is dwelling at: first in `stops`, due now, until it departs */
  atStopId: string | null;
  /** the stop being served (if any), then every stop still ahead, in route order */
  stops: StopEtaResult[];
}

export interface TripEtaState {
  readonly stops: readonly EtaStop[];
  /** learned from earlier trips of the route; none on a route's first trips */
  readonly profile?: RouteProfile;
  /** an ETA message goes out again when any stop's estimate moved by more than this since the last one */
  readonly pushThresholdS: number;
  readonly pace: PaceState;
  /** today's running times between stops against the learned ones */
  readonly runPace: RunPace;
  /** first stop not yet arrived at or passed */
  readonly nextIdx: number;
  readonly atStop: { readonly idx: number; readonly arrivedMs: number } | null;
  /** the live list (null before the first trip.progress) */
  readonly published: PublishedEta | null;
  /** the list of the last ETA message */
  readonly lastPushed: readonly StopEtaResult[] | null;
  /** whether the event just applied sends an ETA message (a trip.progress that moved some stop enough) */
  readonly pushed: boolean;
}

export function createTripEta(
  stops: readonly EtaStop[],
  opts: { profile?: RouteProfile; pushThresholdS?: number } = {},
): TripEtaState {
  return {
    stops,
    profile: opts.profile,
    pushThresholdS: opts.pushThresholdS ?? 10,
    pace: initialPace(),
    runPace: initialRunPace(),
    nextIdx: 0,
    atStop: null,
    published: null,
    lastPushed: null,
    pushed: false,
  };
}

/** The route profile arrived (it is loaded while the trip's first events wait). */
export function withProfile(state: TripEtaState, profile: RouteProfile | undefined): TripEtaState {
  return { ...state, profile };
}

/** Applies one engine event; events that do not concern the ETA leave the state as it is (with `pushed` false). */
export function advanceTripEta(state: TripEtaState, e: EngineEvent): TripEtaState {
  switch (e.type) {
    case 'trip.progress':
      return onProgress(state, e);
    case 'stop.arrived':
    case 'stop.departed':
    case 'stop.missed':
      return onStop(state, e);
    default:
      return state.pushed ? { ...state, pushed: false } : state;
  }
}

/** Applies events in order; `pushed` tells whether any of them sent an ETA message. */
export function advanceTripEtaAll(state: TripEtaState, events: readonly EngineEvent[]): TripEtaState {
  let s = state;
  let pushed = false;
  for (const e of events) {
    s = advanceTripEta(s, e);
    pushed ||= s.pushed;
  }
  return s.pushed === pushed ? s : { ...s, pushed };
}

const indexOf = (stops: readonly EtaStop[], id: string | null | undefined) =>
  id == null ? -1 : stops.findIndex((s) => s.id === id);

function onStop(state: TripEtaState, e: StopEvent): TripEtaState {
  const idx = indexOf(state.stops, e.stopId);
  if (idx < 0) return state.pushed ? { ...state, pushed: false } : state;
  let atStop = state.atStop;
  let runPace = state.runPace;
  if (e.type === 'stop.arrived') {
    atStop = { idx, arrivedMs: e.arrivedMs ?? e.timeMs };
    runPace = updateRunPace(runPace, 'arrived', idx, atStop.arrivedMs, state.stops, state.profile);
  } else if (e.type === 'stop.departed')
    runPace = updateRunPace(runPace, 'departed', idx, e.departedMs ?? e.timeMs, state.stops, state.profile);
  if (e.type === 'stop.departed' && atStop?.idx === idx) atStop = null;
  const nextIdx = Math.max(state.nextIdx, idx + 1);
  let published = state.published;
  if (published) {
    // A stop leaves the list only once departed or passed: the stop the bus is at stays (due now).
    const at = atStop?.idx ?? -1;
    const stops = published.stops.filter((s) => {
      const i = indexOf(state.stops, s.stopId);
      return i >= nextIdx || i === at;
    });
    published = { ...published, atStopId: at >= 0 ? state.stops[at]!.id : null, stops };
  }
  return { ...state, atStop, runPace, nextIdx, published, pushed: false };
}

function onProgress(state: TripEtaState, e: ProgressEvent): TripEtaState {
  const { stops, profile } = state;
  // The engine says which stop the bus is at and which remain.
  const remaining = e.remainingStopIds ?? (e.nextStopId == null ? [] : [e.nextStopId]);
  const atIdx = indexOf(stops, e.atStopId);
  const firstAhead = remaining.find((id) => id !== e.atStopId);
  const next = firstAhead == null ? stops.length : indexOf(stops, firstAhead);
  const nextIdx = next >= 0 ? next : state.nextIdx;
  let atStop = state.atStop;
  if (atIdx < 0) atStop = null;
  else if (atStop?.idx !== atIdx) atStop = { idx: atIdx, arrivedMs: e.timeMs };
  const pace = updatePace(state.pace, e.progressM, e.timeMs, stops, profile);
  const results = estimateEtas({
    stops,
    nextIdx,
    progressM: e.progressM,
    nowMs: e.timeMs,
    pace,
    profile,
    atStop,
    // Segment running times compare only with learned ones: without a profile the moving pace answers.
    runPace: profile && profile.trips > 0 ? state.runPace : undefined,
  });
  const published: PublishedEta = {
    computedMs: e.timeMs,
    progressM: e.progressM,
    atStopId: atStop ? stops[atStop.idx]!.id : null,
    stops: results,
  };
  const pushed = etasChanged(state.lastPushed ?? undefined, results, state.pushThresholdS);
  return { ...state, pace, nextIdx, atStop, published, lastPushed: pushed ? results : state.lastPushed, pushed };
}
