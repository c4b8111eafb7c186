import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { step, stepInPlace, stepMany } from '../../src/core/engine';
import type { EngineEvent } from '../../src/core/events';
import type { EngineInput } from '../../src/core/inputs';
import { cloneState, createState, serializeState, type EngineState } from '../../src/core/state';
import type { TripContext } from '../../src/core/context';
import { fix, fixIn, GOOD_DRIVER, ll, makeCtx, START, T0 } from './helpers';

const stopAt = (id: string, seq: number, x: number, y = 0) => ({
  id,
  sequence: seq,
  name: id,
  lat: ll(x, y)[1],
  lon: ll(x, y)[0],
});
const square = (cx: number, cy: number, size: number): [number, number][] => {
  const h = size / 2;
  return [ll(cx - h, cy - h), ll(cx + h, cy - h), ll(cx + h, cy + h), ll(cx - h, cy + h), ll(cx - h, cy - h)];
};

// Contexts that reach every rule in short traces: stops, posted / hazard / expressway zones, short
// fatigue limits, a missing attendant, an unknown assigned driver.
const contexts: TripContext[] = [
  makeCtx({
    lengthM: 5000,
    stops: [stopAt('A', 1, 400), stopAt('B', 2, 1200, 30), stopAt('C', 3, 2500), stopAt('S', 4, 4500)],
    zones: [
      { id: 'z40', polygon: square(800, 0, 600), postedLimitKph: 40 },
      { id: 'zh', polygon: square(2000, 0, 400), hazard: true },
      { id: 'zx', polygon: square(3500, 0, 1500), roadClass: 'expressway' },
    ],
    config: { fatigue: { preWarningS: 40, maxContinuousDrivingS: 90, restS: 120 }, device: { offlineAfterS: 60 } },
    capacity: 12,
  }),
  makeCtx({ lengthM: 5000, attendant: null, assignedDriverId: 'nobody', config: { progress: { emitEveryS: 0 } } }),
];

const X_MAX = 4900;

type Step =
  | {
      k: 'fix';
      dtS: number;
      dxM: number;
      lateralM: number;
      speedKph: number | null;
      alarms: string[];
      door: boolean | null;
      blind: boolean;
      late: boolean;
    }
  | { k: 'drive'; n: number; dtS: number; speedKph: number; lateralM: number }
  | { k: 'heartbeat'; dtS: number }
  | { k: 'tick'; dtS: number }
  | { k: 'card'; dtS: number; inserted: boolean; who: 'd1' | 'stranger' | 'cert' | 'bad-read' }
  | { k: 'boarding'; dtS: number; boarded: number; alighted: number; offStop: boolean }
  | { k: 'alarm'; dtS: number }
  | { k: 'start'; dtS: number }
  | { k: 'end'; dtS: number; sweep: boolean | null };

const dt = fc.integer({ min: -5, max: 40 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('fix' as const),
      dtS: dt,
      dxM: fc.integer({ min: -50, max: 400 }),
      lateralM: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -400, max: 400 })),
      speedKph: fc.option(fc.double({ min: 0, max: 110, noNaN: true }), { nil: null }),
      alarms: fc.subarray(['sos', 'overspeed', 'powerLost', 'gnssAntennaCut']),
      door: fc.option(fc.boolean(), { nil: null }),
      blind: fc.boolean(),
      late: fc.boolean(),
    }),
  },
  {
    // a sustained stretch: consecutive fixes at one speed and one offset from the path
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('drive' as const),
      n: fc.integer({ min: 2, max: 40 }),
      dtS: fc.integer({ min: 1, max: 10 }),
      speedKph: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 100, noNaN: true })),
      lateralM: fc.oneof(fc.constant(0), fc.integer({ min: -300, max: 300 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('heartbeat' as const), dtS: dt }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('tick' as const), dtS: fc.integer({ min: 0, max: 400 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('card' as const),
      dtS: dt,
      inserted: fc.boolean(),
      who: fc.constantFrom('d1' as const, 'stranger' as const, 'cert' as const, 'bad-read' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('boarding' as const),
      dtS: dt,
      boarded: fc.integer({ min: 0, max: 15 }),
      alighted: fc.integer({ min: 0, max: 6 }),
      offStop: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('alarm' as const), dtS: dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('start' as const), dtS: dt }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('end' as const), dtS: dt, sweep: fc.option(fc.boolean(), { nil: null }) }),
  },
);

function toInputs(steps: Step[]): EngineInput[] {
  const out: EngineInput[] = [];
  let t = 0;
  let x = 0;
  for (const s of steps) {
    t = Math.max(0, t + s.dtS);
    const timeMs = T0 + t * 1000;
    switch (s.k) {
      case 'fix': {
        x = Math.min(X_MAX, Math.max(0, x + s.dxM));
        const alarms = s.alarms;
        const extra = {
          alarms,
          ...(s.door !== null ? { doorOpen: s.door } : {}),
          ...(s.blind ? { blindArea: true } : {}),
        };
        out.push(fixIn(fix(t, x, s.lateralM, s.speedKph ?? undefined, extra), s.late || undefined));
        break;
      }
      case 'drive':
        for (let i = 0; i < s.n; i++) {
          if (i > 0) t += s.dtS;
          x = Math.min(X_MAX, x + (s.speedKph / 3.6) * s.dtS);
          out.push(fixIn(fix(t, x, s.lateralM, s.speedKph)));
        }
        break;
      case 'heartbeat':
        out.push({ type: 'heartbeat', timeMs });
        break;
      case 'tick':
        out.push({ type: 'tick', nowMs: timeMs });
        break;
      case 'card':
        out.push(
          s.who === 'd1'
            ? { type: 'driverCard', timeMs, inserted: s.inserted, driverId: GOOD_DRIVER.id }
            : s.who === 'cert'
              ? {
                  type: 'driverCard',
                  timeMs,
                  inserted: s.inserted,
                  certificateNo: 'Q1',
                  certificateExpiry: '2020-01-01',
                }
              : s.who === 'bad-read'
                ? { type: 'driverCard', timeMs, inserted: s.inserted, readResult: 1 }
                : { type: 'driverCard', timeMs, inserted: s.inserted, idCardNo: 'nope' },
        );
        break;
      case 'boarding': {
        const [lon, lat] = ll(s.offStop ? x + 300 : 400, 0);
        out.push({
          type: 'boarding',
          timeMs,
          boarded: s.boarded,
          alighted: s.alighted,
          lat,
          lon,
          recordId: `r${out.length}`,
        });
        break;
      }
      case 'alarm':
        out.push({ type: 'alarm', timeMs, alarms: ['sos'], lat: ll(x, 0)[1], lon: ll(x, 0)[0] });
        break;
      case 'start':
        out.push({ type: 'tripStart', timeMs });
        break;
      case 'end':
        out.push(s.sweep === null ? { type: 'tripEnd', timeMs } : { type: 'tripEnd', timeMs, sweepConfirmed: s.sweep });
        break;
    }
  }
  return out;
}

