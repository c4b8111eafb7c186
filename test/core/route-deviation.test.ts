import { describe, expect, it } from 'vitest';
import { deserializeState, serializeState } from '../../src/core/state';
import { makeCtx, fix, fixIn, START, run, opened, closed, violations } from './helpers';
import type { EngineInput } from '../../src/core/inputs';

/** One fix per second at lateral offsets[i] metres from the path, moving 10 m/s along it. */
function lateral(offsets: number[], fromS = 0): EngineInput[] {
  return offsets.map((y, i) => fixIn(fix(fromS + i, (fromS + i) * 10, y, 36)));
}
const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe('R3 route deviation', () => {
  it('sustained 30 s and 3 fixes outside the corridor opens; back inside closes', () => {
    const { events } = run(makeCtx(), [START, ...lateral([...repeat(0, 5), ...repeat(150, 31), ...repeat(0, 3)])]);
    const o = opened(events, 'routeDeviation');
    expect(o).toHaveLength(1);
    expect(o[0]!.startMs).toBe(fix(5, 0, 0).timeMs);
    expect(o[0]!.timeMs - o[0]!.startMs).toBe(30_000);
    expect(o[0]!.peakValue).toBeCloseTo(150, 0);
    expect(closed(events, 'routeDeviation')[0]!.endMs).toBe(fix(36, 0, 0).timeMs);
  });

  it('just under the duration (29 s) does not open', () => {
    const { events } = run(makeCtx(), [START, ...lateral([...repeat(0, 5), ...repeat(150, 30), ...repeat(0, 3)])]);
    expect(violations(events, 'routeDeviation')).toHaveLength(0);
  });

  it('at the corridor edge (99.9 m, float-safe) is inside', () => {
    const { events } = run(makeCtx(), [START, ...lateral(repeat(99.9, 60))]);
    expect(violations(events, 'routeDeviation')).toHaveLength(0);
  });

  it('needs 3 fixes even when 30 s pass', () => {
    const inputs: EngineInput[] = [
      START,
      fixIn(fix(0, 0, 0, 36)),
      fixIn(fix(1, 10, 150, 36)),
      fixIn(fix(31, 300, 150, 36)),
    ];
    expect(violations(run(makeCtx(), inputs).events, 'routeDeviation')).toHaveLength(0);
    inputs.push(fixIn(fix(32, 310, 150, 36)));
    expect(opened(run(makeCtx(), inputs).events, 'routeDeviation')).toHaveLength(1);
  });

  it('jitter around the corridor edge never opens', () => {
    const jitter = Array.from({ length: 120 }, (_, i) => (i % 2 ? 104 : 96));
    expect(violations(run(makeCtx(), [START, ...lateral(jitter)]).events, 'routeDeviation')).toHaveLength(0);
  });

  it('an open episode ignores jitter in the re-enter margin and closes once, inside it', () => {
    const jitter = Array.from({ length: 60 }, (_, i) => (i % 2 ? 105 : 85));
    const { events } = run(makeCtx(), [
      START,
      ...lateral([...repeat(200, 35), ...jitter, ...repeat(79, 2), ...jitter]),
    ]);
    expect(opened(events, 'routeDeviation')).toHaveLength(1);
    expect(closed(events, 'routeDeviation')).toHaveLength(1);
    expect(closed(events, 'routeDeviation')[0]!.endMs).toBe(fix(95, 0, 0).timeMs);
  });

  it('a gap while off-route keeps one episode', () => {
    const inputs = [START, ...lateral(repeat(150, 40)), ...lateral(repeat(150, 10), 400), ...lateral([0, 0], 410)];
    const { events } = run(makeCtx(), inputs);
    expect(opened(events, 'routeDeviation')).toHaveLength(1);
    expect(closed(events, 'routeDeviation')).toHaveLength(1);
  });

  it('restart mid-episode continues the same id', () => {
    const ctx = makeCtx();
    const all = [START, ...lateral([...repeat(150, 50), ...repeat(0, 3)])];
    const a = run(ctx, all.slice(0, 40));
    const b = run(ctx, all.slice(40), deserializeState(serializeState(a.state)));
    expect(opened([...a.events, ...b.events], 'routeDeviation')).toHaveLength(1);
    expect(closed(b.events, 'routeDeviation')[0]!.id).toBe(opened(a.events, 'routeDeviation')[0]!.id);
    expect([...a.events, ...b.events]).toEqual(run(ctx, all).events);
  });
});
