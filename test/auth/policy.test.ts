// The pure authorization decision: a table of principals × actions × objects, and properties over random facts
// (no guardian is ever allowed an object whose family facts do not include them; an attendant only on the
// trip's day in the school's time zone; a manager only in their schools).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Action,
  actionsByKind,
  can,
  listScope,
  type ObjectFacts,
  type ObjectKind,
  objectKinds,
  roleMay,
} from '../../src/auth/policy';
import type { Principal } from '../../src/auth/principal';

const SHANGHAI = 'Asia/Shanghai';
// 2026-09-01 10:00 in Shanghai (02:00 UTC); 2026-09-02 00:00:01 there is still 2026-09-01 in UTC.
const DAY1 = Date.parse('2026-09-01T10:00:00+08:00');
const DAY2_EARLY = Date.parse('2026-09-02T00:00:01+08:00');

const base = { userId: 1, tokenId: 1, name: 'x' };
const admin: Principal = { ...base, role: 'admin', schoolIds: [] };
const managerA: Principal = { ...base, role: 'manager', schoolIds: [1] };
const managerB: Principal = { ...base, role: 'manager', schoolIds: [2] };
const guardian1: Principal = { ...base, role: 'guardian', schoolIds: [1], guardianId: 11 };
const guardian2: Principal = { ...base, role: 'guardian', schoolIds: [1], guardianId: 12 };
const attendant1: Principal = { ...base, role: 'attendant', schoolIds: [1], attendantId: 21 };
const attendant2: Principal = { ...base, role: 'attendant', schoolIds: [1], attendantId: 22 };
const device1: Principal = { ...base, role: 'device', schoolIds: [1], deviceId: 31 };

// School 1's family of guardian 11: trip on 2026-09-01 with attendant 21, on bus 41 (device 31), route 51, child 61.
const trip1 = { attendantId: 21, serviceDate: '2026-09-01', family: [11] };
const school1: ObjectFacts<'school'> = { kind: 'school', schoolId: 1, timeZone: SHANGHAI };
const trip: ObjectFacts<'trip'> = { kind: 'trip', schoolId: 1, timeZone: SHANGHAI, family: [11], trips: [trip1] };
const bus: ObjectFacts<'bus'> = {
  kind: 'bus',
  schoolId: 1,
  timeZone: SHANGHAI,
  family: [11],
  trips: [trip1],
  deviceIds: [31],
};
const route: ObjectFacts<'route'> = { kind: 'route', schoolId: 1, timeZone: SHANGHAI, family: [11], trips: [trip1] };
const student: ObjectFacts<'student'> = {
  kind: 'student',
  schoolId: 1,
  timeZone: SHANGHAI,
  family: [11],
  trips: [trip1],
};
const guardianRec: ObjectFacts<'guardian'> = { kind: 'guardian', schoolId: 1, family: [11] };
const attendantRec: ObjectFacts<'attendant'> = { kind: 'attendant', schoolId: 1, attendantId: 21 };
const driver: ObjectFacts<'driver'> = { kind: 'driver', schoolId: 1 };
const violation: ObjectFacts<'violation'> = { kind: 'violation', schoolId: 1 };
const schoolReport: ObjectFacts<'report'> = { kind: 'report', schoolId: 1 };
const districtReport: ObjectFacts<'report'> = { kind: 'report', schoolId: null };