// Traces: mostly started trips with fixes; sometimes no explicit start (auto start, or none).
const traceArb = fc.record({
  ctxIdx: fc.integer({ min: 0, max: contexts.length - 1 }),
  explicitStart: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 200 }),
});

function inputsOf(tr: { explicitStart: boolean; steps: Step[] }): EngineInput[] {
  return tr.explicitStart ? [START, ...toInputs(tr.steps)] : toInputs(tr.steps);
}

/** step one input at a time, checking afterwards that no input state was modified. */
function runWithStep(ctx: TripContext, inputs: EngineInput[]): { state: EngineState; events: EngineEvent[] } {
  const held: { state: EngineState; json: string }[] = [];
  const events: EngineEvent[] = [];
  let s = createState();
  for (const input of inputs) {
    held.push({ state: s, json: serializeState(s) });
    const r = step(s, input, ctx);
    s = r.state;
    events.push(...r.events);
  }
  for (const h of held) expect(serializeState(h.state)).toBe(h.json);
  return { state: s, events };
}

describe('stepInPlace (the mutating fast path) against step', () => {
  it('gives the same events and the same final state over random traces', () => {
    fc.assert(
      fc.property(traceArb, (tr) => {
        const ctx = contexts[tr.ctxIdx]!;
        const inputs = inputsOf(tr);
        const ref = runWithStep(ctx, inputs);

        const s = createState();
        const events: EngineEvent[] = [];
        for (const input of inputs) stepInPlace(s, input, ctx, events);
        expect(events).toEqual(ref.events);
        expect(s).toEqual(ref.state);
        expect(serializeState(s)).toBe(serializeState(ref.state));

        const many = stepMany(createState(), inputs, ctx);
        expect(many.events).toEqual(ref.events);
        expect(many.state).toEqual(ref.state);
      }),
      { numRuns: 300 },
    );
  });

  it('mixing step and stepInPlace on a copy leaves every earlier snapshot intact', () => {
    fc.assert(
      fc.property(traceArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), (tr, modes) => {
        const ctx = contexts[tr.ctxIdx]!;
        const inputs = inputsOf(tr);
        const ref = runWithStep(ctx, inputs);

        const held: { state: EngineState; json: string }[] = [];
        const events: EngineEvent[] = [];
        let s = createState();
        let owned = false;
        inputs.forEach((input, i) => {
          if (modes[i % modes.length]) {
            // in place on a top-level copy of a state that shares sub-states with the snapshots
            if (!owned) {
              s = cloneState(s);
              owned = true;
            }
            stepInPlace(s, input, ctx, events);
          } else {
            held.push({ state: s, json: serializeState(s) });
            const r = step(s, input, ctx);
            s = r.state;
            owned = false;
            events.push(...r.events);
          }
        });
        expect(events).toEqual(ref.events);
        expect(s).toEqual(ref.state);
        for (const h of held) expect(serializeState(h.state)).toBe(h.json);
      }),
      { numRuns: 200 },
    );
  });

  it('step returns the input state itself when an input changes nothing', () => {
    const ctx = contexts[0]!;
    const s0 = createState();
    const r = step(s0, { type: 'tick', nowMs: T0 }, ctx);
    expect(r.state).toBe(s0);
    expect(r.events).toEqual([]);
    const started = step(s0, START, ctx).state;
    expect(started).not.toBe(s0);
    expect(s0).toEqual(createState());
    expect(step(started, { type: 'alarm', timeMs: T0, alarms: ['gnssFault'] }, ctx).state).toBe(started);
  });

  it('the random traces reach the rules (the property is not vacuous)', () => {
    const kinds = new Set<string>();
    fc.assert(
      fc.property(traceArb, (tr) => {
        for (const e of runWithStep(contexts[tr.ctxIdx]!, inputsOf(tr)).events)
          kinds.add('kind' in e ? `${e.type}:${e.kind}` : e.type);
      }),
      { numRuns: 300, seed: 1 },
    );
    for (const k of [
      'trip.progress',
      'stop.arrived',
      'violation.opened:overspeed',
      'violation.opened:routeDeviation',
      'violation.opened:fatigue',
      'violation.opened:deviceOffline',
      'violation.opened:emergency',
      'violation.opened:overCapacity',
      'violation.opened:offStopBoarding',
      'violation.opened:driverCredentials',
      'violation.opened:deviceTampered',
      'trip.ended',
    ]) {
      expect(kinds, k).toContain(k);
    }
  });
});
