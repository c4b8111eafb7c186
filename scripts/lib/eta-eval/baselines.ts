// The fixed baselines eval:eta compares the live estimator with. Each sees what the estimator sees (a frame of
// production's view, ./observe.ts) plus the published timetable; none sees the drive's true times.
//   timetable        the published arrival time, as printed
//   timetable+delay  the published time plus the bus's current delay: how late it arrived at or left the last stop
//                    the engine reported (or, standing at a stop past its departure time, how late it is now)
//   position+speeds  from where the engine places the bus, the timetable's own running times to each stop
//                    (the timetable's speed on every stretch, its dwell at every stop; nothing learned)
import type { StopHistoryEvent } from '../../../src/live/eta';
import type { Frame } from './observe';

/** Published arrival and departure per stop, epoch ms, for one day. */
export interface Timetable {
  arriveMs: number[];
  departMs: number[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The timetable a planner publishes from earlier days' records: per stop, the median arrival and departure after
 * the planned start as the engine stored them (stop_events, the same records the estimator learns from), whole
 * seconds, kept in order. A stop no record has is placed by distance between its neighbours.
 */
export function planTimetable(
  stopsM: readonly number[],
  stopIds: readonly string[],
  days: { plannedStartMs: number; events: readonly StopHistoryEvent[] }[],
) {
  const n = stopsM.length;
  const at = (kind: 'arrived' | 'departed') =>
    stopIds.map((id, i) => {
      if (i === 0 && kind === 'arrived') return 0;
      const xs = days.flatMap((d) =>
        d.events.filter((e) => e.stopId === id && e.kind === kind).map((e) => (e.timeMs - d.plannedStartMs) / 1000),
      );
      return xs.length ? median(xs) : null;
    });
  const fill = (xs: (number | null)[]) =>
    xs.map((x, i) => {
      if (x != null) return x;
      let a = i - 1;
      while (a >= 0 && xs[a] == null) a--;
      let b = i + 1;
      while (b < n && xs[b] == null) b++;
      if (a < 0 || b >= n) return xs[a < 0 ? b : a] ?? 0;
      return xs[a]! + ((stopsM[i]! - stopsM[a]!) / (stopsM[b]! - stopsM[a]! || 1)) * (xs[b]! - xs[a]!);
    });
  const arrive = fill(at('arrived'));
  const depart = fill(at('departed'));
  const arriveS: number[] = [];
  const departS: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    const a = i === 0 ? 0 : Math.max(t, Math.round(arrive[i]!));
    const dep = Math.max(a, Math.round(depart[i]!));
    arriveS.push(a);
    departS.push(dep);
    t = dep;
  }
  return { arriveS, departS };
}

export function timetableOn(plan: { arriveS: number[]; departS: number[] }, plannedStartMs: number): Timetable {
  return {
    arriveMs: plan.arriveS.map((s) => plannedStartMs + s * 1000),
    departMs: plan.departS.map((s) => plannedStartMs + s * 1000),
  };
}

export function timetableEta(tt: Timetable, i: number): number {
  return tt.arriveMs[i]!;
}

/** The bus's current delay, seconds, from the engine's stop events (0 before any). */
function currentDelayMs(tt: Timetable, f: Frame): number {
  const last = f.lastStop;
  if (!last) return Math.max(0, f.nowMs - tt.departMs[0]!);
  if (last.kind === 'departed') return last.atMs - tt.departMs[last.idx]!;
  // Still standing at the stop: at least as late as the time past its scheduled departure.
  return Math.max(last.atMs - tt.arriveMs[last.idx]!, f.nowMs - tt.departMs[last.idx]!);
}

export function delayEta(tt: Timetable, f: Frame, i: number): number {
  return Math.max(f.nowMs, tt.arriveMs[i]! + currentDelayMs(tt, f));
}

/** Scheduled time of passing `alongM` (between a departure and the next arrival, linear in distance). */
function scheduledAt(tt: Timetable, stopsM: readonly number[], alongM: number): number {
  let k = 0;
  while (k < stopsM.length - 2 && stopsM[k + 1]! <= alongM) k++;
  const span = stopsM[k + 1]! - stopsM[k]!;
  const f = span > 0 ? Math.min(1, Math.max(0, (alongM - stopsM[k]!) / span)) : 1;
  return tt.departMs[k]! + f * (tt.arriveMs[k + 1]! - tt.departMs[k]!);
}

export function positionEta(tt: Timetable, stopsM: readonly number[], f: Frame, i: number): number {
  const p = f.progress;
  if (!p) return Math.max(f.nowMs, tt.departMs[0]!) + (tt.arriveMs[i]! - tt.departMs[0]!);
  const at = p.atStopId == null ? -1 : f.eta.stops.findIndex((s) => s.id === p.atStopId);
  if (at >= 0 && at < i) {
    // Dwelling: the rest of the timetable's dwell, then the timetable's running time from there.
    const arrivedMs = f.lastStop?.idx === at && f.lastStop.kind === 'arrived' ? f.lastStop.atMs : p.timeMs;
    const dwellLeftMs = Math.max(0, tt.departMs[at]! - tt.arriveMs[at]! - (f.nowMs - arrivedMs));
    return f.nowMs + dwellLeftMs + (tt.arriveMs[i]! - tt.departMs[at]!);
  }
  const passedMs = Math.min(tt.arriveMs[i]!, scheduledAt(tt, stopsM, p.progressM));
  // The progress is as old as the report it came with (at most the report interval).
  return Math.max(f.nowMs, p.timeMs + (tt.arriveMs[i]! - passedMs));
}
