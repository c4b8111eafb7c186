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

export interface ReplayOptions {
  config: RuleConfig;
  capacity?: number;
  tickS?: number;
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
    bus: { id: 'replay', seats: capacity, approvedCapacity: capacity, signValidUntil: isoDate(firstMs, 1), inspectionValidUntil: isoDate(firstMs, 1) },
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
}

export function replay(route: RouteInput, fixes: Fix[], opts: ReplayOptions): ReplayResult {
  const rejected: Record<string, number> = {};
  const first = fixes[0];
  if (first === undefined) return { events: [], rejected, late: 0, state: createState() };
  const ctx = replayContext(route, first.timeMs, opts);
  const tickMs = (opts.tickS ?? 60) * 1000;
  const events: EngineEvent[] = [];
  let state = createState();
  let filter = createFilterState();
  let late = 0;
  const apply = (input: Parameters<typeof step>[1]) => {
    const r = step(state, input, ctx);
    state = r.state;
    for (const e of r.events) events.push(e);
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
  }
  apply({ type: 'tripEnd', timeMs: Math.max(clockMs, filter.newestMs ?? clockMs) });
  // stable sort into time order (late inputs can emit updates about earlier moments)
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.timeMs - b.e.timeMs || a.i - b.i).map((x) => x.e);
  return { events: ordered, rejected, late, state };
}
