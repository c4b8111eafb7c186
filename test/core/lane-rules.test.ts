// Issue 12 rules in the pure engine: trip progress names the stop the bus is at and the stops remaining (never
// empty while stops remain), passages inferred between sparse fixes, stopSkipped, fatigue carried across trips
// per driver, a card read before the trip checked at its start, phone/partner back-fill. Timelines and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngineEvent, ProgressEvent, StopEvent } from '../../src/core/events';
import type { EngineInput } from '../../src/core/inputs';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { inferPassages } from '../../src/core/rules/stop-passage';
import { closed, fix, fixIn, GOOD_DRIVER, ll, makeCtx, opened, run, START, T0, violations } from './helpers';

const stopAt = (id: string, seq: number, x: number, riders?: number) => ({
  id,
  sequence: seq,
  name: id,
  lat: ll(x, 0)[1],
  lon: ll(x, 0)[0],
  riders,
});
const STOPS = [
  stopAt('A', 1, 0),
  stopAt('B', 2, 1000),
  stopAt('C', 3, 2000),
  stopAt('D', 4, 3000),
  stopAt('S', 5, 4000),
];
const progress = (ev: EngineEvent[]) => ev.filter((e): e is ProgressEvent => e.type === 'trip.progress');
const stopEv = (ev: EngineEvent[]) => ev.filter((e): e is StopEvent => e.type.startsWith('stop.'));