type Row = [string, Principal, string, ObjectFacts, number, boolean];
const rows: Row[] = [
  // admin: everything, any day
  ['admin', admin, 'update', driver, DAY1, true],
  ['admin', admin, 'read', districtReport, DAY1, true],
  ['admin', admin, 'create', { kind: 'school', schoolId: null }, DAY1, true],
  ['admin', admin, 'attend', trip, DAY2_EARLY, true],
  // managers: their schools, read and write; never another school, the district, the attendant's work or new schools
  ['managerA', managerA, 'read', trip, DAY2_EARLY, true],
  ['managerA', managerA, 'delete', bus, DAY1, true],
  ['managerA', managerA, 'supervise', trip, DAY1, true],
  ['managerA', managerA, 'attend', trip, DAY1, false],
  ['managerA', managerA, 'track', violation, DAY1, true],
  ['managerA', managerA, 'create', schoolReport, DAY1, true],
  ['managerA', managerA, 'read', districtReport, DAY1, false],
  ['managerA', managerA, 'create', { kind: 'school', schoolId: null }, DAY1, false],
  ['managerA', managerA, 'update', school1, DAY1, true],
  ['managerB', managerB, 'read', trip, DAY1, false],
  ['managerB', managerB, 'track', bus, DAY1, false],
  ['managerB', managerB, 'track', violation, DAY1, false],
  ['managerB', managerB, 'read', { kind: 'compliance', schoolId: 1 }, DAY1, false],
  // guardians: their family's objects; a bus's live feed only on a day their child's trip runs; no writes
  ['guardian1', guardian1, 'read', trip, DAY2_EARLY, true],
  ['guardian1', guardian1, 'track', trip, DAY2_EARLY, true],
  ['guardian1', guardian1, 'read', bus, DAY2_EARLY, true],
  ['guardian1', guardian1, 'track', bus, DAY1, true],
  ['guardian1', guardian1, 'track', bus, DAY2_EARLY, false],
  ['guardian1', guardian1, 'read', student, DAY1, true],
  ['guardian1', guardian1, 'read', route, DAY1, true],
  ['guardian1', guardian1, 'read', guardianRec, DAY1, true],
  ['guardian1', guardian1, 'read', school1, DAY1, true],
  ['guardian1', guardian1, 'update', student, DAY1, false],
  ['guardian1', guardian1, 'supervise', trip, DAY1, false],
  ['guardian1', guardian1, 'read', driver, DAY1, false],
  ['guardian1', guardian1, 'track', violation, DAY1, false],
  ['guardian2', guardian2, 'read', trip, DAY1, false],
  ['guardian2', guardian2, 'track', bus, DAY1, false],
  ['guardian2', guardian2, 'read', student, DAY1, false],
  ['guardian2', guardian2, 'read', guardianRec, DAY1, false],
  // attendants: their trip, its bus, route and riders, on the trip's day in the school's time zone
  ['attendant1', attendant1, 'read', trip, DAY1, true],
  ['attendant1', attendant1, 'track', trip, DAY1, true],
  ['attendant1', attendant1, 'attend', trip, DAY1, true],
  ['attendant1', attendant1, 'supervise', trip, DAY1, true],
  ['attendant1', attendant1, 'read', bus, DAY1, true],
  ['attendant1', attendant1, 'track', bus, DAY1, true],
  ['attendant1', attendant1, 'read', student, DAY1, true],
  ['attendant1', attendant1, 'read', route, DAY1, true],
  ['attendant1', attendant1, 'read', trip, DAY2_EARLY, false],
  ['attendant1', attendant1, 'track', trip, DAY2_EARLY, false],
  ['attendant1', attendant1, 'attend', trip, DAY2_EARLY, false],
  ['attendant1', attendant1, 'read', bus, DAY2_EARLY, false],
  ['attendant1', attendant1, 'track', bus, DAY2_EARLY, false],
  ['attendant1', attendant1, 'read', student, DAY2_EARLY, false],
  ['attendant1', attendant1, 'read', route, DAY2_EARLY, false],
  ['attendant1', attendant1, 'read', attendantRec, DAY2_EARLY, true],
  ['attendant1', attendant1, 'update', trip, DAY1, false],
  ['attendant1', attendant1, 'read', guardianRec, DAY1, false],
  ['attendant2', attendant2, 'read', trip, DAY1, false],
  ['attendant2', attendant2, 'read', attendantRec, DAY1, false],
  // devices: their own bus
  ['device1', device1, 'read', bus, DAY1, true],
  ['device1', device1, 'track', bus, DAY2_EARLY, true],
  ['device1', device1, 'read', trip, DAY1, false],
  ['device1', device1, 'read', { ...bus, deviceIds: [32] }, DAY1, false],
];

