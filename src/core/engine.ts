// The safety engine for one bus: (state, input, context) → { state, events }.
// Pure: no I/O, no clock reads; the input state is never modified.
//
// Ordering: inputs are expected in time order (the pipeline's filters sort small disorder with a
// reorder buffer). A fix older than the newest one taken is "late": it feeds only the rules that
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
import { fatigueClose, fatigueOnDriverChange, fatigueOnFix, fatigueOnTick } from './rules/fatigue';
import { offStopOnBoarding, offStopOnFix } from './rules/off-stop-boarding';
import { capacityOnBoarding, onboardCount } from './rules/over-capacity';
import { overspeedClose, overspeedOnFix } from './rules/overspeed';
import { deviationOnFix } from './rules/route-deviation';
import { stopsOnFix } from './rules/stops';
import { unlicensedOnTripStart } from './rules/unlicensed-bus';
import { closeEpisode } from './episodes';
import type { EngineState } from './state';
import { locateOnRoute, shouldAutoStartTrip } from './trip-matching';

export interface StepResult {
  state: EngineState;
  events: EngineEvent[];
}

function tripRef(ctx: TripContext, timeMs: number) {
  return { timeMs, busId: ctx.busId, tripId: ctx.tripId, routeId: ctx.routeId };
}

export function step(state: EngineState, input: EngineInput, ctx: TripContext): StepResult {
  const sink: EventSink = { ctx, driverId: state.driver.onDutyId, events: [] };
  let next: EngineState;
  switch (input.type) {
    case 'fix':
      next = onFix(state, input.fix, input.late === true, ctx, sink);
      break;
    case 'tripStart':
      next = state.trip.status === 'planned' ? startTrip(state, input.timeMs, 'explicit', ctx, sink) : state;
      break;
    case 'tripEnd':
      next = state.trip.status === 'active' ? endTrip(state, input.timeMs, input.sweepConfirmed, ctx, sink) : state;
      break;
    case 'heartbeat':
      next = state.trip.status === 'ended' ? state : { ...state, lastSeenMs: Math.max(state.lastSeenMs ?? input.timeMs, input.timeMs), device: deviceOnSeen(state.device, input.timeMs, sink) };
      break;
    case 'driverCard': {
      if (state.trip.status === 'ended') return { state, events: [] };
      const driver = driverOnCard(state.driver, input, ctx, sink, state.trip.status === 'active');
      sink.driverId = driver.onDutyId;
      const fatigue = input.inserted ? fatigueOnDriverChange(state.fatigue, driver.onDutyId, input.timeMs, sink) : state.fatigue;
      next = { ...state, driver, fatigue };
      break;
    }
    case 'boarding': {
      if (state.trip.status === 'ended') return { state, events: [] };
      const boarding = capacityOnBoarding(state.boarding, input, ctx, sink);
      if (state.trip.status === 'active') offStopOnBoarding(input, ctx, sink);
      next = { ...state, boarding };
      break;
    }
    case 'alarm': {
      if (state.trip.status !== 'active' || !hasEmergency(input.alarms, ctx)) return { state, events: [] };
      const pos = input.lat !== undefined && input.lon !== undefined ? { lat: input.lat, lon: input.lon } : undefined;
      next = { ...state, emergency: emergencyOnAlarm(state.emergency, input.timeMs, input.source ?? 'alarm', ctx, sink, pos) };
      break;
    }
    case 'tick': {
      if (state.trip.status !== 'active') return { state, events: [] };
      const device = deviceOnTick(state.device, state.lastSeenMs, input.nowMs, state.trip.startedMs!, ctx, sink);
      const fatigue = fatigueOnTick(state.fatigue, input.nowMs, ctx, sink);
      next = device === state.device && fatigue === state.fatigue ? state : { ...state, device, fatigue };
      break;
    }
  }
  return { state: next, events: sink.events };
}

/** Runs inputs in order; identical to calling step for each. */
export function stepMany(state: EngineState, inputs: Iterable<EngineInput>, ctx: TripContext): StepResult {
  const events: EngineEvent[] = [];
  let s = state;
  for (const input of inputs) {
    const r = step(s, input, ctx);
    s = r.state;
    for (const e of r.events) events.push(e);
  }
  return { state: s, events };
}

function startTrip(state: EngineState, timeMs: number, mode: 'explicit' | 'auto', ctx: TripContext, sink: EventSink): EngineState {
  sink.events.push({ type: 'trip.started', ...tripRef(ctx, timeMs), mode });
  const driver = driverOnTripStart(state.driver, timeMs, ctx, sink);
  sink.driverId = driver.onDutyId;
  const unlicensed = unlicensedOnTripStart(timeMs, ctx, sink);
  const noAttendant = attendantOnTripStart(timeMs, ctx, sink);
  return {
    ...state,
    trip: { status: 'active', startedMs: timeMs, endedMs: null, mode },
    driver,
    fatigue: state.fatigue.driverId === driver.onDutyId ? state.fatigue : { ...state.fatigue, driverId: driver.onDutyId },
    unlicensed,
    noAttendant,
    lastSeenMs: state.lastSeenMs ?? timeMs,
  };
}

