// Registry facts on a real database: driver training records and their expiry in compliance, vehicle insurance
// expiry, route approval (trips refused on an unapproved route at planning and at check-in), bus status enforced at
// planning and check-in, the "no device heard in 24 h" flag before a bus's first trip of the day, kindergarten
// capacity caps, and scope (another school's manager, a guardian).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { runDeviceSilence } from '../../src/jobs/device-silence';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createTestApp, type TestApp } from '../helpers/app';
import { assertContract } from '../helpers/contract';
import { buildWorld, ok, type World } from '../helpers/world';

// The world's trips run on 2026-09-01 07:00 (Asia/Shanghai); the clock starts at 06:30 local that day.
const DAY0_MS = Date.parse('2026-09-01T06:30:00+08:00');
const HOUR = 3_600_000;

let t: TestApp;
let w: World;
let runner: EngineRunner;
let call: TestApp['call'];
let supervisor: string;

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  runner = createEngineRunner({ database: t.database, log: silentLogger, now: () => t.clock.nowMs });
  const app = createApp({ database: t.database, log: silentLogger, now: () => t.clock.nowMs, runner });
  call = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    headers.authorization = `Bearer ${opts.token ?? 'test-admin-token-0123456789'}`;
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
  const u = await ok(
    t.call('POST', '/api/v1/users', { body: { name: 'Bureau', role: 'supervisor', allSchools: true } }),
  );
  supervisor = (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: {} }))).token;
}, 180_000);
afterAll(async () => {
  await runner?.close();
  await t?.close();
});

const expiries = async (q: string, token?: string) =>
  (await ok(call('GET', `/api/v1/compliance/expiries?${q}`, { token }), 200)).items as any[];