describe('can(principal, action, facts, now)', () => {
  const cases = rows.map(([name, p, action, facts, nowMs, expected]) => ({
    title: `${name} ${action} ${facts.kind}${facts.schoolId == null ? ' (district)' : ''} ${nowMs === DAY1 ? 'on 2026-09-01' : 'on 2026-09-02'} → ${expected ? 'allowed' : 'refused'}`,
    p,
    action,
    facts,
    nowMs,
    expected,
  }));
  it.each(cases)('$title', ({ p, action, facts, nowMs, expected }) => {
    const d = can(p, action as never, facts, nowMs);
    expect(d.ok).toBe(expected);
    if (!d.ok) expect(d.reason.length).toBeGreaterThan(0);
  });

  it('refuses actions that do not exist on a kind, for everyone', () => {
    expect(can(admin, 'attend' as never, bus, DAY1)).toMatchObject({ ok: false });
    expect(can(admin, 'track' as never, driver, DAY1)).toMatchObject({ ok: false });
  });

  it("uses the school's time zone for the trip's day", () => {
    // 2026-09-01 23:30 in Urumqi is 2026-09-02 01:30 in Shanghai.
    const nowMs = Date.parse('2026-09-01T23:30:00+06:00');
    expect(can(attendant1, 'attend', { ...trip, timeZone: 'Asia/Urumqi' }, nowMs).ok).toBe(true);
    expect(can(attendant1, 'attend', trip, nowMs).ok).toBe(false);
    expect(can(attendant1, 'attend', { ...trip, timeZone: undefined }, DAY1).ok).toBe(false);
  });

  it("explains an attendant's refusal on another day", () => {
    expect(can(attendant1, 'attend', trip, DAY2_EARLY)).toEqual({
      ok: false,
      reason: 'This trip runs on 2026-09-01; today is 2026-09-02 at the school',
    });
  });
});

describe('list scope', () => {
  it('follows the same grants as the decision', () => {
    expect(listScope(admin, 'driver')).toEqual({ all: true });
    expect(listScope(managerA, 'bus')).toEqual({ schoolIds: [1] });
    expect(listScope(guardian1, 'student')).toEqual({ grant: 'family' });
    expect(listScope(attendant1, 'student')).toEqual({ grant: 'assignedToday' });
    expect(listScope(device1, 'bus')).toEqual({ grant: 'mounted' });
    expect(listScope(guardian1, 'driver')).toHaveProperty('none');
    expect(listScope(attendant1, 'violation')).toHaveProperty('none');
  });

  it('has a grant exactly where the role may act at all', () => {
    for (const p of [admin, managerA, guardian1, attendant1, device1])
      for (const kind of objectKinds)
        for (const action of actionsByKind[kind] as readonly Action[])
          expect('none' in listScope(p, kind, action), `${p.role} ${action} ${kind}`).toBe(
            !roleMay(p.role, kind, action),
          );
  });
});

// Random facts and principals.
const ids = fc.integer({ min: 1, max: 6 });
const idList = fc.uniqueArray(ids, { maxLength: 4 });
const dates = fc.constantFrom('2026-08-31', '2026-09-01', '2026-09-02');
const zones = fc.constantFrom('Asia/Shanghai', 'Asia/Urumqi', 'UTC', 'America/Los_Angeles', undefined);
const tripFactsArb = fc.record({ attendantId: fc.option(ids, { nil: null }), serviceDate: dates, family: idList });
const factsArb = fc.record({
  kind: fc.constantFrom(...objectKinds),
  schoolId: fc.option(ids, { nil: null }),
  timeZone: zones,
  family: fc.option(idList, { nil: undefined }),
  trips: fc.option(fc.array(tripFactsArb, { maxLength: 4 }), { nil: undefined }),
  attendantId: fc.option(ids, { nil: undefined }),
  deviceIds: fc.option(idList, { nil: undefined }),
}) as fc.Arbitrary<ObjectFacts>;
const nowArb = fc.integer({ min: Date.parse('2026-08-30T00:00:00Z'), max: Date.parse('2026-09-03T00:00:00Z') });
const actionOf = (kind: ObjectKind) => fc.constantFrom(...(actionsByKind[kind] as readonly Action[]));
const withAction = factsArb.chain((facts) => actionOf(facts.kind).map((action) => ({ facts, action })));
const principalArb = (role: Principal['role']) =>
  fc.record({ id: ids, schoolIds: idList }).map(({ id, schoolIds }): Principal => ({
    ...base,
    role,
    schoolIds,
    ...(role === 'guardian'
      ? { guardianId: id }
      : role === 'attendant'
        ? { attendantId: id }
        : role === 'device'
          ? { deviceId: id }
          : {}),
  }));