describe('trip progress while dwelling', () => {
  it('dwelling at stop k keeps k…n remaining, with the stop named; k leaves the list at its departure', () => {
    const ctx = makeCtx({ stops: STOPS, lengthM: 4200 });
    const inputs: EngineInput[] = [START];
    let t = 0;
    for (let x = 0; x <= 1960; x += 10) inputs.push(fixIn(fix(t++, x, 0, 36)));
    const dwellFrom = inputs.length;
    for (let i = 0; i < 60; i++) inputs.push(fixIn(fix(t++, 1995 + (i % 4), 0, 0)));
    const dwellTo = inputs.length;
    for (let x = 2010; x <= 2200; x += 10) inputs.push(fixIn(fix(t++, x, 0, 36)));
    const before = run(ctx, inputs.slice(0, dwellFrom));
    const during = run(ctx, inputs.slice(dwellFrom, dwellTo), before.state);
    const after = run(ctx, inputs.slice(dwellTo), during.state);
    const dwelling = progress(during.events);
    expect(dwelling.length).toBeGreaterThan(5);
    for (const p of dwelling) {
      expect(p.atStopId).toBe('C');
      expect(p.remainingStopIds).toEqual(['C', 'D', 'S']);
      expect(p.nextStopId).toBe('D');
    }
    expect(stopEv(after.events).map((e) => `${e.type}:${e.stopId}`)).toEqual(['stop.departed:C']);
    const departedAt = after.events.findIndex((e) => e.type === 'stop.departed');
    const left = progress(after.events.slice(departedAt));
    expect(left[0]!.atStopId).toBeNull();
    expect(left.at(-1)!.remainingStopIds).toEqual(['D', 'S']);
  });

  it('property: the remaining-stop list is a suffix of the route (after the stop being served) and empties only once the last stop is departed or passed', () => {
    const ctx = makeCtx({ stops: STOPS, lengthM: 4200 });
    const ids = STOPS.map((s) => s.id);
    const legArb = fc.record({
      dtS: fc.integer({ min: 1, max: 70 }),
      speedKph: fc.integer({ min: 0, max: 60 }),
      dwell: fc.integer({ min: 0, max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(legArb, { minLength: 5, maxLength: 150 }), (legs) => {
        const inputs: EngineInput[] = [START];
        let t = 0;
        let x = 0;
        for (const l of legs) {
          for (let d = 0; d <= l.dwell; d++) {
            t += l.dtS;
            if (d === 0) x = Math.min(4150, x + (l.speedKph / 3.6) * l.dtS);
            inputs.push(fixIn(fix(t, x, 0, d === 0 ? l.speedKph : 0)));
          }
        }
        const { events } = run(ctx, inputs);
        let lastDone = false;
        for (const e of events) {
          if ((e.type === 'stop.departed' || e.type === 'stop.missed') && e.stopId === 'S') lastDone = true;
          if (e.type !== 'trip.progress') continue;
          const rem = e.remainingStopIds;
          if (rem.length === 0) expect(lastDone).toBe(true);
          else expect(lastDone).toBe(false);
          const from = e.atStopId ? 1 : 0;
          if (e.atStopId) expect(rem[0]).toBe(e.atStopId);
          const tail = rem.slice(from);
          expect(tail).toEqual(ids.slice(ids.length - tail.length));
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('sparse reporting', () => {
  const riders = [stopAt('A', 1, 0), stopAt('B', 2, 1000, 3), stopAt('C', 3, 2000, 0), stopAt('S', 4, 3000)];

  it('a stop between two fixes a minute apart is arrived at and departed (inferred), at times between the fixes', () => {
    const ctx = makeCtx({ stops: riders, lengthM: 3200 });
    // 40 km/h all along: drives through B (children wait there) → stopSkipped; C has nobody → no violation.
    const { events } = run(ctx, [
      START,
      fixIn(fix(0, 0, 0, 40)),
      fixIn(fix(60, 660, 0, 40)),
      fixIn(fix(120, 1330, 0, 40)),
      fixIn(fix(180, 2000 + 660, 0, 40)),
    ]);
    const s = stopEv(events);
    expect(s.map((e) => `${e.type}:${e.stopId}`)).toEqual([
      'stop.arrived:A',
      'stop.departed:A',
      'stop.arrived:B',
      'stop.departed:B',
      'stop.arrived:C',
      'stop.departed:C',
    ]);
    const b = s.find((e) => e.type === 'stop.arrived' && e.stopId === 'B')!;
    expect(b.inferred).toBe(true);
    expect(b.stopped).toBe(false);
    // 950 m (radius entry) at 40 km/h from 660 m at 60 s: 26.1 s later.
    expect(b.arrivedMs! - T0).toBeCloseTo(60_000 + ((950 - 660) / (40 / 3.6)) * 1000, -3);
    const skipped = opened(events, 'stopSkipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!).toMatchObject({ severity: 'minor', evidence: { stopId: 'B', riders: 3, inferred: true } });
  });

  it('the time between two fixes beyond the drive time is a stop there: no stopSkipped', () => {
    const ctx = makeCtx({ stops: riders, lengthM: 3200 });
    // 660 m → 1330 m takes 60 s at 40 km/h; here it takes 110 s: the bus stood at B.
    const { events } = run(ctx, [
      START,
      fixIn(fix(0, 0, 0, 40)),
      fixIn(fix(60, 660, 0, 40)),
      fixIn(fix(170, 1330, 0, 40)),
    ]);
    const b = stopEv(events).filter((e) => e.stopId === 'B');
    expect(b.map((e) => e.type)).toEqual(['stop.arrived', 'stop.departed']);
    expect(b[0]!.stopped).toBe(true);
    expect(b[1]!.dwellS!).toBeGreaterThan(30);
    expect(violations(events, 'stopSkipped')).toHaveLength(0);
  });

  it('dense fixes: driving through a stop where children wait is stopSkipped; stopping there is not', () => {
    const ctx = makeCtx({ stops: riders, lengthM: 3200 });
    const through: EngineInput[] = [START];
    for (let x = 0, t = 0; x <= 1300; x += 10, t++) through.push(fixIn(fix(t, x, 0, 36)));
    expect(opened(run(ctx, through).events, 'stopSkipped').map((e) => e.evidence.stopId)).toEqual(['B']);
    const served: EngineInput[] = [START];
    let t = 0;
    for (let x = 0; x <= 990; x += 10) served.push(fixIn(fix(t++, x, 0, 36)));
    for (let i = 0; i < 20; i++) served.push(fixIn(fix(t++, 995, 0, 0)));
    for (let x = 1000; x <= 1300; x += 10) served.push(fixIn(fix(t++, x, 0, 36)));
    expect(violations(run(ctx, served).events, 'stopSkipped')).toHaveLength(0);
  });

  it('property: inferred passages are ordered along the route, between the two fixes’ times, departures after arrivals', () => {
    const arb = fc.record({
      gapS: fc.integer({ min: 11, max: 300 }),
      fromM: fc.double({ min: 0, max: 5000, noNaN: true }),
      spanM: fc.double({ min: 50, max: 3000, noNaN: true }),
      va: fc.option(fc.double({ min: 0, max: 90, noNaN: true }), { nil: null }),
      vb: fc.option(fc.double({ min: 0, max: 90, noNaN: true }), { nil: null }),
      cuts: fc.array(fc.double({ min: 0.01, max: 0.99, noNaN: true }), { minLength: 1, maxLength: 6 }),
      riders: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const a = { timeMs: T0, alongM: c.fromM, speedKph: c.va };
        const b = { timeMs: T0 + c.gapS * 1000, alongM: c.fromM + c.spanM, speedKph: c.vb };
        const stops = [...c.cuts]
          .sort((x, y) => x - y)
          .map((f, i) => ({ alongM: c.fromM + f * c.spanM, radiusM: 50, departRadiusM: 70, riders: c.riders[i]! }));
        const out = inferPassages(a, b, stops, CN_2012.stops);
        expect(out).toHaveLength(stops.length);
        expect(out.filter((p) => p.stopped).length).toBeLessThanOrEqual(1);
        for (let i = 0; i < out.length; i++) {
          const p = out[i]!;
          expect(p.arrivedMs).toBeGreaterThanOrEqual(a.timeMs);
          expect(p.departedMs).toBeLessThanOrEqual(b.timeMs);
          expect(p.departedMs).toBeGreaterThanOrEqual(p.arrivedMs);
          if (i > 0) expect(p.arrivedMs).toBeGreaterThanOrEqual(out[i - 1]!.arrivedMs);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('R5 fatigue carried per driver', () => {
  /** one fix a minute from `fromMin`, moving at 30 km/h */
  function driveMinutes(fromMin: number, toMin: number): EngineInput[] {
    const out: EngineInput[] = [];
    for (let m = fromMin; m <= toMin; m++) out.push(fixIn(fix(m * 60, (m * 500) % 15_000, 0, 30)));
    return out;
  }

  it('a block driven on an earlier trip continues: fatigue opens at 4 h of the driver’s driving, in this trip', () => {
    const ctx = {
      ...makeCtx(),
      fatigueCarry: { d1: { drivingSinceMs: T0 - 150 * 60_000, stoppedSinceMs: null, lastMs: T0 - 5 * 60_000 } },
    };
    const { events, state } = run(ctx, [START, ...driveMinutes(0, 100)]);
    expect(opened(events, 'fatiguePreWarning')[0]!.startMs).toBe(T0 + 75 * 60_000);
    expect(opened(events, 'fatigue')[0]!.startMs).toBe(T0 + 90 * 60_000);
    // Handed back at the end of the trip for the next one.
    const end = run(ctx, [{ type: 'tripEnd', timeMs: T0 + 101 * 60_000 }], state).events.find(
      (e) => e.type === 'driver.fatigue',
    );
    expect(end).toMatchObject({ driverId: 'd1', drivingSinceMs: T0 - 150 * 60_000, lastMs: T0 + 100 * 60_000 });
  });

  it('a break of 20 minutes or more between the trips is a rest; another driver’s block is not taken', () => {
    const rested = {
      ...makeCtx(),
      fatigueCarry: { d1: { drivingSinceMs: T0 - 150 * 60_000, stoppedSinceMs: null, lastMs: T0 - 21 * 60_000 } },
    };
    expect(violations(run(rested, [START, ...driveMinutes(0, 100)]).events)).toHaveLength(0);
    const other = {
      ...makeCtx(),
      fatigueCarry: { d9: { drivingSinceMs: T0 - 150 * 60_000, stoppedSinceMs: null, lastMs: T0 - 5 * 60_000 } },
    };
    expect(violations(run(other, [START, ...driveMinutes(0, 100)]).events)).toHaveLength(0);
  });
});

describe('R6 card read before the trip', () => {
  const card = (extra: Partial<Extract<EngineInput, { type: 'driverCard' }>>): EngineInput => ({
    type: 'driverCard',
    timeMs: T0 - 300_000,
    inserted: true,
    certificateNo: 'Q1',
    ...extra,
  });

  it('an expired certificate on the card opens driverCredentials at trip start', () => {
    const { events } = run(makeCtx(), [card({ certificateExpiry: '2024-12-31' }), START]);
    const o = opened(events, 'driverCredentials');
    expect(o).toHaveLength(1);
    expect(o[0]!.startMs).toBe(T0);
    expect(o[0]!.evidence).toMatchObject({ failures: ['certificate_expired'], trigger: 'tripStart', driverId: 'd1' });
  });

  it('a valid card opens nothing; a failed read is reported at trip start', () => {
    expect(violations(run(makeCtx(), [card({ certificateExpiry: '2027-01-01' }), START]).events)).toHaveLength(0);
    const failed = opened(run(makeCtx(), [card({ readResult: 2 }), START]).events, 'driverCredentials');
    expect(failed[0]!.evidence.failures).toEqual(['card_read_failed']);
    // Card taken out before the start: the assigned driver is presumed, as before.
    expect(
      violations(
        run(makeCtx({ drivers: [GOOD_DRIVER] }), [
          card({ certificateExpiry: '2024-12-31' }),
          { type: 'driverCard', timeMs: T0 - 1000, inserted: false },
          START,
        ]).events,
      ),
    ).toHaveLength(0);
  });
});

describe('R7 back-fill from phones and partners', () => {
  const tick = (tS: number): EngineInput => ({ type: 'tick', nowMs: T0 + tS * 1000 });
  const live = (tS: number, x: number) => fixIn(fix(tS, x, 0, 30, { receivedMs: T0 + tS * 1000 + 800 }));

  it('fixes uploaded after a gap with device times well behind receipt: coverage loss of the real length', () => {
    const inputs: EngineInput[] = [START, live(0, 0), tick(310), tick(360)];
    for (let s = 5; s < 360; s += 5) inputs.push(fixIn(fix(s, s * 8, 0, 30, { receivedMs: T0 + 361_000 })));
    inputs.push(live(362, 2900));
    const { events } = run(makeCtx(), inputs);
    const v = violations(events, 'deviceOffline');
    expect(v[0]!.type).toBe('violation.opened');
    const c = closed(events, 'deviceOffline');
    expect(c).toHaveLength(1);
    expect(c[0]!.severity).toBe('minor');
    expect(c[0]!.evidence.cause).toBe('coverageLoss');
    expect(c[0]!.startMs).toBe(T0);
    expect(c[0]!.endMs).toBe(T0 + 361_000);
  });

  it('a partner that always forwards 90 s late never looks offline', () => {
    const inputs: EngineInput[] = [START];
    for (let s = 0; s <= 900; s += 10) {
      inputs.push(fixIn(fix(s, s * 8, 0, 30, { receivedMs: T0 + (s + 90) * 1000 })));
      if (s % 60 === 0) inputs.push(tick(s + 90));
    }
    expect(violations(run(makeCtx(), inputs).events, 'deviceOffline')).toHaveLength(0);
  });
});
