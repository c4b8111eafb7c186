// The safety engine for one bus: (state, input, context) → { state, events }.
// Pure: no I/O, no clock reads. step never modifies its input state; stepInPlace is the explicit
// mutating variant (it updates the top-level fields of the state it is given) for hot loops that
// own their state. Both run the same code, so they give the same events and the same state.
//
// Copy-on-write is at the level of the sub-states: the rules return their sub-state unchanged (the
// same object) when nothing changed and a new object otherwise; they never modify one in place, so
// a state returned by step may share sub-states with its input, and stepInPlace may be applied to a
// state that shares sub-states with older snapshots without disturbing them.
//
// Ordering: inputs are expected in time order (the bus's lane takes them one at a time, in arrival
// order). A fix older than the newest one taken is "late": it feeds only the rules that
// are about a single moment (SOS) and blind-area re-classification of an offline gap; it never
// moves progress or the sustained-duration rules backwards.
import type { TripContext } from './context';
import type { EventSink } from './episodes';
import type { EngineEvent, Position } from './events';
import type { Fix } from './fix';
import type { FixFrame } from './frame';
import { projectX, projectY } from './geo/projection';
import type { EngineInput } from './inputs';
import { attendantOnTripStart, leftOnBoardOnTripEnd } from './rules/attendant';
import { deviceClose, deviceOnBlindArea, deviceOnSeen, deviceOnTick, tamperOnFix } from './rules/device-monitor';
import { driverClose, driverOnCard, driverOnTripStart, noDriverOnFix } from './rules/driver-credentials';
import { emergencyOnAlarm, emergencyOnClear, hasEmergency } from './rules/emergency';
import { fatigueClose, fatigueFor, fatigueOnDriverChange, fatigueOnFix, fatigueOnTick } from './rules/fatigue';
import { offStopOnBoarding, offStopOnFix } from './rules/off-stop-boarding';
import { riderCheckOnBoarding } from './rules/rider-check';
import { capacityOnBoarding, onboardCount } from './rules/over-capacity';
import { overspeedClose, overspeedOnFix } from './rules/overspeed';
import { deviationOnFix } from './rules/route-deviation';
import { type PrevFix, stopsOnFix, type StopsState } from './rules/stops';
import { unlicensedOnTripStart } from './rules/unlicensed-bus';
import { closeEpisode } from './episodes';
import { cloneState, sameTopLevel, type EngineState } from './state';
import { locateOnRoute, type RouteMatch, shouldAutoStartTrip } from './trip-matching';

export interface StepResult {
  state: EngineState;
  events: EngineEvent[];
}

/**
 * One input for one bus. Never modifies `state`: returns the next state (the same object when the
 * input changed nothing) and the events. Unchanged sub-states are shared with the input state.
 */
export function step(state: EngineState, input: EngineInput, ctx: TripContext): StepResult {
  const events: EngineEvent[] = [];
  const next = cloneState(state);
  stepInPlace(next, input, ctx, events);
  return { state: sameTopLevel(next, state) ? state : next, events };
}

/**
 * Runs inputs in order from `state` (not modified); identical to calling step for each. Copies the
 * top level of the state once and runs the inputs in place on the copy.
 */
export function stepMany(state: EngineState, inputs: Iterable<EngineInput>, ctx: TripContext): StepResult {
  const events: EngineEvent[] = [];
  const next = cloneState(state);
  for (const input of inputs) stepInPlace(next, input, ctx, events);
  return { state: sameTopLevel(next, state) ? state : next, events };
}

/**
 * The mutating variant of step, for callers that own the state (one state object per bus, updated
 * input after input): assigns the changed top-level fields of `state` and appends the events to
 * `events`. Afterwards `state` equals what step(state, input, ctx).state would have been and the
 * appended events equal its events.
 *
 * Only the top-level object is modified. Sub-states (trip, last, progress, the rule states,
 * episodes) are replaced, never modified, so snapshots that share them (earlier step results, a
 * cloneState copy) stay intact. Do not use on a state someone else still reads as a value.
 */
