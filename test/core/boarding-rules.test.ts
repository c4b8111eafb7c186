import { describe, expect, it } from 'vitest';
import { deserializeState, serializeState } from '../../src/core/state';
import { ll, makeCtx, fix, fixIn, START, run, opened, closed, violations, T0 } from './helpers';
import type { EngineInput } from '../../src/core/inputs';

const board = (tS: number, boarded: number, alighted = 0, at?: [number, number], recordId?: string): EngineInput => {
  const pos = at ? ll(at[0], at[1]) : undefined;
  return { type: 'boarding', timeMs: T0 + tS * 1000, boarded, alighted, lon: pos?.[0], lat: pos?.[1], recordId };
};

describe('R2 over-capacity', () => {
  it('at capacity is fine; one over opens at once; more boardings update; back at capacity closes', () => {
    const ctx = makeCtx({ capacity: 10 });
    const { events } = run(ctx, [START, board(1, 10), board(2, 1), board(3, 2), board(4, 0, 3)]);
    const v = violations(events, 'overCapacity');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.updated', 'violation.closed']);
    expect(v[0]!.severity).toBe('critical');
    expect(v[0]!.startMs).toBe(T0 + 2000);
    expect(v[2]!.peakValue).toBe(13);
    expect(new Set(v.map((e) => e.id)).size).toBe(1);
  });

  it('is checked before departure too (attendant screen)', () => {
    expect(opened(run(makeCtx({ capacity: 5 }), [board(0, 6)]).events, 'overCapacity')).toHaveLength(1);
  });

  it('restart keeps the episode', () => {
    const ctx = makeCtx({ capacity: 2 });
    const a = run(ctx, [START, board(1, 3)]);
    const b = run(ctx, [board(2, 1), board(3, 0, 2)], deserializeState(serializeState(a.state)));
    expect(opened(b.events)).toHaveLength(0);
    expect(closed(b.events, 'overCapacity')[0]!.id).toBe(opened(a.events, 'overCapacity')[0]!.id);
  });
});

describe('R4 off-stop boarding', () => {
  const stops = [
    { id: 's1', sequence: 1, lat: ll(1000, 0)[1], lon: ll(1000, 0)[0] },
    { id: 's2', sequence: 2, lat: ll(3000, 0)[1], lon: ll(3000, 0)[0] },
  ];
  it('boarding within the stop radius (50 m) is fine, beyond it is an instant minor episode', () => {
    const ctx = makeCtx({ stops });
    const ok = run(ctx, [START, board(1, 2, 0, [1049, 0])]);
    expect(violations(ok.events, 'offStopBoarding')).toHaveLength(0);
    const bad = run(ctx, [START, board(1, 2, 0, [1051, 0], 'rec-9')]);
    expect(violations(bad.events, 'offStopBoarding').map((e) => e.type)).toEqual([
      'violation.opened',
      'violation.closed',
    ]);
    expect(opened(bad.events)[0]!.severity).toBe('minor');
    expect(opened(bad.events)[0]!.evidence.nearestStopId).toBe('s1');
  });

  it('door opened off-stop lasts while the door is open; at a stop it is fine', () => {
    const ctx = makeCtx({ stops });
    const { events } = run(ctx, [
      START,
      fixIn(fix(0, 1000, 0, 0, { doorOpen: true })),
      fixIn(fix(1, 1000, 0, 0, { doorOpen: false })),
      fixIn(fix(60, 2000, 0, 0, { doorOpen: true })),
      fixIn(fix(61, 2000, 0, 0, { doorOpen: true })),
      fixIn(fix(90, 2000, 0, 0, { doorOpen: false })),
    ]);
    const v = violations(events, 'offStopBoarding');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.closed']);
    expect(v[1]!.endMs! - v[1]!.startMs).toBe(30_000);
  });
});
