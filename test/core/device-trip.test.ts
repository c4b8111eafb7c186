import { describe, expect, it } from 'vitest';
import { deserializeState, serializeState } from '../../src/core/state';
import { makeCtx, fix, fixIn, START, run, opened, closed, violations, T0 } from './helpers';
import type { EngineInput } from '../../src/core/inputs';

const tick = (tS: number): EngineInput => ({ type: 'tick', nowMs: T0 + tS * 1000 });

describe('R7 device offline, tamper, coverage loss', () => {
  it('offline after 5 min without position or heartbeat; not at 4:59; closes when the device is back', () => {
    const ctx = makeCtx();
    const base = [START, fixIn(fix(0, 0, 0, 30))];
    expect(violations(run(ctx, [...base, tick(299)]).events, 'deviceOffline')).toHaveLength(0);
    const { events } = run(ctx, [...base, tick(300), tick(360), fixIn(fix(400, 1000, 0, 30))]);
    const v = violations(events, 'deviceOffline');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.closed']);
    expect(v[0]!.startMs).toBe(T0);
    expect(v[1]!.endMs).toBe(T0 + 400_000);
    expect(v[1]!.evidence.cause).toBe('unknown');
  });

  it('heartbeats keep the device online', () => {
    const { events } = run(makeCtx(), [
      START,
      fixIn(fix(0, 0, 0, 0)),
      { type: 'heartbeat', timeMs: T0 + 200_000 },
      tick(400),
    ]);
    expect(violations(events, 'deviceOffline')).toHaveLength(0);
  });

  it('no offline episode outside an active trip', () => {
    expect(run(makeCtx(), [fixIn(fix(0, 0, 0, 0)), tick(1000)]).events).toHaveLength(0);
  });

  it('blind-area fixes back-filling the gap mark the episode as coverage loss', () => {
    const ctx = makeCtx();
    const { events, state } = run(ctx, [
      START,
      fixIn(fix(0, 0, 0, 30)),
      tick(400),
      fixIn(fix(600, 3000, 0, 30)),
      fixIn(fix(100, 800, 0, 30, { blindArea: true }), true),
      fixIn(fix(101, 810, 0, 30, { blindArea: true }), true),
    ]);
    const v = violations(events, 'deviceOffline');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.closed', 'violation.updated']);
    expect(v[2]!.evidence.cause).toBe('coverageLoss');
    expect(v[2]!.status).toBe('closed');
    expect(v[2]!.severity).toBe('minor');
    expect(state.device.lastOffline?.evidence.backfilledFixes).toBe(2);
  });

  it('tamper alarms open a major episode while present', () => {
    const { events } = run(makeCtx(), [
      START,
      fixIn(fix(0, 0, 0, 30, { alarms: ['gnssAntennaCut'] })),
      fixIn(fix(1, 10, 0, 30, { alarms: ['gnssAntennaCut', 'powerLost'] })),
      fixIn(fix(2, 20, 0, 30)),
    ]);
    const v = violations(events, 'deviceTampered');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.updated', 'violation.closed']);
    expect(v[1]!.evidence.alarms).toEqual(['gnssAntennaCut', 'powerLost']);
  });

  it('restart during an offline episode does not reopen it', () => {
    const ctx = makeCtx();
    const a = run(ctx, [START, fixIn(fix(0, 0, 0, 30)), tick(400)]);
    const b = run(ctx, [tick(460), tick(520), fixIn(fix(600, 10, 0, 30))], deserializeState(serializeState(a.state)));
    expect(opened(b.events)).toHaveLength(0);
    expect(closed(b.events, 'deviceOffline')[0]!.id).toBe(opened(a.events, 'deviceOffline')[0]!.id);
  });
});

describe('R8 unlicensed bus, R9 attendant, R11 emergency', () => {
  it('expired sign or inspection at trip start', () => {
    const ok = run(makeCtx(), [START]);
    expect(violations(ok.events, 'unlicensedBus')).toHaveLength(0);
    const bad = run(makeCtx({ bus: { signValidUntil: '2025-03-02' } }), [
      START,
      { type: 'tripEnd', timeMs: T0 + 1000, sweepConfirmed: true },
    ]);
    const v = violations(bad.events, 'unlicensedBus');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.closed']);
    expect(v[0]!.evidence.failures).toEqual(['sign_expired']);
    const insp = run(makeCtx({ bus: { inspectionValidUntil: '2025-01-01', signValidUntil: '2024-12-31' } }), [START]);
    expect(opened(insp.events, 'unlicensedBus')[0]!.evidence.failures).toEqual(['sign_expired', 'inspection_expired']);
  });

  it('no attendant at trip start; children left on board at trip end', () => {
    const none = run(makeCtx({ attendant: null }), [START]);
    expect(opened(none.events, 'noAttendant')[0]!.evidence.reason).toBe('not_assigned');
    const notIn = run(makeCtx({ attendant: { id: 'a1', checkedIn: false } }), [START]);
    expect(opened(notIn.events, 'noAttendant')[0]!.evidence.reason).toBe('not_checked_in');
    const left = run(makeCtx(), [
      START,
      { type: 'boarding', timeMs: T0 + 1, boarded: 3, alighted: 0 },
      { type: 'boarding', timeMs: T0 + 2, boarded: 0, alighted: 2 },
      { type: 'tripEnd', timeMs: T0 + 9, sweepConfirmed: true },
    ]);
    expect(opened(left.events, 'childLeftOnBoard')[0]!.severity).toBe('critical');
    const clean = run(makeCtx(), [
      START,
      { type: 'boarding', timeMs: T0 + 1, boarded: 3, alighted: 3 },
      { type: 'tripEnd', timeMs: T0 + 9, sweepConfirmed: true },
    ]);
    expect(violations(clean.events, 'childLeftOnBoard')).toHaveLength(0);
    const noSweep = run(makeCtx(), [START, { type: 'tripEnd', timeMs: T0 + 9, sweepConfirmed: false }]);
    expect(opened(noSweep.events, 'childLeftOnBoard')).toHaveLength(1);
  });

  it('SOS opens a critical episode at once, repeats keep it, a clear fix closes it', () => {
    const { events } = run(makeCtx(), [
      START,
      fixIn(fix(0, 0, 0, 0, { alarms: ['sos'] })),
      fixIn(fix(1, 0, 0, 0, { alarms: ['sos'] })),
      { type: 'alarm', timeMs: T0 + 1500, alarms: ['sos'], source: 'attendant' },
      fixIn(fix(2, 0, 0, 0)),
    ]);
    const v = violations(events, 'emergency');
    expect(v.map((e) => e.type)).toEqual(['violation.opened', 'violation.closed']);
    expect(v[0]!.severity).toBe('critical');
    expect(v[1]!.evidence.alarmCount).toBe(3);
  });

  it('trip end closes every open episode', () => {
    const { events, state } = run(makeCtx({ attendant: null, capacity: 1 }), [
      START,
      { type: 'boarding', timeMs: T0 + 1, boarded: 2, alighted: 0 },
      { type: 'tripEnd', timeMs: T0 + 9 },
    ]);
    const ids = new Set(opened(events).map((e) => e.id));
    const closedIds = new Set(closed(events).map((e) => e.id));
    for (const id of ids) expect(closedIds.has(id)).toBe(true);
    expect(state.trip.status).toBe('ended');
  });
});