export function stepInPlace(state: EngineState, input: EngineInput, ctx: TripContext, events: EngineEvent[]): void {
  const sink: EventSink = { ctx, driverId: state.driver.onDutyId, events };
  const s = state;
  switch (input.type) {
    case 'fix':
      onFix(s, input.fix, input.late === true, ctx, sink);
      return;
    case 'tripStart':
      if (s.trip.status === 'planned') startTrip(s, input.timeMs, 'explicit', ctx, sink);
      return;
    case 'tripEnd':
      if (s.trip.status === 'active') endTrip(s, input.timeMs, input.sweepConfirmed, ctx, sink);
      return;
    case 'heartbeat':
      if (s.trip.status === 'ended') return;
      s.lastSeenMs = Math.max(s.lastSeenMs ?? input.timeMs, input.timeMs);
      s.device = deviceOnSeen(s.device, input.timeMs, sink);
      return;
    case 'driverCard': {
      if (s.trip.status === 'ended') return;
      const driver = driverOnCard(s.driver, input, ctx, sink, s.trip.status === 'active');
      sink.driverId = driver.onDutyId;
      const fatigue = input.inserted
        ? fatigueOnDriverChange(s.fatigue, driver.onDutyId, input.timeMs, sink)
        : s.fatigue;
      s.driver = driver;
      s.fatigue = fatigue;
      return;
    }
    case 'boarding': {
      // Who got on where is checked even for records synced after the trip ended.
      s.riders = riderCheckOnBoarding(s.riders, input, ctx, sink);
      if (s.trip.status === 'ended') return;
      s.boarding = capacityOnBoarding(s.boarding, input, ctx, sink);
      if (s.trip.status === 'active') offStopOnBoarding(input, ctx, sink);
      return;
    }
    case 'alarm': {
      if (s.trip.status !== 'active' || !hasEmergency(input.alarms, ctx)) return;
      const pos = input.lat !== undefined && input.lon !== undefined ? { lat: input.lat, lon: input.lon } : undefined;
      s.emergency = emergencyOnAlarm(s.emergency, input.timeMs, input.source ?? 'alarm', ctx, sink, pos);
      return;
    }
    case 'tick': {
      if (s.trip.status !== 'active') return;
      const device = deviceOnTick(s.device, s.lastSeenMs, input.nowMs, s.trip.startedMs!, ctx, sink);
      const fatigue = fatigueOnTick(s.fatigue, input.nowMs, ctx, sink);
      s.device = device;
      s.fatigue = fatigue;
      return;
    }
  }
}

function startTrip(s: EngineState, timeMs: number, mode: 'explicit' | 'auto', ctx: TripContext, sink: EventSink): void {
  sink.events.push({ type: 'trip.started', timeMs, busId: ctx.busId, tripId: ctx.tripId, routeId: ctx.routeId, mode });
  const driver = driverOnTripStart(s.driver, timeMs, ctx, sink);
  sink.driverId = driver.onDutyId;
  const unlicensed = unlicensedOnTripStart(timeMs, ctx, sink);
  const noAttendant = attendantOnTripStart(timeMs, ctx, sink);
  s.trip = { status: 'active', startedMs: timeMs, endedMs: null, mode };
  s.driver = driver;
  if (s.fatigue.driverId !== driver.onDutyId) {
    // The driver's block from earlier trips today continues (nothing of this trip is accumulated before its start).
    s.fatigue =
      s.fatigue.drivingSinceMs === null
        ? fatigueFor(driver.onDutyId, timeMs, ctx)
        : { ...s.fatigue, driverId: driver.onDutyId };
  }
  s.unlicensed = unlicensed;
  s.noAttendant = noAttendant;
  s.lastSeenMs = s.lastSeenMs ?? timeMs;
}

