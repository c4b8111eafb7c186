// Stop events: arrival within the stop radius, departure beyond radius + departMarginM (hysteresis,
// so dwell and jitter at the edge never repeat an arrival), missed stops, arrival at school (the
// last stop). Stops are taken in sequence: each stop is arrived at most once per trip, and only
// stops at or after the next expected one are candidates, so a loop that passes an earlier stop
// again does not re-arrive it.
//
// Sparse reporting (terminals that report every 30–60 s): a bus often passes or serves a stop with no
// fix inside its radius. When two consecutive on-route fixes further apart than inferMinGapS bracket
// a stop, what happened between them is inferred (./stop-passage.ts): the time the bus entered and
// left the radius, and whether it stopped there or drove through. The stop is then arrived at and
// departed (events marked inferred) instead of missed. Arrivals and departures seen by a fix after
// such a gap get their times estimated the same way.
//
// A school bus driving through a stop where children wait (riders > 0, not the last stop) is a
// minor stopSkipped violation for the manager.
import type { TripContext } from '../context';
import { type EventSink, instantEpisode } from '../episodes';
import type { Position } from '../events';
import type { FixFrame } from '../frame';
import type { PreparedStop } from '../route';
import { inferPassages, type PassageFix, timeToLeave, timeToReach } from './stop-passage';

export interface StopsState {
  /** index (in route.stops) of the next stop not yet arrived at or missed */
  nextIdx: number;
  /** index of the stop the bus is at, or null */
  atIdx: number | null;
  arrivedMs: number | null;
  arrivedAtSchool: boolean;
  /** lowest speed seen while at the stop (km/h); absent in older checkpoints */
  atMinSpeedKph?: number | null;
}

/** The previous fix taken in time order, as the stop rule needs it. */
export interface PrevFix {
  timeMs: number;
  x: number;
  y: number;
  alongM: number | null;
  distanceM: number;
  speedKph: number | null;
}

