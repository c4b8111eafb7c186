// Who got on and off where: timelines of attendant records in, findings and episodes out; and a property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RiderFindingEvent } from '../../src/core/events';
import type { EngineInput } from '../../src/core/inputs';
import { deserializeState, serializeState } from '../../src/core/state';
import { ll, makeCtx, opened, run, START, T0 } from './helpers';

const stops = [
  { id: '11', sequence: 1, lat: ll(1000, 0)[1], lon: ll(1000, 0)[0] },
  { id: '12', sequence: 2, lat: ll(3000, 0)[1], lon: ll(3000, 0)[0] },
  { id: '13', sequence: 3, lat: ll(5000, 0)[1], lon: ll(5000, 0)[0] }, // the school (morning route)
];
const ctx = () => ({ ...makeCtx({ stops }), riderStops: { '101': '11', '102': '12' }, schoolStopIds: ['13'] });

const rec = (
  tS: number,
  who: { studentId?: string; unknownCardId?: string },
  where: { stopId?: string; atM?: number },
  boarded = true,
  recordId = `r${tS}`,
): EngineInput => {
  const pos = where.atM !== undefined ? ll(where.atM, 0) : undefined;
  return {
    type: 'boarding',
    timeMs: T0 + tS * 1000,
    boarded: boarded ? 1 : 0,
    alighted: boarded ? 0 : 1,
    ...(where.stopId !== undefined ? { stopId: where.stopId } : {}),
    ...(pos ? { lon: pos[0], lat: pos[1] } : {}),
    recordId,
    ...who,
  };
};
const findings = (events: { type: string }[]) =>
  events.filter((e): e is RiderFindingEvent => e.type === 'rider.finding');

describe('rider check (wrong bus, wrong stop, unknown card)', () => {
  it('a child who does not ride this route: a finding per record, one wrong-bus episode per trip', () => {
    const { events } = run(ctx(), [
      START,
      rec(10, { studentId: '999' }, { stopId: '11' }),
      rec(20, { studentId: '999' }, { stopId: '13' }, false),
    ]);
    expect(findings(events).map((f) => [f.kind, f.recordId, f.studentId])).toEqual([
      ['wrongBus', 'r10', '999'],
      ['wrongBus', 'r20', '999'],
    ]);
    const eps = opened(events, 'wrongBus');
    expect(eps).toHaveLength(1);
    expect(eps[0]!.severity).toBe('minor');
    expect(eps[0]!.evidence).toMatchObject({ studentId: 999, stopId: 11, recordId: 'r10' });
  });

  it('a rider at a stop not theirs is a wrong stop; at their own stop or at the school it is not', () => {
    const { events } = run(ctx(), [
      START,
      rec(10, { studentId: '101' }, { stopId: '11' }), // own stop
      rec(20, { studentId: '102' }, { stopId: '11' }), // not theirs
      rec(30, { studentId: '101' }, { stopId: '13' }, false), // the school
    ]);
    expect(findings(events).map((f) => [f.kind, f.studentId, f.stopId, f.assignedStopId])).toEqual([
      ['wrongStop', '102', '11', '12'],
    ]);
    expect(opened(events, 'wrongStop')).toHaveLength(1);
  });

  it('the stop of a record without one is the stop whose radius holds its position', () => {
    const inside = run(ctx(), [START, rec(10, { studentId: '102' }, { atM: 1020 })]);
    expect(findings(inside.events)[0]).toMatchObject({ kind: 'wrongStop', stopId: '11' });
    const between = run(ctx(), [START, rec(10, { studentId: '102' }, { atM: 2000 })]);
    expect(findings(between.events)).toHaveLength(0);
  });

  it('an unknown card: a finding per read, one episode per card; its severity comes from the preset', () => {
    const c = ctx();
    c.config = { ...c.config, riders: { ...c.config.riders, unknownCardSeverity: 'major' } };
    const { events } = run(c, [
      START,
      rec(10, { unknownCardId: 'X1' }, { stopId: '11' }),
      rec(20, { unknownCardId: 'X1' }, { stopId: '12' }, false),
      rec(30, { unknownCardId: 'X2' }, { stopId: '12' }),
    ]);
    expect(findings(events).map((f) => f.cardId)).toEqual(['X1', 'X1', 'X2']);
    expect(opened(events, 'unknownCard').map((e) => [e.evidence.cardId, e.severity])).toEqual([
      ['X1', 'major'],
      ['X2', 'major'],
    ]);
  });

  it('a restart keeps what was reported: no second episode for the same child', () => {
    const c = ctx();
    const a = run(c, [START, rec(10, { studentId: '999' }, { stopId: '11' })]);
    const b = run(c, [rec(20, { studentId: '999' }, { stopId: '12' })], deserializeState(serializeState(a.state)));
    expect(findings(b.events)).toHaveLength(1);
    expect(opened(b.events, 'wrongBus')).toHaveLength(0);
  });

  it('records synced after the trip ended are still checked', () => {
    const { events } = run(ctx(), [START, { type: 'tripEnd', timeMs: T0 + 60_000 }, rec(90, { studentId: '999' }, {})]);
    expect(opened(events, 'wrongBus')).toHaveLength(1);
  });

  it('property: riders at their own stop or at the school never yield a finding; strangers always do', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.constantFrom('101', '102', '555'),
            at: fc.constantFrom('own', 'school'),
            boarded: fc.boolean(),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        (records) => {
          const c = ctx();
          const inputs = records.map((r, i) =>
            rec(
              i + 1,
              { studentId: r.who },
              { stopId: r.at === 'school' ? '13' : (c.riderStops[r.who as '101'] ?? '11') },
              r.boarded,
            ),
          );
          const { events } = run(c, [START, ...inputs]);
          const f = findings(events);
          expect(f.every((x) => x.kind === 'wrongBus' && x.studentId === '555')).toBe(true);
          expect(f).toHaveLength(records.filter((r) => r.who === '555').length);
          expect(opened(events, 'wrongBus')).toHaveLength(records.some((r) => r.who === '555') ? 1 : 0);
        },
      ),
    );
  });
});
