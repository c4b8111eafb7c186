import { describe, expect, it } from 'vitest';
import { checkDriver, requiredLicenceClass } from '../../src/core/rules/driver-credentials';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { deserializeState, serializeState } from '../../src/core/state';
import { GOOD_DRIVER, makeCtx, fix, fixIn, START, run, opened, closed, violations, T0 } from './helpers';
import type { EngineInput } from '../../src/core/inputs';

describe('R6 driver credentials', () => {
  it('licence class bands: ≤9 C1, 10–19 B1, >19 A1', () => {
    expect(requiredLicenceClass(9, CN_2012.driver)).toBe('C1');
    expect(requiredLicenceClass(10, CN_2012.driver)).toBe('B1');
    expect(requiredLicenceClass(19, CN_2012.driver)).toBe('B1');
    expect(requiredLicenceClass(20, CN_2012.driver)).toBe('A1');
  });

  it('each failed condition is reported', () => {
    const ctx = makeCtx({ seats: 30 });
    expect(checkDriver(GOOD_DRIVER, ctx, T0)).toEqual([]);
    const bad = {
      ...GOOD_DRIVER,
      id: 'd2',
      licenceClass: 'B1',
      birthDate: '2001-03-04',
      licensedSince: '2023-01-01',
      schoolBusEndorsement: false,
      qualificationExpiry: '2025-03-02',
      annualReviewDue: '2025-01-01',
    };
    expect(checkDriver(bad, ctx, T0).sort()).toEqual(
      [
        'age_out_of_range',
        'annual_review_overdue',
        'certificate_expired',
        'licence_class_mismatch',
        'licensed_too_recently',
        'no_school_bus_endorsement',
        'not_assigned_driver',
      ].sort(),
    );
    // age boundaries: 25 today is fine, 61 is not
    expect(checkDriver({ ...GOOD_DRIVER, birthDate: '2000-03-03' }, ctx, T0)).toEqual([]);
    expect(checkDriver({ ...GOOD_DRIVER, birthDate: '2000-03-04' }, ctx, T0)).toEqual(['age_out_of_range']);
    expect(checkDriver({ ...GOOD_DRIVER, birthDate: '1964-03-03' }, ctx, T0)).toEqual(['age_out_of_range']);
    expect(checkDriver({ ...GOOD_DRIVER, birthDate: '1964-03-04' }, ctx, T0)).toEqual([]);
  });

  it('a driving licence whose recorded validity has passed fails; the last valid day and an unrecorded one do not', () => {
    const ctx = makeCtx({});
    // T0 is 2025-03-03 local
    expect(checkDriver({ ...GOOD_DRIVER, licenceValidUntil: '2025-03-02' }, ctx, T0)).toEqual(['licence_expired']);
    expect(checkDriver({ ...GOOD_DRIVER, licenceValidUntil: '2025-03-03' }, ctx, T0)).toEqual([]);
    expect(checkDriver({ ...GOOD_DRIVER, licenceValidUntil: undefined }, ctx, T0)).toEqual([]);
  });

  it('trip start with an assigned driver whose licence expired opens a critical credentials episode', () => {
    const expired = { ...GOOD_DRIVER, licenceValidUntil: '2025-02-28' };
    const { events } = run(makeCtx({ assignedDriverId: 'd1', drivers: [expired] }), [START, fixIn(fix(5, 100, 0))]);
    const v = violations(events, 'driverCredentials');
    expect(v.map((e) => e.type)).toEqual(['violation.opened']);
    expect(v[0]!.severity).toBe('critical');
    expect(v[0]!.evidence.failures).toEqual(['licence_expired']);
    const ok = run(makeCtx({ assignedDriverId: 'd1', drivers: [GOOD_DRIVER] }), [START, fixIn(fix(5, 100, 0))]);
    expect(violations(ok.events, 'driverCredentials')).toEqual([]);
  });

  it('trip start with an unknown assigned driver opens a critical episode; a valid card closes it', () => {
    const ctx = makeCtx({ assignedDriverId: 'nobody', drivers: [GOOD_DRIVER, { ...GOOD_DRIVER, id: 'nobody2' }] });
    const { events } = run(ctx, [
      START,
      { type: 'driverCard', timeMs: T0 + 1000, inserted: true, certificateNo: 'Q1' },
    ]);
    const v = violations(events, 'driverCredentials');
    expect(v[0]!.type).toBe('violation.opened');
    expect(v[0]!.evidence.failures).toEqual(['unknown_driver']);
    // the card driver is valid but is not the assigned one
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.closed', 'violation.opened']);
    expect(v[2]!.evidence.failures).toEqual(['not_assigned_driver']);
  });

  it('unknown card and card read failure are reported at once', () => {
    const ctx = makeCtx();
    const { events } = run(ctx, [
      START,
      { type: 'driverCard', timeMs: T0 + 1000, inserted: true, certificateNo: 'nope' },
      { type: 'driverCard', timeMs: T0 + 2000, inserted: true, readResult: 2 },
    ]);
    expect(opened(events, 'driverCredentials').map((e) => e.evidence.failures)).toEqual([
      ['unknown_driver'],
      ['card_read_failed'],
    ]);
  });

  it('moving with no driver on duty (card removed) opens; inserting a card closes', () => {
    const ctx = makeCtx();
    const inputs: EngineInput[] = [START, { type: 'driverCard', timeMs: T0, inserted: false }];
    for (let t = 1; t <= 20; t++) inputs.push(fixIn(fix(t, t * 10, 0, 36)));
    inputs.push({ type: 'driverCard', timeMs: T0 + 21_000, inserted: true, certificateNo: 'Q1' });
    inputs.push(fixIn(fix(22, 220, 0, 36)));
    const { events } = run(ctx, inputs);
    expect(opened(events, 'noDriver')).toHaveLength(1);
    expect(closed(events, 'noDriver')).toHaveLength(1);
    expect(violations(events, 'driverCredentials')).toHaveLength(0);
  });
});