function dist(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

export function initialStops(): StopsState {
  return { nextIdx: 0, atIdx: null, arrivedMs: null, arrivedAtSchool: false, atMinSpeedKph: null };
}

function tripRef(ctx: TripContext, timeMs: number) {
  return { timeMs, busId: ctx.busId, tripId: ctx.tripId, routeId: ctx.routeId };
}

function stopRef(s: PreparedStop) {
  return s.name !== undefined
    ? { stopId: s.id, sequence: s.sequence, name: s.name }
    : { stopId: s.id, sequence: s.sequence };
}

const radiusOf = (s: PreparedStop, ctx: TripContext) => s.radiusM ?? ctx.config.stops.radiusM;

/** Whether two fixes are sparse enough, and plausible enough, to infer what happened between them. */
function inferable(prev: PrevFix | null, frame: FixFrame, ctx: TripContext): prev is PrevFix & { alongM: number } {
  const cfg = ctx.config.stops;
  if (!prev || prev.alongM === null || frame.alongM === null) return false;
  const gapS = (frame.timeMs - prev.timeMs) / 1000;
  if (gapS <= cfg.inferMinGapS || gapS > cfg.inferMaxGapS) return false;
  const corridorM = ctx.config.deviation.corridorM;
  if (prev.distanceM > corridorM || frame.distanceM > corridorM) return false;
  const dM = frame.alongM - prev.alongM;
  return dM > 0 && (dM / gapS) * 3.6 <= cfg.inferMaxSpeedKph;
}

const passageFix = (p: { timeMs: number; alongM: number; speedKph: number | null }): PassageFix => ({
  timeMs: p.timeMs,
  alongM: p.alongM,
  speedKph: p.speedKph,
});

function skipped(
  ctx: TripContext,
  sink: EventSink,
  s: PreparedStop,
  atMs: number,
  timeMs: number,
  inferred: boolean,
  speedKph: number | null,
  position?: Position,
): void {
  if (!(s.riders !== undefined && s.riders > 0) || s === ctx.route.stops[ctx.route.stops.length - 1]) return;
  instantEpisode(sink, {
    kind: 'stopSkipped',
    severity: 'minor',
    startMs: atMs,
    timeMs,
    discriminator: `s${s.id}`,
    peakValue: speedKph === null ? undefined : Math.round(speedKph),
    unit: 'km/h',
    position: position ?? undefined,
    evidence: { stopId: s.id, stopName: s.name ?? null, riders: s.riders, inferred },
  });
}

export function stopsOnFix(
  st: StopsState,
  frame: FixFrame,
  ctx: TripContext,
  sink: EventSink,
  prev: PrevFix | null = null,
): StopsState {
  const stops = ctx.route.stops;
  if (stops.length === 0) return st;
  const cfg = ctx.config.stops;
  const t = frame.timeMs;
  let next = st;
  const sparse = inferable(prev, frame, ctx);

  if (next.atIdx !== null) {
    const s = stops[next.atIdx]!;
    const r = radiusOf(s, ctx);
    if (dist(s.x - frame.x, s.y - frame.y) <= r + cfg.departMarginM) {
      // still at the stop
      const v = frame.speedKph;
      if (v !== null && (next.atMinSpeedKph == null || v < next.atMinSpeedKph)) return { ...next, atMinSpeedKph: v };
      return next;
    }
    // Left: after a long gap the bus left the radius before this fix.
    let departedMs = t;
    if (sparse && frame.alongM! > s.alongM) {
      const back = timeToLeave(
        Math.max(0, frame.alongM! - s.alongM - r - cfg.departMarginM),
        passageFix({ ...prev!, alongM: prev!.alongM! }),
        passageFix({ timeMs: t, alongM: frame.alongM!, speedKph: frame.speedKph }),
        cfg,
      );
      departedMs = Math.max(prev!.timeMs, Math.min(t, t - back * 1000));
    }
    const arrivedMs = next.arrivedMs;
    const dwellS = arrivedMs !== null ? (departedMs - arrivedMs) / 1000 : null;
    sink.events.push({
      type: 'stop.departed',
      ...tripRef(ctx, t),
      ...stopRef(s),
      arrivedMs: arrivedMs ?? undefined,
      departedMs,
      dwellS: dwellS !== null ? Math.round(dwellS) : undefined,
      position: frame.position,
    });
    const neverSlow = next.atMinSpeedKph != null && next.atMinSpeedKph > cfg.stoppedSpeedKph;
    // Every fix inside the radius was moving: it drove through (a gap before this fix may have hidden a stop).
    if (neverSlow && !sparse && arrivedMs !== null)
      skipped(ctx, sink, s, arrivedMs, t, false, next.atMinSpeedKph ?? null, frame.position);
    next = { ...next, atIdx: null, arrivedMs: null, atMinSpeedKph: null };
  }

  const along = frame.alongM;
  // Stops between the previous fix and this one with no fix inside their radius: inferred.
  if (sparse) next = inferBetween(next, prev, frame, ctx, sink);

  for (let i = next.nextIdx; i < stops.length; i++) {
    const s = stops[i]!;
    const r = radiusOf(s, ctx);
    if (along !== null && s.alongM > along + r + cfg.missedAfterM) break;
    if (dist(s.x - frame.x, s.y - frame.y) > r) continue;
    for (let j = next.nextIdx; j < i; j++) {
      sink.events.push({ type: 'stop.missed', ...tripRef(ctx, t), ...stopRef(stops[j]!) });
    }
    // After a long gap the bus entered the radius before this fix.
    let arrivedMs = t;
    if (sparse && prev!.alongM! < s.alongM - r) {
      const ahead = timeToReach(
        s.alongM - r - prev!.alongM!,
        passageFix({ ...prev!, alongM: prev!.alongM! }),
        passageFix({ timeMs: t, alongM: frame.alongM!, speedKph: frame.speedKph }),
        cfg,
      );
      arrivedMs = Math.max(prev!.timeMs, Math.min(t, prev!.timeMs + ahead * 1000));
    }
    sink.events.push({ type: 'stop.arrived', ...tripRef(ctx, t), ...stopRef(s), arrivedMs, position: frame.position });
    const last = i === stops.length - 1;
    if (last)
      sink.events.push({ type: 'trip.arrivedAtSchool', ...tripRef(ctx, t), stopId: s.id, sequence: s.sequence });
    return {
      nextIdx: i + 1,
      atIdx: i,
      arrivedMs,
      arrivedAtSchool: next.arrivedAtSchool || last,
      atMinSpeedKph: frame.speedKph,
    };
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

/**
 * Stops at or after nextIdx whose radius the bus went through between prev and this fix, with neither fix inside
 * it: arrival and departure at the inferred times (stop.arrived / stop.departed marked inferred), or stopSkipped
 * when it drove through a stop where children wait. Stops before the first such stop that were never reached are
 * missed, as before.
 */
function inferBetween(
  st: StopsState,
  prev: PrevFix & { alongM: number },
  frame: FixFrame,
  ctx: TripContext,
  sink: EventSink,
): StopsState {
  const stops = ctx.route.stops;
  const cfg = ctx.config.stops;
  const along = frame.alongM!;
  const picked: number[] = [];
  for (let i = st.nextIdx; i < stops.length; i++) {
    const s = stops[i]!;
    if (s.alongM > along) break;
    const r = radiusOf(s, ctx);
    if (s.alongM <= prev.alongM || s.offsetM > r) continue;
    if (dist(s.x - frame.x, s.y - frame.y) <= r || dist(s.x - prev.x, s.y - prev.y) <= r) continue; // a fix saw it
    picked.push(i);
  }
  if (picked.length === 0) return st;
  const passages = inferPassages(
    passageFix({ ...prev }),
    passageFix({ timeMs: frame.timeMs, alongM: along, speedKph: frame.speedKph }),
    picked.map((i) => ({
      alongM: stops[i]!.alongM,
      radiusM: radiusOf(stops[i]!, ctx),
      departRadiusM: radiusOf(stops[i]!, ctx) + cfg.departMarginM,
      riders: stops[i]!.riders ?? 0,
    })),
    cfg,
  );
  const t = frame.timeMs;
  for (let j = st.nextIdx; j < picked[0]!; j++)
    sink.events.push({ type: 'stop.missed', ...tripRef(ctx, t), ...stopRef(stops[j]!) });
  let arrivedAtSchool = st.arrivedAtSchool;
  picked.forEach((i, k) => {
    const s = stops[i]!;
    const p = passages[k]!;
    const dwellS = Math.round((p.departedMs - p.arrivedMs) / 1000);
    sink.events.push({
      type: 'stop.arrived',
      ...tripRef(ctx, t),
      ...stopRef(s),
      arrivedMs: p.arrivedMs,
      inferred: true,
      stopped: p.stopped,
    });
    const last = i === stops.length - 1;
    if (last) {
      sink.events.push({ type: 'trip.arrivedAtSchool', ...tripRef(ctx, t), stopId: s.id, sequence: s.sequence });
      arrivedAtSchool = true;
    }
    sink.events.push({
      type: 'stop.departed',
      ...tripRef(ctx, t),
      ...stopRef(s),
      arrivedMs: p.arrivedMs,
      departedMs: p.departedMs,
      dwellS,
      inferred: true,
      stopped: p.stopped,
    });
    if (!p.stopped) skipped(ctx, sink, s, p.arrivedMs, t, true, p.speedKph, { lat: s.lat, lon: s.lon });
  });
  return { ...st, nextIdx: picked[picked.length - 1]! + 1, arrivedAtSchool };
}