describe('properties', () => {
  it('no guardian is ever allowed an object whose family facts do not include them (a school only to its members)', () => {
    fc.assert(
      fc.property(principalArb('guardian'), withAction, nowArb, (p, { facts, action }, nowMs) => {
        if (!can(p, action as never, facts, nowMs).ok) return;
        if (facts.kind === 'school') expect(facts.schoolId != null && p.schoolIds.includes(facts.schoolId)).toBe(true);
        else expect(facts.family ?? []).toContain(p.guardianId);
        expect(['read', 'track']).toContain(action);
      }),
      { numRuns: 3000 },
    );
  });

  it('an attendant is allowed a trip only when it is theirs and today at the school', () => {
    fc.assert(
      fc.property(principalArb('attendant'), withAction, nowArb, (p, { facts, action }, nowMs) => {
        if (!can(p, action as never, facts, nowMs).ok || facts.kind === 'school' || facts.kind === 'attendant') return;
        const today = new Intl.DateTimeFormat('en-CA', {
          timeZone: facts.timeZone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        }).format(nowMs);
        expect(facts.timeZone).toBeDefined();
        expect(facts.trips?.some((t) => t.attendantId === p.attendantId && t.serviceDate === today)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('a manager is allowed exactly the objects of their schools (never the attendant’s work or new schools)', () => {
    fc.assert(
      fc.property(principalArb('manager'), withAction, nowArb, (p, { facts, action }, nowMs) => {
        const expected =
          facts.schoolId != null &&
          p.schoolIds.includes(facts.schoolId) &&
          action !== 'attend' &&
          !(facts.kind === 'school' && action === 'create');
        expect(can(p, action as never, facts, nowMs).ok).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('a supervisor reads, follows, comments and escalates in overseen schools, and changes nothing else', () => {
    const mayDo: Record<string, string[]> = {
      school: ['read'],
      bus: ['read', 'track'],
      device: ['read'],
      driver: ['read'],
      attendant: ['read'],
      route: ['read'],
      trip: ['read', 'track'],
      violation: ['read', 'track', 'comment', 'escalate'],
      report: ['read', 'create'],
      compliance: ['read'],
      inspection: ['read'],
    };
    fc.assert(
      fc.property(
        principalArb('supervisor'),
        fc.boolean(),
        withAction,
        nowArb,
        (p0, allSchools, { facts, action }, nowMs) => {
          const p = { ...p0, allSchools };
          const inScope = allSchools || (facts.schoolId != null && p.schoolIds.includes(facts.schoolId));
          const expected = inScope && (mayDo[facts.kind] ?? []).includes(action);
          expect(can(p, action as never, facts, nowMs).ok, `${action} ${facts.kind}`).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
    const listed: Principal = { ...base, role: 'supervisor', schoolIds: [2] };
    expect(listScope(listed, 'violation')).toEqual({ schoolIds: [2] });
    expect(listScope({ ...listed, allSchools: true }, 'bus')).toEqual({ all: true });
    expect(listScope(listed, 'student')).toMatchObject({ none: expect.any(String) });
    expect(can(listed, 'read', { kind: 'report', schoolId: null }, DAY1).ok).toBe(false);
    expect(can({ ...listed, allSchools: true }, 'read', { kind: 'report', schoolId: null }, DAY1).ok).toBe(true);
  });

  it('a device is allowed only the bus it is mounted on, and its school', () => {
    fc.assert(
      fc.property(principalArb('device'), withAction, nowArb, (p, { facts, action }, nowMs) => {
        if (!can(p, action as never, facts, nowMs).ok) return;
        if (facts.kind === 'school') expect(p.schoolIds).toContain(facts.schoolId);
        else {
          expect(facts.kind).toBe('bus');
          expect(facts.deviceIds).toContain(p.deviceId);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
