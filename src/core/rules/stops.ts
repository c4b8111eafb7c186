// Stop events: arrival within the stop radius, departure beyond radius + departMarginM (hysteresis,
// so dwell and jitter at the edge never repeat an arrival), missed stops, arrival at school (the
// last stop). Stops are taken in sequence: each stop is arrived at most once per trip, and only
// stops at or after the next expected one are candidates, so a loop that passes an earlier stop
// again does not re-arrive it.
import type { TripContext } from '../context';
import type { EventSink } from '../episodes';
import type { FixFrame } from '../frame';
import type { PreparedStop } from '../route';

export interface StopsState {
  /** index (in route.stops) of the next stop not yet arrived at or missed */
  nextIdx: number;
  /** index of the stop the bus is at, or null */
  atIdx: number | null;
  arrivedMs: number | null;
  arrivedAtSchool: boolean;
}

function dist(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

export function initialStops(): StopsState {
  return { nextIdx: 0, atIdx: null, arrivedMs: null, arrivedAtSchool: false };
}

function tripRef(ctx: TripContext, timeMs: number) {
  return { timeMs, busId: ctx.busId, tripId: ctx.tripId, routeId: ctx.routeId };
}

function stopRef(s: PreparedStop) {
  return s.name !== undefined ? { stopId: s.id, sequence: s.sequence, name: s.name } : { stopId: s.id, sequence: s.sequence };
}

export function stopsOnFix(st: StopsState, frame: FixFrame, ctx: TripContext, sink: EventSink): StopsState {
  const stops = ctx.route.stops;
  if (stops.length === 0) return st;
  const cfg = ctx.config.stops;
  const t = frame.timeMs;
  let next = st;

  if (next.atIdx !== null) {
    const s = stops[next.atIdx]!;
    const r = s.radiusM ?? cfg.radiusM;
    if (dist(s.x - frame.x, s.y - frame.y) <= r + cfg.departMarginM) return next; // still at the stop
    sink.events.push({
      type: 'stop.departed',
      ...tripRef(ctx, t),
      ...stopRef(s),
      arrivedMs: next.arrivedMs ?? undefined,
      departedMs: t,
      dwellS: next.arrivedMs !== null ? Math.round((t - next.arrivedMs) / 1000) : undefined,
      position: frame.position,
    });
    next = { ...next, atIdx: null, arrivedMs: null };
  }

  const along = frame.alongM;
  for (let i = next.nextIdx; i < stops.length; i++) {
    const s = stops[i]!;
    const r = s.radiusM ?? cfg.radiusM;
    if (along !== null && s.alongM > along + r + cfg.missedAfterM) break;
    if (dist(s.x - frame.x, s.y - frame.y) > r) continue;
    for (let j = next.nextIdx; j < i; j++) {
      sink.events.push({ type: 'stop.missed', ...tripRef(ctx, t), ...stopRef(stops[j]!) });
    }
    sink.events.push({ type: 'stop.arrived', ...tripRef(ctx, t), ...stopRef(s), arrivedMs: t, position: frame.position });
    const last = i === stops.length - 1;
    if (last) sink.events.push({ type: 'trip.arrivedAtSchool', ...tripRef(ctx, t), stopId: s.id, sequence: s.sequence });
    return { nextIdx: i + 1, atIdx: i, arrivedMs: t, arrivedAtSchool: next.arrivedAtSchool || last };
  }

  // Passed by without arriving.
  if (along !== null) {
    let idx = next.nextIdx;
    while (idx < stops.length && along > stops[idx]!.alongM + cfg.missedAfterM) {
      sink.events.push({ type: 'stop.missed', ...tripRef(ctx, t), ...stopRef(stops[idx]!) });
      idx++;
    }
    if (idx !== next.nextIdx) next = { ...next, nextIdx: idx };
  }
  return next;
}