function endTrip(
  s: EngineState,
  timeMs: number,
  sweepConfirmed: boolean | undefined,
  ctx: TripContext,
  sink: EventSink,
): void {
  const pos: Position | undefined = s.last ? { lat: s.last.lat, lon: s.last.lon } : undefined;
  const overspeed = overspeedClose(s.overspeed, timeMs, sink, pos);
  if (s.deviation.open) closeEpisode(sink, s.deviation.open, timeMs, timeMs, pos);
  if (s.offStop.doorOpen) closeEpisode(sink, s.offStop.doorOpen, timeMs, timeMs, pos);
  if (s.boarding.open) closeEpisode(sink, s.boarding.open, timeMs, timeMs, pos);
  const fatigue = fatigueClose(s.fatigue, timeMs, sink);
  const driver = driverClose(s.driver, timeMs, sink);
  const device = deviceClose(s.device, timeMs, sink);
  emergencyOnClear(s.emergency, timeMs, sink, pos);
  if (s.unlicensed) closeEpisode(sink, s.unlicensed, timeMs, timeMs);
  if (s.noAttendant) closeEpisode(sink, s.noAttendant, timeMs, timeMs);
  leftOnBoardOnTripEnd(timeMs, onboardCount(s.boarding), sweepConfirmed, sink);
  sink.events.push({ type: 'trip.ended', timeMs, busId: ctx.busId, tripId: ctx.tripId, routeId: ctx.routeId });
  s.trip = { status: 'ended', startedMs: s.trip.startedMs, endedMs: timeMs, mode: s.trip.mode };
  s.overspeed = overspeed;
  s.deviation = { run: null, open: null };
  s.offStop = { doorOpen: null };
  s.boarding = { ...s.boarding, open: null };
  s.fatigue = fatigue;
  s.driver = driver;
  s.device = device;
  s.emergency = null;
  s.unlicensed = null;
  s.noAttendant = null;
}

// Per-fix scratch: read right after it is written, never kept.
const matchScratch: RouteMatch = { alongM: null, distanceM: 0 };

function onFix(s: EngineState, fix: Fix, markedLate: boolean, ctx: TripContext, sink: EventSink): void {
  if (s.trip.status === 'ended') return;
  const route = ctx.route;
  const proj = route.geometry.projection;
  const x = projectX(proj, fix.lon);
  const y = projectY(proj, fix.lat);
  const timeMs = fix.timeMs;
  const position: Position = { lat: fix.lat, lon: fix.lon };
  const last = s.last;
  const late = markedLate || (last !== null && timeMs <= last.timeMs);

  if (late) {
    onLateFix(s, fix, x, y, position, ctx, sink);
    return;
  }

  const dtS = last ? (timeMs - last.timeMs) / 1000 : 0;
  const stepM = last ? Math.sqrt((x - last.x) * (x - last.x) + (y - last.y) * (y - last.y)) : 0;
  let speedKph: number | null = null;
  let speedSource: FixFrame['speedSource'] = null;
  if (fix.speedKph !== undefined && Number.isFinite(fix.speedKph)) {
    speedKph = fix.speedKph;
    speedSource = 'gps';
  } else if (last && dtS > 0) {
    speedKph = (stepM / dtS) * 3.6;
    speedSource = 'derived';
  }
  const progress = s.progress;
  const match = locateOnRoute(route.geometry, x, y, progress.alongM, dtS, ctx.config, matchScratch);
  const newLast = { timeMs, lat: fix.lat, lon: fix.lon, x, y, speedKph };

  if (s.trip.status === 'planned') {
    const auto =
      ctx.autoStart !== false &&
      shouldAutoStartTrip(
        {
          timeMs,
          speedKph,
          distanceToRouteM: match.distanceM,
          plannedStartMs: ctx.plannedStartMs,
          plannedEndMs: ctx.plannedEndMs,
        },
        ctx.config.tripStart,
      );
    if (!auto) {
      s.last = newLast;
      s.progress = { alongM: match.alongM, distanceM: match.distanceM, emittedMs: progress.emittedMs };
      if (!isStoredFix(fix, ctx)) s.lastSeenMs = timeMs;
      return;
    }
    startTrip(s, timeMs, 'auto', ctx, sink);
  }

  const frame: FixFrame = {
    fix,
    timeMs,
    x,
    y,
    position,
    speedKph,
    speedSource,
    dtS,
    stepM,
    alongM: match.alongM,
    distanceM: match.distanceM,
    onboard: onboardCount(s.boarding),
  };

  const stored = isStoredFix(fix, ctx);
  let device = stored ? deviceOnBlindArea(s.device, frame, sink) : deviceOnSeen(s.device, timeMs, sink, position);
  device = tamperOnFix(device, frame, ctx, sink);
  let emergency = s.emergency;
  if (hasEmergency(fix.alarms, ctx)) emergency = emergencyOnAlarm(emergency, timeMs, 'fix', ctx, sink, position);
  else if (emergency && !stored) emergency = emergencyOnClear(emergency, timeMs, sink, position);

  const overspeed = overspeedOnFix(s.overspeed, frame, ctx, sink);
  const deviation = deviationOnFix(s.deviation, frame, ctx, sink);
  const offStop = offStopOnFix(s.offStop, frame, ctx, sink);
  const fatigue = fatigueOnFix(s.fatigue, frame, ctx, sink);
  const driver = noDriverOnFix(s.driver, frame, ctx, sink);
  const prev: PrevFix | null = last
    ? {
        timeMs: last.timeMs,
        x: last.x,
        y: last.y,
        alongM: progress.alongM,
        distanceM: progress.distanceM,
        speedKph: last.speedKph ?? null,
      }
    : null;
  const stops = stopsOnFix(s.stops, frame, ctx, sink, prev);

  let emittedMs = progress.emittedMs;
  const emitProgress =
    match.alongM !== null &&
    (emittedMs === null ||
      timeMs - emittedMs >= ctx.config.progress.emitEveryS * 1000 ||
      stops.nextIdx !== s.stops.nextIdx ||
      stops.atIdx !== s.stops.atIdx);
  if (emitProgress) {
    emittedMs = timeMs;
    const lengthM = route.geometry.lengthM;
    const nextStop = route.stops[stops.nextIdx];
    sink.events.push({
      type: 'trip.progress',
      timeMs,
      busId: ctx.busId,
      tripId: ctx.tripId,
      routeId: ctx.routeId,
      progressM: match.alongM!,
      fraction: lengthM > 0 ? Math.min(1, match.alongM! / lengthM) : 0,
      distanceFromRouteM: match.distanceM,
      speedKph,
      position,
      nextStopId: nextStop ? nextStop.id : null,
      atStopId: stops.atIdx !== null ? route.stops[stops.atIdx]!.id : null,
      remainingStopIds: remainingStopIds(route.stops, stops),
    });
  }

  s.last = newLast;
  if (!stored) s.lastSeenMs = timeMs;
  // A stored fix is history at its own time, but the device was in contact when it arrived.
  else if (fix.receivedMs !== undefined) s.lastSeenMs = Math.max(s.lastSeenMs ?? fix.receivedMs, fix.receivedMs);
  s.progress = { alongM: match.alongM, distanceM: match.distanceM, emittedMs };
  s.device = device;
  s.emergency = emergency;
  s.overspeed = overspeed;
  s.deviation = deviation;
  s.offStop = offStop;
  s.fatigue = fatigue;
  s.driver = driver;
  s.stops = stops;
}