describe('driver training', () => {
  it('records sessions; the latest plus 12 months is the expiry compliance flags', async () => {
    const driver = w.a.drivers[0];
    const first = await call('POST', `/api/v1/drivers/${driver.id}/trainings`, {
      token: w.tokens.managerA,
      body: { heldOn: '2025-08-20', hours: 6, topic: '校车安全驾驶' },
    });
    expect(first.status).toBe(201);
    // Valid until 2026-08-19: expired on 1 Sep.
    let items = await expiries(`kind=driverTraining&schoolId=${w.a.schoolId}`, w.tokens.managerA);
    expect(items).toEqual([
      expect.objectContaining({
        subjectType: 'driver',
        subjectId: driver.id,
        expiresOn: '2026-08-19',
        status: 'expired',
        daysLeft: -13,
      }),
    ]);
    // A later session within the warning window: expiring.
    await ok(
      call('POST', `/api/v1/drivers/${driver.id}/trainings`, {
        token: w.tokens.managerA,
        body: { heldOn: '2025-09-15', hours: 4.5, topic: '应急疏散' },
      }),
    );
    items = await expiries(`kind=driverTraining&schoolId=${w.a.schoolId}`, w.tokens.managerA);
    expect(items).toEqual([expect.objectContaining({ expiresOn: '2026-09-14', status: 'expiring', daysLeft: 13 })]);
    const list = await ok(call('GET', `/api/v1/drivers/${driver.id}/trainings`, { token: supervisor }), 200);
    expect(list.items.map((x: any) => [x.heldOn, x.hours, x.topic])).toEqual([
      ['2025-09-15', 4.5, '应急疏散'],
      ['2025-08-20', 6, '校车安全驾驶'],
    ]);
    expect(list.validUntil).toBe('2026-09-14');
    // A driver with no record is not flagged (like attendant training).
    expect(items.some((i) => i.subjectId === w.a.drivers[1].id)).toBe(false);
  });

  it('another school’s manager and a guardian are refused; bad input is a 400', async () => {
    const driver = w.a.drivers[0];
    const body = { heldOn: '2026-08-01', hours: 2, topic: 'x' };
    expect(
      (await call('POST', `/api/v1/drivers/${driver.id}/trainings`, { token: w.tokens.managerB, body })).status,
    ).toBe(403);
    expect((await call('POST', `/api/v1/drivers/${driver.id}/trainings`, { token: supervisor, body })).status).toBe(
      403,
    );
    expect((await call('GET', `/api/v1/drivers/${driver.id}/trainings`, { token: w.tokens.managerB })).status).toBe(
      403,
    );
    expect((await call('GET', `/api/v1/drivers/${driver.id}/trainings`, { token: w.tokens.guardianA1 })).status).toBe(
      403,
    );
    const bad = await call('POST', `/api/v1/drivers/${driver.id}/trainings`, {
      token: w.tokens.managerA,
      body: { heldOn: '2026-02-30', hours: -1, topic: '' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('vehicle insurance', () => {
  it('is flagged expiring within the preset’s 30 days, and expired after', async () => {
    const [b1, b2] = w.a.buses;
    await ok(call('PATCH', `/api/v1/buses/${b1.id}`, { body: { insuranceValidUntil: '2026-09-20' } }), 200);
    await ok(call('PATCH', `/api/v1/buses/${b2.id}`, { body: { insuranceValidUntil: '2026-08-31' } }), 200);
    const items = await expiries(`kind=busInsurance&withinDays=0&schoolId=${w.a.schoolId}`);
    expect(items.map((i) => [i.subjectId, i.status, i.expiresOn])).toEqual([
      [b2.id, 'expired', '2026-08-31'],
      [b1.id, 'expiring', '2026-09-20'],
    ]);
    await ok(call('PATCH', `/api/v1/buses/${b1.id}`, { body: { insuranceValidUntil: '2027-09-20' } }), 200);
    expect((await expiries(`kind=busInsurance&schoolId=${w.a.schoolId}`)).map((i) => i.subjectId)).toEqual([b2.id]);
  });
});

describe('route approval', () => {
  const tripBody = (routeId: number, hhmm: string) => ({
    routeId,
    busId: w.a.buses[0].id,
    attendantId: w.a.attendants[0].id,
    serviceDate: '2026-09-01',
    plannedStartAt: `2026-09-01T${hhmm}:00+08:00`,
  });

  it('a trip on a route without approval is refused; recording the approval lets it through', async () => {
    const route = await ok(
      call('POST', '/api/v1/routes', {
        body: {
          schoolId: w.a.schoolId,
          name: 'New line',
          path: {
            type: 'LineString',
            coordinates: [
              [121.4, 31.2],
              [121.41, 31.2],
            ],
          },
          stops: [{ name: 'Gate', lat: 31.2, lon: 121.41 }],
        },
      }),
    );
    expect(route).toMatchObject({ approvedBy: null, approvalNumber: null, approvedOn: null });
    const refused = await call('POST', '/api/v1/trips', { body: tripBody(route.id, '15:00') });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('route_not_approved');
    // Approved after the service date: still refused for that day.
    await ok(
      call('PATCH', `/api/v1/routes/${route.id}`, {
        body: { approvedBy: '区教育局', approvalNumber: '教校车〔2026〕12号', approvedOn: '2026-09-05' },
      }),
      200,
    );
    expect((await call('POST', '/api/v1/trips', { body: tripBody(route.id, '15:00') })).body.error.code).toBe(
      'route_not_approved',
    );
    await ok(call('PATCH', `/api/v1/routes/${route.id}`, { body: { approvedOn: '2026-08-20' } }), 200);
    const trip = await ok(call('POST', '/api/v1/trips', { body: tripBody(route.id, '15:00') }));
    // The approval withdrawn after planning: the trip may not start (check-in refused, nothing recorded).
    await ok(call('PATCH', `/api/v1/routes/${route.id}`, { body: { approvalNumber: null } }), 200);
    const checkIn = await call('POST', `/api/v1/trips/${trip.id}/check-in`, { token: w.tokens.attendantA1 });
    expect(checkIn.status).toBe(409);
    expect(checkIn.body.error.code).toBe('route_not_approved');
    const [row] = await t.database.query<{ status: string }>('select status from trips where id = $1', [trip.id]);
    expect(row!.status).toBe('planned');
    // Cancelling a trip is never refused.
    expect((await call('PATCH', `/api/v1/trips/${trip.id}`, { body: { status: 'cancelled' } })).status).toBe(200);
  });
});

describe('bus status', () => {
  it('a bus in maintenance or retired is refused at planning and at check-in', async () => {
    const bus = w.a.buses[1];
    const body = {
      routeId: w.a.routes[1].id,
      busId: bus.id,
      attendantId: w.a.attendants[1].id,
      serviceDate: '2026-09-01',
      plannedStartAt: '2026-09-01T16:30:00+08:00',
    };
    const planned = await ok(call('POST', '/api/v1/trips', { body }));
    for (const status of ['maintenance', 'retired']) {
      await ok(call('PATCH', `/api/v1/buses/${bus.id}`, { body: { status } }), 200);
      const r = await call('POST', '/api/v1/trips', { body: { ...body, plannedStartAt: '2026-09-01T17:00:00+08:00' } });
      expect(r.status, status).toBe(409);
      expect(r.body.error.code).toBe('bus_not_in_service');
      // Moving a planned trip onto the bus is planning too.
      const moved = await call('PATCH', `/api/v1/trips/${w.a.trips[0].id}`, { body: { busId: bus.id } });
      expect(moved.body.error.code).toBe('bus_not_in_service');
    }
    const attA2 = await ok(
      t.call('POST', '/api/v1/users', {
        body: { name: 'Att A2', role: 'attendant', attendantId: w.a.attendants[1].id },
      }),
    );
    const tokA2 = (await ok(t.call('POST', `/api/v1/users/${attA2.id}/tokens`, { body: {} }))).token;
    const checkIn = await call('POST', `/api/v1/trips/${planned.id}/check-in`, { token: tokA2 });
    expect(checkIn.status).toBe(409);
    expect(checkIn.body.error.code).toBe('bus_not_in_service');
    await ok(call('PATCH', `/api/v1/buses/${bus.id}`, { body: { status: 'active' } }), 200);
    expect((await call('POST', `/api/v1/trips/${planned.id}/check-in`, { token: tokA2 })).status).toBe(200);
  });
});

describe('no device heard in 24 h', () => {
  it('flags the bus before its first trip of the day, once; a bus heard recently is not flagged', async () => {
    // The world's 07:00 trips: school A bus 1 heard 2 h ago, bus 2 heard 30 h ago, school B's device removed.
    const at = Date.parse('2026-09-01T06:20:00+08:00');
    const seen = (deviceId: number, ms: number) =>
      t.database.query('update devices set last_seen_at = $2 where id = $1', [deviceId, new Date(ms).toISOString()]);
    await seen(w.a.devices[0].id, at - 2 * HOUR);
    await seen(w.a.devices[1].id, at - 30 * HOUR);
    await ok(call('DELETE', `/api/v1/devices/${w.b.devices[0].id}`), 204);
    // 100 minutes before the trips: not yet (the look-ahead is 60 minutes).
    expect((await runDeviceSilence(t.database.db, at - 60 * 60_000)).flagged).toBe(0);
    const out = await runDeviceSilence(t.database.db, at);
    expect(out.busIds.sort((x, y) => x - y)).toEqual([w.a.buses[1].id, w.b.buses[0].id].sort((x, y) => x - y));
    const cases = await ok(call('GET', '/api/v1/violations?kind=deviceSilent'), 200);
    const byBus = new Map(cases.items.map((v: any) => [v.busId, v]));
    expect(byBus.get(w.a.buses[1].id)).toMatchObject({
      severity: 'major',
      schoolId: w.a.schoolId,
      evidence: { reason: 'silent', serviceDate: '2026-09-01', devices: 1, silentAfterH: 24 },
    });
    expect(byBus.get(w.b.buses[0].id)).toMatchObject({ evidence: { reason: 'noDevice', devices: 0 } });
    // Again a few minutes later: nothing new.
    expect((await runDeviceSilence(t.database.db, at + 5 * 60_000)).flagged).toBe(0);
    expect((await ok(call('GET', '/api/v1/violations?kind=deviceSilent'), 200)).items).toHaveLength(2);
    // School B's manager sees only its own.
    const mineB = await ok(call('GET', '/api/v1/violations?kind=deviceSilent', { token: w.tokens.managerB }), 200);
    expect(mineB.items.map((v: any) => v.busId)).toEqual([w.b.buses[0].id]);
  });
});

describe('kindergarten capacity', () => {
  it('caps a kindergarten’s buses at 45 (GB 24407) and other schools’ at 56', async () => {
    const k = await ok(call('POST', '/api/v1/schools', { body: { name: '阳光幼儿园', kind: 'kindergarten' } }));
    expect(k.kind).toBe('kindergarten');
    const over = await call('POST', '/api/v1/buses', {
      body: { schoolId: k.id, plate: 'K-BUS-1', approvedCapacity: 46 },
    });
    expect(over.status).toBe(400);
    expect(over.body.error.details[0].path).toBe('approvedCapacity');
    const bus = await ok(
      call('POST', '/api/v1/buses', { body: { schoolId: k.id, plate: 'K-BUS-1', approvedCapacity: 45 } }),
    );
    expect((await call('PATCH', `/api/v1/buses/${bus.id}`, { body: { approvedCapacity: 50 } })).status).toBe(400);
    // A primary school takes 56, not 57.
    expect(
      (await call('POST', '/api/v1/buses', { body: { schoolId: w.a.schoolId, plate: 'A-BIG', approvedCapacity: 57 } }))
        .status,
    ).toBe(400);
    const big = await ok(
      call('POST', '/api/v1/buses', { body: { schoolId: w.a.schoolId, plate: 'A-BIG', approvedCapacity: 56 } }),
    );
    // A school with a 56-seat bus cannot become a kindergarten until the bus goes.
    const r = await call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { body: { kind: 'kindergarten' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('A-BIG');
    await ok(call('PATCH', `/api/v1/buses/${big.id}`, { body: { status: 'retired' } }), 200);
    expect((await call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { body: { kind: 'kindergarten' } })).status).toBe(
      200,
    );
  });
});
