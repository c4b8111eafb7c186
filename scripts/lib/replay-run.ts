// The replay pipeline: the same filters and engine as the server, fed from a recorded trace.
// Clock ticks are synthesised from the fix times (every tickS of device time) so offline gaps show.
import type { TripContext } from '../../src/core/context';
import { step } from '../../src/core/engine';
import type { EngineEvent } from '../../src/core/events';
import { createFilterState, filterFix, type RejectReason } from '../../src/core/filters';
import type { Fix } from '../../src/core/fix';
import type { RuleConfig } from '../../src/core/presets/types';
import { prepareRoute, type RouteInput } from '../../src/core/route';
import { createState, type EngineState } from '../../src/core/state';
import { ReplayEtaTracker } from './replay-eta';

export interface ReplayOptions {
  config: RuleConfig;
  capacity?: number;
  tickS?: number;
  /** Also record, for every accepted fix, the ETAs the live side would publish at that moment. */
  eta?: boolean;
}

/** The live side's ETAs right after an accepted fix. */
export interface ReplayEta {
  type: 'eta';
  timeMs: number;
  stops: { stopId: string; etaMs: number }[];
}

function isoDate(ms: number, addYears: number): string {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + addYears);
  return d.toISOString().slice(0, 10);
}

/** A trip context with a valid synthetic registry (a replay checks the track, not the registry). */
export function replayContext(route: RouteInput, firstMs: number, opts: ReplayOptions): TripContext {
  const capacity = opts.capacity ?? 40;
  return {
    busId: 'replay',
    tripId: 'replay',
    routeId: route.id,
    route: prepareRoute(route),
    bus: {
      id: 'replay',
      seats: capacity,
      approvedCapacity: capacity,
      signValidUntil: isoDate(firstMs, 1),
      inspectionValidUntil: isoDate(firstMs, 1),
    },
    assignedDriverId: 'replay-driver',
    attendant: { id: 'replay-attendant', checkedIn: true },
    drivers: [
      {
        id: 'replay-driver',
        birthDate: isoDate(firstMs, -40),
        licenceClass: 'A1',
        licensedSince: isoDate(firstMs, -10),
        schoolBusEndorsement: true,
        qualificationExpiry: isoDate(firstMs, 1),
        annualReviewDue: isoDate(firstMs, 1),
      },
    ],
    config: opts.config,
    autoStart: false,
  };
}

export interface ReplayResult {
  events: EngineEvent[];
  rejected: Record<RejectReason, number> | Record<string, number>;
  late: number;
  state: EngineState;
  /** With `eta`: engine events and ETA records together, in time order (an ETA after its fix's events). */
  timeline?: (EngineEvent | ReplayEta)[];
}

export function replay(route: RouteInput, fixes: Fix[], opts: ReplayOptions): ReplayResult {
  const rejected: Record<string, number> = {};
  const first = fixes[0];
  if (first === undefined) return { events: [], rejected, late: 0, state: createState() };
  const ctx = replayContext(route, first.timeMs, opts);
  const tickMs = (opts.tickS ?? 60) * 1000;
  const events: EngineEvent[] = [];
  const timeline: (EngineEvent | ReplayEta)[] | undefined = opts.eta ? [] : undefined;
  const etas = opts.eta
    ? new ReplayEtaTracker(ctx.route.stops.map((s) => ({ id: s.id, alongM: s.alongM })))
    : undefined;
  let state = createState();
  let filter = createFilterState();
  let late = 0;
  const apply = (input: Parameters<typeof step>[1]) => {
    const r = step(state, input, ctx);
    state = r.state;
    for (const e of r.events) events.push(e);
    if (timeline) for (const e of r.events) timeline.push(e);
    etas?.apply(r.events);
  };
  apply({ type: 'tripStart', timeMs: first.timeMs });
  let clockMs = first.timeMs;
  for (const f of fixes) {
    const v = filterFix(filter, f, opts.config.filters);
    filter = v.state;
    if (!v.verdict.ok) {
      rejected[v.verdict.reason] = (rejected[v.verdict.reason] ?? 0) + 1;
      continue;
    }
    if (v.verdict.late) late++;
    else while (f.timeMs - clockMs >= tickMs) apply({ type: 'tick', nowMs: (clockMs += tickMs) });
    apply({ type: 'fix', fix: f, late: v.verdict.late });
    if (timeline && etas)
      timeline.push({
        type: 'eta',
        timeMs: f.timeMs,
        stops: etas.current().map((r) => ({ stopId: r.stopId, etaMs: Math.round(r.etaMs) })),
      });
  }
  apply({ type: 'tripEnd', timeMs: Math.max(clockMs, filter.newestMs ?? clockMs) });
  // stable sort into time order (late inputs can emit updates about earlier moments)
  const inOrder = <T extends { timeMs: number }>(list: T[]) =>
    list
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.timeMs - b.e.timeMs || a.i - b.i)
      .map((x) => x.e);
  return { events: inOrder(events), rejected, late, state, ...(timeline ? { timeline: inOrder(timeline) } : {}) };
}