function endTrip(state: EngineState, timeMs: number, sweepConfirmed: boolean | undefined, ctx: TripContext, sink: EventSink): EngineState {
  const pos: Position | undefined = state.last ? { lat: state.last.lat, lon: state.last.lon } : undefined;
  const overspeed = overspeedClose(state.overspeed, timeMs, sink, pos);
  if (state.deviation.open) closeEpisode(sink, state.deviation.open, timeMs, timeMs, pos);
  if (state.offStop.doorOpen) closeEpisode(sink, state.offStop.doorOpen, timeMs, timeMs, pos);
  if (state.boarding.open) closeEpisode(sink, state.boarding.open, timeMs, timeMs, pos);
  const fatigue = fatigueClose(state.fatigue, timeMs, sink);
  const driver = driverClose(state.driver, timeMs, sink);
  const device = deviceClose(state.device, timeMs, sink);
  emergencyOnClear(state.emergency, timeMs, sink, pos);
  if (state.unlicensed) closeEpisode(sink, state.unlicensed, timeMs, timeMs);
  if (state.noAttendant) closeEpisode(sink, state.noAttendant, timeMs, timeMs);
  leftOnBoardOnTripEnd(timeMs, onboardCount(state.boarding), sweepConfirmed, sink);
  sink.events.push({ type: 'trip.ended', ...tripRef(ctx, timeMs) });
  return {
    ...state,
    trip: { ...state.trip, status: 'ended', endedMs: timeMs },
    overspeed,
    deviation: { run: null, open: null },
    offStop: { doorOpen: null },
    boarding: { ...state.boarding, open: null },
    fatigue,
    driver,
    device,
    emergency: null,
    unlicensed: null,
    noAttendant: null,
  };
}

function onFix(state: EngineState, fix: Fix, markedLate: boolean, ctx: TripContext, sink: EventSink): EngineState {
  if (state.trip.status === 'ended') return state;
  const proj = ctx.route.geometry.projection;
  const x = projectX(proj, fix.lon);
  const y = projectY(proj, fix.lat);
  const position: Position = { lat: fix.lat, lon: fix.lon };
  const last = state.last;
  const late = markedLate || (last !== null && fix.timeMs <= last.timeMs);

  if (late) return onLateFix(state, fix, x, y, position, ctx, sink);

  const dtS = last ? (fix.timeMs - last.timeMs) / 1000 : 0;
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
  const match = locateOnRoute(ctx.route.geometry, x, y, state.progress.alongM, dtS, ctx.config);
  const newLast = { timeMs: fix.timeMs, lat: fix.lat, lon: fix.lon, x, y };

  let s = state;
  if (s.trip.status === 'planned') {
    const auto =
      ctx.autoStart !== false &&
      shouldAutoStartTrip(
        { timeMs: fix.timeMs, speedKph, distanceToRouteM: match.distanceM, plannedStartMs: ctx.plannedStartMs, plannedEndMs: ctx.plannedEndMs },
        ctx.config.tripStart,
      );
    if (!auto) {
      return { ...s, last: newLast, progress: { alongM: match.alongM, distanceM: match.distanceM, emittedMs: s.progress.emittedMs }, lastSeenMs: fix.blindArea ? s.lastSeenMs : fix.timeMs };
    }
    s = startTrip(s, fix.timeMs, 'auto', ctx, sink);
  }

  const frame: FixFrame = {
    fix,
    timeMs: fix.timeMs,
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

  let device = fix.blindArea ? deviceOnBlindArea(s.device, frame, sink) : deviceOnSeen(s.device, fix.timeMs, sink, position);
  device = tamperOnFix(device, frame, ctx, sink);
  let emergency = s.emergency;
  if (hasEmergency(fix.alarms, ctx)) emergency = emergencyOnAlarm(emergency, fix.timeMs, 'fix', ctx, sink, position);
  else if (emergency && !fix.blindArea) emergency = emergencyOnClear(emergency, fix.timeMs, sink, position);

  const overspeed = overspeedOnFix(s.overspeed, frame, ctx, sink);
  const deviation = deviationOnFix(s.deviation, frame, ctx, sink);
  const offStop = offStopOnFix(s.offStop, frame, ctx, sink);
  const fatigue = fatigueOnFix(s.fatigue, frame, ctx, sink);
  const driver = noDriverOnFix(s.driver, frame, ctx, sink);
  const stops = stopsOnFix(s.stops, frame, ctx, sink);

  let emittedMs = s.progress.emittedMs;
  const emitProgress =
    match.alongM !== null &&
    (emittedMs === null || fix.timeMs - emittedMs >= ctx.config.progress.emitEveryS * 1000 || stops !== s.stops);
  if (emitProgress) {
    emittedMs = fix.timeMs;
    const lengthM = ctx.route.geometry.lengthM;
    const nextStop = ctx.route.stops[stops.atIdx !== null ? stops.atIdx : stops.nextIdx];
    sink.events.push({
      type: 'trip.progress',
      timeMs: fix.timeMs,
      busId: ctx.busId,
      tripId: ctx.tripId,
      routeId: ctx.routeId,
      progressM: match.alongM!,
      fraction: lengthM > 0 ? Math.min(1, match.alongM! / lengthM) : 0,
      distanceFromRouteM: match.distanceM,
      speedKph,
      position,
      nextStopId: stops.atIdx === null && nextStop ? nextStop.id : null,
    });
  }

  return {
    ...s,
    last: newLast,
    lastSeenMs: fix.blindArea ? s.lastSeenMs : fix.timeMs,
    progress: { alongM: match.alongM, distanceM: match.distanceM, emittedMs },
    device,
    emergency,
    overspeed,
    deviation,
    offStop,
    fatigue,
    driver,
    stops,
  };
}

function onLateFix(state: EngineState, fix: Fix, x: number, y: number, position: Position, ctx: TripContext, sink: EventSink): EngineState {
  if (state.trip.status !== 'active') return state;
  let s = state;
  if (fix.blindArea) {
    const frame = { fix, timeMs: fix.timeMs, x, y, position } as FixFrame;
    const device = deviceOnBlindArea(s.device, frame, sink);
    if (device !== s.device) s = { ...s, device };
  }
  if (hasEmergency(fix.alarms, ctx)) s = { ...s, emergency: emergencyOnAlarm(s.emergency, fix.timeMs, 'fix', ctx, sink, position) };
  return s;
}
