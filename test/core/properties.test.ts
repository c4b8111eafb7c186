import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stepMany } from '../../src/core/engine';
import { createState, deserializeState, serializeState } from '../../src/core/state';
import type { EngineInput } from '../../src/core/inputs';
import { makeCtx, fix, fixIn, START, run, opened, violations } from './helpers';

const ctx = makeCtx({ lengthM: 20_000 });

/** A trace that follows the straight route with lateral noise; speeds and steps from the arbitrary. */
const traceArb = fc.array(
  fc.record({
    dtS: fc.integer({ min: 1, max: 30 }),
    speedKph: fc.double({ min: 0, max: 60, noNaN: true }),
    lateralM: fc.double({ min: -95, max: 95, noNaN: true }),
  }),
  { minLength: 5, maxLength: 120 },
);

function toInputs(steps: { dtS: number; speedKph: number; lateralM: number }[]): EngineInput[] {
  const out: EngineInput[] = [START];
  let t = 0;
  let x = 0;
  for (const s of steps) {
    t += s.dtS;
    x = Math.min(19_900, x + (s.speedKph / 3.6) * s.dtS);
    out.push(fixIn(fix(t, x, s.lateralM, s.speedKph)));
  }
  return out;
}

describe('properties', () => {
  it('a trace inside the corridor never deviates', () => {
    fc.assert(
      fc.property(traceArb, (steps) => {
        expect(violations(run(ctx, toInputs(steps)).events, 'routeDeviation')).toHaveLength(0);
      }),
      { numRuns: 150 },
    );
  });

  it('a trace at or under the limit never overspeeds (GPS speed)', () => {
    fc.assert(
      fc.property(traceArb, (steps) => {
        expect(violations(run(ctx, toInputs(steps)).events, 'overspeed')).toHaveLength(0);
      }),
      { numRuns: 150 },
    );
  });

  it('episode counts and ids are the same one by one, in batches, and across checkpoints', () => {
    const mixed = fc.array(
      fc.record({
        dtS: fc.integer({ min: 1, max: 20 }),
        speedKph: fc.double({ min: 0, max: 90, noNaN: true }),
        lateralM: fc.double({ min: -200, max: 200, noNaN: true }),
      }),
      { minLength: 5, maxLength: 150 },
    );
    fc.assert(
      fc.property(mixed, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }), (steps, cuts) => {
        const inputs = toInputs(steps);
        const oneByOne = run(ctx, inputs).events;
        const batched = [] as typeof oneByOne;
        let state = createState();
        let i = 0;
        let c = 0;
        while (i < inputs.length) {
          const n = cuts[c++ % cuts.length]!;
          const r = stepMany(state, inputs.slice(i, i + n), ctx);
          batched.push(...r.events);
          state = deserializeState(serializeState(r.state)); // checkpoint between batches
          i += n;
        }
        expect(opened(batched).map((e) => e.id)).toEqual(opened(oneByOne).map((e) => e.id));
        expect(batched).toEqual(oneByOne);
      }),
      { numRuns: 100 },
    );
  });
});
