// What production sees of a simulated drive, and what it makes of it: a GPS fix every `everyS` seconds with noise,
// filtered as ingest filters them (core filterFix), run through the engine with the trip's context (core stepMany,
// one batch per report, as the engine runner does), and the engine's events through the live side's ETA step
// (src/live/trip-eta.ts). Each report yields a frame: the moment, the live ETA state and the engine's own view
// (latest trip.progress, latest stop event). The drive's true times never enter a frame.
import type { TripContext } from '../../../src/core/context';
import { stepMany } from '../../../src/core/engine';
import type { EngineEvent, ProgressEvent } from '../../../src/core/events';
import { createFilterState, filterFix } from '../../../src/core/filters';
import type { Fix } from '../../../src/core/fix';
import { createState } from '../../../src/core/state';
import type { RoutePath } from '../../../src/demo/route-motion';
import type { EtaStop, RouteProfile, StopHistoryEvent } from '../../../src/live/eta';
import { advanceTripEtaAll, createTripEta, type TripEtaState } from '../../../src/live/trip-eta';
import { type Drive, gauss, type Rand } from './world';

export interface Frame {
  nowMs: number;
  /** the live side's ETA state after this report (what it publishes) */
  eta: TripEtaState;
  /** the engine's latest trip.progress (null before the trip started) */
  progress: ProgressEvent | null;
  /** the engine's latest arrival or departure */
  lastStop: { idx: number; kind: 'arrived' | 'departed'; atMs: number } | null;
}

export interface ObserveOptions {
  ctx: TripContext;
  path: RoutePath;
  stops: readonly EtaStop[];
  profile?: RouteProfile;
  /** seconds between reports */
  everyS: number;
  /** horizontal RMS error of a fix, metres (a 2-D Gaussian) */
  noiseM: number;
  rand: Rand;
  /** id under which this drive's stop events go into the history */
  tripId: number;
}

const M_PER_DEG = 111_320;

/** Runs one drive through production's path; calls `onFrame` after every report. Returns the stop events stored. */
export function observe(drive: Drive, o: ObserveOptions, onFrame?: (f: Frame) => void): StopHistoryEvent[] {
  const sigmaM = o.noiseM / Math.SQRT2; // per axis
  const idxOf = new Map(o.stops.map((s, i) => [s.id, i]));
  const history: StopHistoryEvent[] = [];
  let engine = createState();
  let filter = createFilterState();
  let eta = createTripEta(o.stops, { profile: o.profile });
  let progress: ProgressEvent | null = null;
  let lastStop: Frame['lastStop'] = null;
  const phaseS = Math.floor(o.rand() * o.everyS);
  for (let s = phaseS; s < drive.alongM.length; s += o.everyS) {
    const timeMs = drive.startMs + s * 1000;
    const p = o.path.at(drive.alongM[s]!);
    const speed = drive.speedMps[s]!;
    const fix: Fix = {
      deviceId: 'eval',
      protocol: 'json',
      timeMs,
      receivedMs: timeMs,
      lat: p.lat + (gauss(o.rand) * sigmaM) / M_PER_DEG,
      lon: p.lon + (gauss(o.rand) * sigmaM) / (M_PER_DEG * Math.cos((p.lat * Math.PI) / 180)),
      speedKph: speed === 0 ? 0 : Math.max(0, Math.round((speed * 3.6 + gauss(o.rand)) * 10) / 10),
      headingDeg: Math.round(p.headingDeg) % 360,
      valid: true,
      alarms: [],
      attributes: {},
    };
    const v = filterFix(filter, fix, o.ctx.config.filters, timeMs);
    filter = v.state;
    let events: EngineEvent[] = [];
    if (v.verdict.ok) {
      const r = stepMany(engine, [{ type: 'fix', fix, late: v.verdict.late }], o.ctx);
      engine = r.state;
      events = r.events;
    }
    eta = advanceTripEtaAll(eta, events);
    for (const e of events) {
      if (e.type === 'trip.progress') progress = e;
      else if (e.type === 'stop.arrived' || e.type === 'stop.departed' || e.type === 'stop.missed') {
        const idx = idxOf.get(e.stopId);
        if (idx === undefined) continue;
        const kind = e.type === 'stop.arrived' ? 'arrived' : e.type === 'stop.departed' ? 'departed' : 'missed';
        const atMs = kind === 'arrived' ? (e.arrivedMs ?? e.timeMs) : (e.departedMs ?? e.timeMs);
        // As the engine runner stores them in stop_events.
        history.push({
          tripId: o.tripId,
          stopId: e.stopId,
          kind,
          timeMs: atMs,
          dwellS: e.dwellS == null ? null : Math.round(e.dwellS),
        });
        if (kind !== 'missed') lastStop = { idx, kind, atMs };
      }
    }
    onFrame?.({ nowMs: timeMs, eta, progress, lastStop });
  }
  return history;
}
