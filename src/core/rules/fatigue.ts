// R5 fatigue: continuous driving for the current driver, reset only by a stop of at least restS.
// Pre-warning episode at preWarningS, violation episode at maxContinuousDrivingS; both close when
// a qualifying rest is completed (endMs = start of that rest) or the driver changes.
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
}

export function initialFatigue(driverId: string | null = null): FatigueState {
  return { driverId, drivingSinceMs: null, stoppedSinceMs: null, preWarning: null, violation: null };
}

function closeAll(st: FatigueState, endMs: number, timeMs: number, sink: EventSink): void {
  if (st.preWarning) closeEpisode(sink, st.preWarning, endMs, timeMs);
  if (st.violation) closeEpisode(sink, st.violation, endMs, timeMs);
}

export function fatigueOnFix(st: FatigueState, frame: FixFrame, ctx: TripContext, sink: EventSink): FatigueState {
  const cfg = ctx.config.fatigue;
  const t = frame.timeMs;
  const moving = frame.speedKph !== null && frame.speedKph > cfg.movingSpeedKph;
  let next = st;
  if (!moving) {
    if (next.stoppedSinceMs === null) next = { ...next, stoppedSinceMs: t };
    if (next.drivingSinceMs !== null && t - next.stoppedSinceMs! >= cfg.restS * 1000) {
      closeAll(next, next.stoppedSinceMs!, t, sink);
      next = { ...next, drivingSinceMs: null, preWarning: null, violation: null };
    }
    return next;
  }
  if (next.stoppedSinceMs !== null || next.drivingSinceMs === null) next = { ...next, stoppedSinceMs: null, drivingSinceMs: next.drivingSinceMs ?? t };
  const drivenS = (t - next.drivingSinceMs!) / 1000;
  if (drivenS < cfg.preWarningS) return next;
  if (next === st) next = { ...st };
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
export function fatigueOnDriverChange(st: FatigueState, driverId: string | null, timeMs: number, sink: EventSink): FatigueState {
  if (st.driverId === driverId) return st;
  closeAll(st, timeMs, timeMs, sink);
  return initialFatigue(driverId);
}

export function fatigueClose(st: FatigueState, timeMs: number, sink: EventSink): FatigueState {
  closeAll(st, timeMs, timeMs, sink);
  return { ...st, preWarning: null, violation: null };
}
