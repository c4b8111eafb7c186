// Episode bookkeeping shared by the rules: deterministic ids and opened/updated/closed events.
import type { TripContext } from './context';
import type { EngineEvent, Episode, JsonValue, Position, Severity, ViolationEvent, ViolationKind } from './events';

/** Deterministic from bus, trip, kind and start, so a replay of the same inputs yields the same ids. */
export function episodeId(ctx: TripContext, kind: ViolationKind, startMs: number, discriminator?: string): string {
  const base = `b${ctx.busId}-t${ctx.tripId}-${kind}-${startMs}`;
  return discriminator ? `${base}-${discriminator}` : base;
}

/** Collects events for one engine step. */
export interface EventSink {
  ctx: TripContext;
  driverId: string | null;
  events: EngineEvent[];
}

function emit(sink: EventSink, type: ViolationEvent['type'], ep: Episode, timeMs: number): void {
  const ctx = sink.ctx;
  sink.events.push({
    ...ep,
    type,
    timeMs,
    busId: ctx.busId,
    tripId: ctx.tripId,
    routeId: ctx.routeId,
    driverId: sink.driverId,
  });
}

export interface OpenSpec {
  kind: ViolationKind;
  severity: Severity;
  startMs: number;
  /** time of the input that opens it (≥ startMs for sustained rules) */
  timeMs: number;
  peakValue?: number;
  limit?: number;
  unit?: string;
  position?: Position;
  evidence?: Record<string, JsonValue>;
  discriminator?: string;
}

export function openEpisode(sink: EventSink, spec: OpenSpec): Episode {
  const ep: Episode = {
    id: episodeId(sink.ctx, spec.kind, spec.startMs, spec.discriminator),
    kind: spec.kind,
    severity: spec.severity,
    status: 'open',
    startMs: spec.startMs,
    lastMs: spec.timeMs,
    evidence: spec.evidence ?? {},
  };
  if (spec.peakValue !== undefined) ep.peakValue = spec.peakValue;
  if (spec.limit !== undefined) ep.limit = spec.limit;
  if (spec.unit !== undefined) ep.unit = spec.unit;
  if (spec.position) ep.startPosition = spec.position;
  emit(sink, 'violation.opened', ep, spec.timeMs);
  return ep;
}

/** Returns a new episode with the changes; emits violation.updated when emit is true. */
export function updateEpisode(
  sink: EventSink,
  ep: Episode,
  timeMs: number,
  changes: Partial<Episode>,
  emitEvent = true,
): Episode {
  const next: Episode = { ...ep, ...changes, lastMs: Math.max(ep.lastMs, timeMs) };
  if (emitEvent) emit(sink, 'violation.updated', next, timeMs);
  return next;
}

export function closeEpisode(
  sink: EventSink,
  ep: Episode,
  endMs: number,
  timeMs: number,
  endPosition?: Position,
  changes?: Partial<Episode>,
): Episode {
  const next: Episode = { ...ep, ...changes, status: 'closed', endMs, lastMs: Math.max(ep.lastMs, timeMs) };
  if (endPosition) next.endPosition = endPosition;
  emit(sink, 'violation.closed', next, timeMs);
  return next;
}

/** Opens and closes at once: for violations that are a single moment (e.g. one off-stop boarding). */
export function instantEpisode(sink: EventSink, spec: OpenSpec): void {
  const ep = openEpisode(sink, spec);
  closeEpisode(sink, ep, spec.startMs, spec.timeMs, spec.position);
}
