// R4 off-stop boarding: a boarding record, or a door opened, farther than the stop radius from every
// stop of the route. A boarding record is one instant episode; a door-open episode lasts while the
// door stays open off-stop.
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, instantEpisode, openEpisode } from '../episodes';
import type { Episode, Position } from '../events';
import type { FixFrame } from '../frame';
import { projectX, projectY } from '../geo/projection';
import type { BoardingInput } from '../inputs';

export interface OffStopState {
  doorOpen: Episode | null;
}

export function initialOffStop(): OffStopState {
  return { doorOpen: null };
}

/** Distance to the nearest stop in the local plane (Infinity when the route has no stops). */
export function nearestStopM(
  ctx: TripContext,
  x: number,
  y: number,
): { distanceM: number; stopId: string | null; radiusM: number } {
  let best = Infinity;
  let bestExcess = Infinity;
  let stopId: string | null = null;
  let radiusM = ctx.config.offStop.radiusM;
  for (const s of ctx.route.stops) {
    const r = s.radiusM ?? ctx.config.offStop.radiusM;
    const dx = s.x - x,
      dy = s.y - y;
    const d = Math.sqrt(dx * dx + dy * dy);
    // the stop that is nearest relative to its own radius
    if (d - r < bestExcess) {
      bestExcess = d - r;
      best = d;
      stopId = s.id;
      radiusM = r;
    }
  }
  return { distanceM: best, stopId, radiusM };
}

export function offStopOnBoarding(input: BoardingInput, ctx: TripContext, sink: EventSink): void {
  if (input.lat === undefined || input.lon === undefined) return;
  if (ctx.route.stops.length === 0) return;
  const proj = ctx.route.geometry.projection;
  const near = nearestStopM(ctx, projectX(proj, input.lon), projectY(proj, input.lat));
  if (near.distanceM <= near.radiusM) return;
  const position: Position = { lat: input.lat, lon: input.lon };
  instantEpisode(sink, {
    kind: 'offStopBoarding',
    severity: 'minor',
    startMs: input.timeMs,
    timeMs: input.timeMs,
    peakValue: Math.round(near.distanceM),
    limit: near.radiusM,
    unit: 'm',
    position,
    discriminator: input.recordId ? `r${input.recordId}` : undefined,
    evidence: {
      source: 'boarding',
      nearestStopId: near.stopId,
      boarded: input.boarded,
      alighted: input.alighted,
      recordId: input.recordId ?? null,
    },
  });
}

export function offStopOnFix(st: OffStopState, frame: FixFrame, ctx: TripContext, sink: EventSink): OffStopState {
  const door = frame.fix.doorOpen;
  if (door === undefined) return st;
  if (!door) {
    if (st.doorOpen) {
      closeEpisode(sink, st.doorOpen, frame.timeMs, frame.timeMs, frame.position);
      return { doorOpen: null };
    }
    return st;
  }
  if (st.doorOpen || ctx.route.stops.length === 0) return st;
  const near = nearestStopM(ctx, frame.x, frame.y);
  if (near.distanceM <= near.radiusM) return st;
  const ep = openEpisode(sink, {
    kind: 'offStopBoarding',
    severity: 'minor',
    startMs: frame.timeMs,
    timeMs: frame.timeMs,
    peakValue: Math.round(near.distanceM),
    limit: near.radiusM,
    unit: 'm',
    position: frame.position,
    discriminator: 'door',
    evidence: { source: 'doorOpen', nearestStopId: near.stopId },
  });
  return { doorOpen: ep };
}