/**
 * Stored and uploaded later: JT/T 808 blind-area upload, or any fix (phone app, partner system) whose device time is
 * well behind the time it was received. Such a fix is history, not a sign of life at its own time.
 */
export function isStoredFix(fix: Fix, ctx: TripContext): boolean {
  if (fix.blindArea === true) return true;
  return fix.receivedMs !== undefined && fix.receivedMs - fix.timeMs >= ctx.config.device.backfillLagS * 1000;
}

/** Stops not yet served: the one the bus is at, then those not yet arrived at or passed. */
export function remainingStopIds(stops: ReadonlyArray<{ id: string }>, st: StopsState): string[] {
  const out: string[] = [];
  if (st.atIdx !== null) out.push(stops[st.atIdx]!.id);
  for (let i = st.nextIdx; i < stops.length; i++) out.push(stops[i]!.id);
  return out;
}

function onLateFix(
  s: EngineState,
  fix: Fix,
  x: number,
  y: number,
  position: Position,
  ctx: TripContext,
  sink: EventSink,
): void {
  if (s.trip.status !== 'active') return;
  if (isStoredFix(fix, ctx)) {
    const frame = { fix, timeMs: fix.timeMs, x, y, position } as FixFrame;
    s.device = deviceOnBlindArea(s.device, frame, sink);
  }
  if (hasEmergency(fix.alarms, ctx))
    s.emergency = emergencyOnAlarm(s.emergency, fix.timeMs, 'fix', ctx, sink, position);
}