describe('R5 fatigue', () => {
  /** one fix per minute; moving except in the given rest windows (minutes) */
  function day(totalMin: number, rests: [number, number][]): EngineInput[] {
    const out: EngineInput[] = [START];
    let x = 0;
    for (let m = 0; m <= totalMin; m++) {
      const resting = rests.some(([a, b]) => m >= a && m < b);
      if (!resting) x += 500;
      out.push(fixIn(fix(m * 60, x % 15_000, 0, resting ? 0 : 30)));
    }
    return out;
  }
  it('pre-warning at 3 h 45 min, violation at 4 h of continuous driving', () => {
    const { events } = run(makeCtx(), day(250, []));
    expect(opened(events, 'fatiguePreWarning')).toHaveLength(1);
    expect(opened(events, 'fatiguePreWarning')[0]!.timeMs).toBe(T0 + 225 * 60_000);
    expect(opened(events, 'fatigue')).toHaveLength(1);
    expect(opened(events, 'fatigue')[0]!.timeMs).toBe(T0 + 240 * 60_000);
  });

  it('a 19-minute stop does not reset, a 20-minute stop does', () => {
    expect(opened(run(makeCtx(), day(255, [[100, 119]])).events, 'fatigue')).toHaveLength(1);
    expect(violations(run(makeCtx(), day(255, [[100, 121]])).events, 'fatigue')).toHaveLength(0);
  });

  it('a rest closes the episodes with the end at the start of the rest, and restart keeps them', () => {
    const ctx = makeCtx();
    const all = day(300, [[245, 270]]);
    const a = run(ctx, all.slice(0, 243));
    const b = run(ctx, all.slice(243), deserializeState(serializeState(a.state)));
    expect(opened(b.events)).toHaveLength(0);
    const c = closed(b.events, 'fatigue');
    expect(c).toHaveLength(1);
    expect(c[0]!.endMs).toBe(T0 + 245 * 60_000);
  });
});
