// R5 fatigue: continuous driving for the current driver, reset only by a stop of at least restS.
// Pre-warning episode at preWarningS, violation episode at maxContinuousDrivingS; both close when
// a qualifying rest is completed (endMs = start of that rest) or the driver changes.
//
// The accumulator belongs to the driver, not the trip: when a driver takes this bus (trip start, card),
// the block they drove on earlier trips or other buses that day comes in through ctx.fatigueCarry (kept
// by the pipeline per driver and service day), and the time since their last fix there counts as a stop.
// The engine hands the block back with a `driver.fatigue` event when the driver leaves or the trip ends.
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, openEpisode, updateEpisode } from '../episodes';
import type { Episode } from '../events';
import type { FixFrame } from '../frame';

export interface FatigueState {
  driverId: string | null;
  /** start of the current continuous-driving block; null when rested */
  drivingSinceMs: number | null;
  /** start of the current stop; null while moving */
  stoppedSinceMs: number | null;
  preWarning: Episode | null;
  violation: Episode | null;
  /** time of the latest fix taken into the accumulator; absent in older checkpoints */
  lastMs?: number | null;
}

/** A driver's continuous-driving block as of lastMs (another trip or bus), handed between trips. */
export interface FatigueCarry {
  drivingSinceMs: number | null;
  stoppedSinceMs: number | null;
  lastMs: number;
}

export function initialFatigue(driverId: string | null = null): FatigueState {
  return { driverId, drivingSinceMs: null, stoppedSinceMs: null, preWarning: null, violation: null, lastMs: null };
}

/**
 * Fresh accumulator for a driver taking the bus at atMs: their block from earlier that day (ctx.fatigueCarry),
 * with the time since its last fix counted as a stop (they were not driving this bus).
 */
export function fatigueFor(driverId: string | null, atMs: number, ctx: TripContext): FatigueState {
  const carry = driverId !== null ? ctx.fatigueCarry?.[driverId] : undefined;
  if (!carry || carry.drivingSinceMs === null || carry.lastMs > atMs) return initialFatigue(driverId);
  return {
    ...initialFatigue(driverId),
    drivingSinceMs: carry.drivingSinceMs,
    stoppedSinceMs: carry.stoppedSinceMs ?? carry.lastMs,
    lastMs: carry.lastMs,
  };
}

/** The block to hand on (null when there is nothing to carry). */
export function fatigueCarryOf(st: FatigueState): FatigueCarry | null {
  if (st.driverId === null || st.lastMs == null) return null;
  return { drivingSinceMs: st.drivingSinceMs, stoppedSinceMs: st.stoppedSinceMs, lastMs: st.lastMs };
}

function emitCarry(st: FatigueState, timeMs: number, sink: EventSink): void {
  const carry = fatigueCarryOf(st);
  if (!carry) return;
  const ctx = sink.ctx;
  sink.events.push({
    type: 'driver.fatigue',
    timeMs,
    busId: ctx.busId,
    tripId: ctx.tripId,
    routeId: ctx.routeId,
    driverId: st.driverId!,
    ...carry,
  });
}

function closeAll(st: FatigueState, endMs: number, timeMs: number, sink: EventSink): void {
  if (st.preWarning) closeEpisode(sink, st.preWarning, endMs, timeMs);
  if (st.violation) closeEpisode(sink, st.violation, endMs, timeMs);
}

export function fatigueOnFix(st: FatigueState, frame: FixFrame, ctx: TripContext, sink: EventSink): FatigueState {
  const cfg = ctx.config.fatigue;
  const t = frame.timeMs;
  const moving = frame.speedKph !== null && frame.speedKph > cfg.movingSpeedKph;
  let next: FatigueState = { ...st, lastMs: t };
  if (!moving) {
    if (next.stoppedSinceMs === null) next = { ...next, stoppedSinceMs: t };
    if (next.drivingSinceMs !== null && t - next.stoppedSinceMs! >= cfg.restS * 1000) {
      closeAll(next, next.stoppedSinceMs!, t, sink);
      next = { ...next, drivingSinceMs: null, preWarning: null, violation: null };
    }
    return next;
  }
  if (next.drivingSinceMs !== null && next.stoppedSinceMs !== null && t - next.stoppedSinceMs >= cfg.restS * 1000) {
    // Stopped long enough before moving again (e.g. between two trips): that was a rest.
    closeAll(next, next.stoppedSinceMs, t, sink);
    next = { ...next, drivingSinceMs: null, preWarning: null, violation: null };
  }
  if (next.stoppedSinceMs !== null || next.drivingSinceMs === null)
    next = { ...next, stoppedSinceMs: null, drivingSinceMs: next.drivingSinceMs ?? t };
  const drivenS = (t - next.drivingSinceMs!) / 1000;
  if (drivenS < cfg.preWarningS) return next;
  if (drivenS >= cfg.preWarningS && !next.preWarning && !next.violation) {
    next.preWarning = openEpisode(sink, {
      kind: 'fatiguePreWarning',
      severity: 'minor',
      startMs: next.drivingSinceMs! + cfg.preWarningS * 1000,
      timeMs: t,
      peakValue: Math.round(drivenS),
      limit: cfg.preWarningS,
      unit: 's',
      position: frame.position,
      evidence: { drivingSinceMs: next.drivingSinceMs },
    });
  }
  if (drivenS >= cfg.maxContinuousDrivingS) {
    if (!next.violation) {
      next.violation = openEpisode(sink, {
        kind: 'fatigue',
        severity: 'major',
        startMs: next.drivingSinceMs! + cfg.maxContinuousDrivingS * 1000,
        timeMs: t,
        peakValue: Math.round(drivenS),
        limit: cfg.maxContinuousDrivingS,
        unit: 's',
        position: frame.position,
        evidence: { drivingSinceMs: next.drivingSinceMs },
      });
    } else {
      next.violation = updateEpisode(sink, next.violation, t, { peakValue: Math.round(drivenS) }, false);
    }
  }
  return next;
}

/** Tick: a bus parked long enough rests even when it sends few fixes. */
export function fatigueOnTick(st: FatigueState, nowMs: number, ctx: TripContext, sink: EventSink): FatigueState {
  if (st.drivingSinceMs === null || st.stoppedSinceMs === null) return st;
  if (nowMs - st.stoppedSinceMs < ctx.config.fatigue.restS * 1000) return st;
  closeAll(st, st.stoppedSinceMs, nowMs, sink);
  return { ...st, drivingSinceMs: null, preWarning: null, violation: null };
}

/** Driver change: the accumulator belongs to the driver; close episodes and start fresh. */
export function fatigueOnDriverChange(
  st: FatigueState,
  driverId: string | null,
  timeMs: number,
  sink: EventSink,
): FatigueState {
  if (st.driverId === driverId) return st;
  closeAll(st, timeMs, timeMs, sink);
  emitCarry(st, timeMs, sink);
  return fatigueFor(driverId, timeMs, sink.ctx);
}

export function fatigueClose(st: FatigueState, timeMs: number, sink: EventSink): FatigueState {
  closeAll(st, timeMs, timeMs, sink);
  emitCarry(st, timeMs, sink);
  return { ...st, preWarning: null, violation: null };
}
