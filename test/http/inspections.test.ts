// Inspections on a real database with the real engine runner: the pre-trip check (a failed item opens a case and
// blocks check-in until a later check passes; a school may require one before check-in), the manager's weekly
// inspection, evacuation drills with photos stripped of metadata, completion rates in the school and district
// reports, and who may do what (another school's manager, a guardian, a supervisor, another trip's attendant).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createTestApp, type TestApp } from '../helpers/app';
import { assertContract } from '../helpers/contract';
import { EXIF_SECRET, jpegWithExif } from '../helpers/photos';
import { buildWorld, ok, type World } from '../helpers/world';

// The world's trips run on 2026-09-01 (Asia/Shanghai); the clock starts at 06:30 local that day.
const DAY0_MS = Date.parse('2026-09-01T06:30:00+08:00');
const ITEMS = [
  'brakes',
  'steering',
  'lights',
  'tyres',
  'emergencyExits',
  'seatsAndBelts',
  'extinguisher',
  'firstAidKit',
  'escapeHammer',
  'schoolBusSign',
  'signalLamps',
];
const allOk = () => Object.fromEntries(ITEMS.map((i) => [i, { ok: true }]));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

let t: TestApp;
let w: World;
let runner: EngineRunner;
let call: TestApp['call'];
const tok: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  runner = createEngineRunner({ database: t.database, log: silentLogger, now: () => t.clock.nowMs });
  const app = createApp({ database: t.database, log: silentLogger, now: () => t.clock.nowMs, runner });
  call = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? tok.attA1}`;
    const res = await app.request(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    assertContract(app, method, path, res, body);
    return { status: res.status, body, headers: res.headers };
  };
  tok.attA1 = w.tokens.attendantA1;
  tok.attA2 = await tokenFor({ name: 'Attendant A2', role: 'attendant', attendantId: w.a.attendants[1].id });
  tok.attB1 = await tokenFor({ name: 'Attendant B1', role: 'attendant', attendantId: w.b.attendants[0].id });
  tok.supervisor = await tokenFor({ name: 'Bureau', role: 'supervisor', allSchools: true });
}, 180_000);
afterAll(async () => {
  await runner?.close();
  await t?.close();
});

async function tokenFor(user: Record<string, unknown>): Promise<string> {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  return (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'test' } }))).token;
}

const check = (tripId: number, items: Record<string, unknown>, token = tok.attA1) =>
  call('POST', `/api/v1/trips/${tripId}/pre-trip-check`, { token, body: { performedBy: 'attendant', items } });

describe('the pre-trip check', () => {
  it('a failed item opens a preTripCheckFailed case (severity from the preset) and blocks check-in', async () => {
    const trip = w.a.trips[0];
    const failed = await check(trip.id, {
      ...allOk(),
      brakes: { ok: false, note: '刹车偏软' },
      firstAidKit: { ok: false },
    });
    expect(failed.status).toBe(201);
    expect(failed.body).toMatchObject({
      passed: false,
      failedItems: ['brakes', 'firstAidKit'],
      busId: trip.busId,
      serviceDate: '2026-09-01',
    });
    const v = await ok(
      t.call('GET', `/api/v1/violations/${failed.body.violationId}`, { token: w.tokens.managerA }),
      200,
    );
    expect(v).toMatchObject({
      kind: 'preTripCheckFailed',
      severity: 'critical', // brakes are critical in cn-2012; a first-aid kit alone would be major
      status: 'open',
      schoolId: w.a.schoolId,
      busId: trip.busId,
      tripId: trip.id,
      evidence: { failedItems: ['brakes', 'firstAidKit'], notes: { brakes: '刹车偏软', firstAidKit: null } },
      dueAt: new Date(t.clock.nowMs + 86_400_000).toISOString(),
    });

    const refused = await call('POST', `/api/v1/trips/${trip.id}/check-in`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('pre_trip_check_failed');
    expect(refused.body.error.details).toMatchObject({ failedItems: ['brakes', 'firstAidKit'] });
    // Nothing was recorded: the trip has not started and nobody is checked in.
    const [row] = await t.database.query<{ status: string; attendant_checked_in_at: Date | null }>(
      'select status, attendant_checked_in_at from trips where id = $1',
      [trip.id],
    );
    expect(row).toMatchObject({ status: 'planned', attendant_checked_in_at: null });
    const state = await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`);
    expect(state.body).toMatchObject({ checkInAllowed: false, required: false, latest: { id: failed.body.id } });
    expect(state.body.items).toEqual(ITEMS);
  });

  it('a later passing check of the bus unblocks check-in; the case stays for the manager', async () => {
    const trip = w.a.trips[0];
    t.clock.nowMs += 10 * 60_000;
    const passed = await check(trip.id, allOk());
    expect(passed.body).toMatchObject({ passed: true, failedItems: [], violationId: null });
    expect((await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`)).body.checkInAllowed).toBe(true);
    const checkedIn = await call('POST', `/api/v1/trips/${trip.id}/check-in`);
    expect(checkedIn.status).toBe(200);
    expect(checkedIn.body.tripStatus).toBe('active');
    const cases = await ok(
      t.call('GET', '/api/v1/violations?kind=preTripCheckFailed', { token: w.tokens.managerA }),
      200,
    );
    expect(cases.items).toHaveLength(1);
    expect(cases.items[0].status).toBe('open');
  });

  it('answers every item or is refused (400); a case of major severity when only minor equipment fails', async () => {
    const trip = w.a.trips[1];
    const { brakes: _b, ...partial } = allOk();
    const r = await check(trip.id, partial, tok.attA2);
    expect(r.status).toBe(400);
    expect(r.body.error.details.some((d: any) => d.path.includes('brakes'))).toBe(true);
    const major = await check(trip.id, { ...allOk(), extinguisher: { ok: false, note: 'expired' } }, tok.attA2);
    const v = await ok(
      t.call('GET', `/api/v1/violations/${major.body.violationId}`, { token: w.tokens.managerA }),
      200,
    );
    expect(v.severity).toBe('major');
  });

  it('a school that requires the check refuses check-in without one', async () => {
    const trip = w.b.trips[0];
    await ok(
      t.call('PATCH', `/api/v1/schools/${w.b.schoolId}`, {
        body: { ruleOverrides: { inspections: { preTripRequiredForCheckIn: true } } },
      }),
      200,
    );
    const refused = await call('POST', `/api/v1/trips/${trip.id}/check-in`, { token: tok.attB1 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('pre_trip_check_missing');
    expect((await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`, { token: tok.attB1 })).body).toMatchObject({
      required: true,
      checkInAllowed: false,
      latest: null,
    });
    await check(trip.id, allOk(), tok.attB1);
    expect((await call('POST', `/api/v1/trips/${trip.id}/check-in`, { token: tok.attB1 })).status).toBe(200);
  });

  it('only the trip’s own attendant records it; managers read it; guardians and other schools do not', async () => {
    const trip = w.a.trips[1];
    expect((await check(trip.id, allOk(), tok.attA1)).status).toBe(403);
    expect((await check(trip.id, allOk(), tok.attB1)).status).toBe(403);
    expect((await check(trip.id, allOk(), w.tokens.guardianA2)).status).toBe(403);
    expect((await check(trip.id, allOk(), w.tokens.managerA)).status).toBe(403);
    expect((await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`, { token: w.tokens.managerA })).status).toBe(
      200,
    );
    expect((await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`, { token: w.tokens.managerB })).status).toBe(
      403,
    );
    expect((await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`, { token: w.tokens.guardianA2 })).status).toBe(
      403,
    );
  });
});

describe('weekly inspections', () => {
  it('the manager records one per bus; it counts for its ISO week; supervisors read, others are refused', async () => {
    const bus = w.a.buses[0];
    const body = {
      inspectedOn: '2026-09-03',
      inspector: '车队长 李明',
      items: { ...allOk(), tyres: { ok: false, note: '左后轮磨损' } },
      notes: '已安排更换',
    };
    const r = await call('POST', `/api/v1/buses/${bus.id}/inspections`, { token: w.tokens.managerA, body });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      busId: bus.id,
      schoolId: w.a.schoolId,
      weekStart: '2026-08-31',
      passed: false,
      failedItems: ['tyres'],
      inspector: '车队长 李明',
    });
    for (const token of [w.tokens.managerB, tok.supervisor, w.tokens.guardianA1, tok.attA1])
      expect((await call('POST', `/api/v1/buses/${bus.id}/inspections`, { token, body })).status).toBe(403);
    const mine = await call('GET', `/api/v1/inspections?busId=${bus.id}`, { token: w.tokens.managerA });
    expect(mine.body.items.map((i: any) => i.id)).toEqual([r.body.id]);
    expect((await call('GET', '/api/v1/inspections', { token: tok.supervisor })).body.items).toHaveLength(1);
    expect((await call('GET', '/api/v1/inspections', { token: w.tokens.managerB })).body.items).toEqual([]);
    expect((await call('GET', `/api/v1/inspections?busId=${bus.id}`, { token: w.tokens.managerB })).status).toBe(403);
    expect((await call('GET', '/api/v1/inspections', { token: w.tokens.guardianA1 })).status).toBe(403);
    expect((await call('GET', '/api/v1/inspections', { token: tok.attA1 })).status).toBe(403);
  });
});

describe('evacuation drills', () => {
  it('are recorded with photos checked by content and stripped of metadata, per school', async () => {
    const r = await call('POST', '/api/v1/evacuation-drills', {
      token: w.tokens.managerA,
      body: {
        schoolId: w.a.schoolId,
        routeId: w.a.routes[0].id,
        heldOn: '2026-09-02',
        participants: 38,
        notes: '全员 90 秒内撤离',
        photos: [{ data: b64(jpegWithExif()) }],
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ schoolId: w.a.schoolId, routeId: w.a.routes[0].id, participants: 38, photos: 1 });
    const photo = await call('GET', `/api/v1/evacuation-drills/${r.body.id}/photos/1`, { token: w.tokens.managerA });
    expect(photo.body.contentType).toBe('image/jpeg');
    expect(Buffer.from(photo.body.data, 'base64').toString('latin1')).not.toContain(EXIF_SECRET);
    const stored = await t.database.query<{ data: Uint8Array }>('select data from evacuation_drill_photos');
    for (const s of stored) expect(Buffer.from(s.data).toString('latin1')).not.toContain(EXIF_SECRET);
    // Not an image: refused by its bytes whatever it claims.
    const bad = await call('POST', '/api/v1/evacuation-drills', {
      token: w.tokens.managerA,
      body: {
        schoolId: w.a.schoolId,
        heldOn: '2026-09-02',
        participants: 5,
        photos: [{ data: b64(new TextEncoder().encode('GIF89a not a photo')) }],
      },
    });
    expect(bad.status).toBe(400);
    // Another school's route, another school's manager, a guardian: refused.
    const otherRoute = await call('POST', '/api/v1/evacuation-drills', {
      token: w.tokens.managerA,
      body: { schoolId: w.a.schoolId, routeId: w.b.routes[0].id, heldOn: '2026-09-02', participants: 5 },
    });
    expect(otherRoute.status).toBe(400);
    expect(
      (
        await call('POST', '/api/v1/evacuation-drills', {
          token: w.tokens.managerB,
          body: { schoolId: w.a.schoolId, heldOn: '2026-09-02', participants: 5 },
        })
      ).status,
    ).toBe(403);
    expect((await call('GET', `/api/v1/evacuation-drills/${r.body.id}`, { token: w.tokens.managerB })).status).toBe(
      403,
    );
    expect(
      (await call('GET', `/api/v1/evacuation-drills/${r.body.id}/photos/1`, { token: w.tokens.managerB })).status,
    ).toBe(403);
    expect((await call('GET', '/api/v1/evacuation-drills', { token: w.tokens.guardianA1 })).status).toBe(403);
    expect((await call('GET', '/api/v1/evacuation-drills', { token: tok.supervisor })).body.items).toHaveLength(1);
  });
});

describe('completion rates in the reports', () => {
  it('the school report counts checked bus-days and inspected bus-weeks; the district table has both rates', async () => {
    // School A on 2026-09-01: two buses with a trip, both checked (bus 1 failed then passed, bus 2 failed) → 2/2.
    // Week of 31 Aug: bus 1 inspected, bus 2 not → 1/2. School B: its bus checked → 1/1; no inspection → 0/1.
    const rep = await ok(
      t.call('POST', '/api/v1/reports', { body: { schoolId: w.a.schoolId, period: '2026-09-01' } }),
      201,
    );
    expect(rep.data.inspections).toEqual({
      dailyChecks: { due: 2, done: 2, rate: 1 },
      weeklyInspections: { due: 2, done: 1, rate: 0.5 },
      drills: 0,
      weeks: ['2026-08-31'],
    });
    const week = await ok(
      t.call('POST', '/api/v1/reports', { body: { schoolId: w.a.schoolId, period: '2026-W36' } }),
      201,
    );
    expect(week.data.inspections.drills).toBe(1);
    const district = await ok(
      t.call('POST', '/api/v1/reports', { token: tok.supervisor, body: { period: '2026-09-01' } }),
      201,
    );
    const row = (id: number) => district.data.perSchool.find((s: any) => s.schoolId === id);
    expect(row(w.a.schoolId)).toMatchObject({ dailyCheckRate: 1, weeklyInspectionRate: 0.5 });
    expect(row(w.b.schoolId)).toMatchObject({ dailyCheckRate: 1, weeklyInspectionRate: 0 });
    const csv = await t.call('GET', `/api/v1/reports/${district.id}?format=csv`, { token: tok.supervisor });
    expect(csv.body).toContain('perSchool.weeklyInspectionRate');
    const html = await t.call('GET', `/api/v1/reports/${rep.id}?format=html&lang=zh-CN`);
    expect(html.body).toContain('日检完成率');
    expect(html.body).toContain('周检完成率');
  });
});
