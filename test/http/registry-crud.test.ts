import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(() => t.close());

describe('registry happy paths', () => {
  it('lists every resource as admin with cursor pagination', async () => {
    for (const path of [
      'schools',
      'buses',
      'devices',
      'drivers',
      'attendants',
      'routes',
      'students',
      'guardians',
      'trips',
    ]) {
      const all = await ok(t.call('GET', `/api/v1/${path}`), 200);
      expect(all.items.length, path).toBeGreaterThan(0);
    }
    const first = await ok(t.call('GET', '/api/v1/buses?limit=2'), 200);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBe(first.items[1].id);
    const second = await ok(t.call('GET', `/api/v1/buses?limit=2&cursor=${first.nextCursor}`), 200);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items].map((b: any) => b.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('filters lists by school', async () => {
    const r = await ok(t.call('GET', `/api/v1/buses?schoolId=${w.b.schoolId}`), 200);
    expect(r.items.map((b: any) => b.plate)).toEqual(['B-BUS-1']);
  });

  it('creates, reads, updates and deletes a bus', async () => {
    const bus = await ok(
      t.call('POST', '/api/v1/buses', {
        body: { schoolId: w.a.schoolId, plate: 'TMP-1', approvedCapacity: 19, seats: 19 },
      }),
    );
    expect(bus).toMatchObject({ plate: 'TMP-1', approvedCapacity: 19, status: 'active' });
    expect((await ok(t.call('GET', `/api/v1/buses/${bus.id}`), 200)).plate).toBe('TMP-1');
    t.clock.nowMs += 60_000;
    const patched = await ok(
      t.call('PATCH', `/api/v1/buses/${bus.id}`, { body: { approvedCapacity: 18, status: 'maintenance' } }),
      200,
    );
    expect(patched).toMatchObject({ approvedCapacity: 18, status: 'maintenance' });
    expect(new Date(patched.updatedAt).getTime()).toBe(t.clock.nowMs);
    expect((await t.call('DELETE', `/api/v1/buses/${bus.id}`)).status).toBe(204);
    expect((await t.call('GET', `/api/v1/buses/${bus.id}`)).status).toBe(404);
  });

  it('stores device secrets hashed and never returns them', async () => {
    const d = await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId: w.a.schoolId, protocol: 'jt808', identifier: '013912345678', secret: 'AUTH1234' },
      }),
    );
    expect(d.hasSecret).toBe(true);
    expect(JSON.stringify(d)).not.toContain('AUTH1234');
    expect(d).not.toHaveProperty('secretHash');
    const rows = await t.database.query<{ secret_hash: string }>('select secret_hash from devices where id = $1', [
      d.id,
    ]);
    expect(rows[0]!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a JT/T 808 device whose identifier is not a phone number', async () => {
    const r = await t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, protocol: 'jt808', identifier: 'abc' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('identifier');
  });

  it('returns a route with ordered stops (scheduled times) and zones, and updates stops in place', async () => {
    const route = await ok(t.call('GET', `/api/v1/routes/${w.a.routes[0].id}`), 200);
    expect(route.stops.map((s: any) => [s.sequence, s.name, s.scheduledTime])).toEqual([
      [1, 'First', '07:00:00'],
      [2, 'School gate', '07:20:00'],
    ]);
    expect(route.zones[0]).toMatchObject({ postedLimitKph: 40, roadClass: 'urban', hazard: false });
    const firstStopId = route.stops[0].id;
    const updated = await ok(
      t.call('PATCH', `/api/v1/routes/${route.id}`, {
        body: {
          stops: [
            { name: 'First (moved)', lat: 31.2001, lon: route.stops[0].lon, sequence: 1 },
            { name: 'Middle', lat: 31.205, lon: route.stops[0].lon + 0.01, sequence: 2, scheduledTime: '07:10' },
            { name: 'School gate', lat: 31.21, lon: route.stops[1].lon, sequence: 3, scheduledTime: '07:20' },
          ],
        },
      }),
      200,
    );
    expect(updated.stops.map((s: any) => s.name)).toEqual(['First (moved)', 'Middle', 'School gate']);
    expect(updated.stops[0].id).toBe(firstStopId);
    // The student assigned to the first stop keeps the assignment.
    const student = await ok(t.call('GET', `/api/v1/students/${w.a.students[0].id}`), 200);
    expect(student.stops).toEqual([{ routeId: route.id, stopId: firstStopId }]);
  });

  it('creates a trip with the school taken from its route', async () => {
    const trip = await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: w.b.routes[0].id,
          busId: w.b.buses[0].id,
          serviceDate: '2026-09-02',
          plannedStartAt: '2026-09-02T07:00:00+08:00',
        },
      }),
    );
    expect(trip.schoolId).toBe(w.b.schoolId);
    expect(trip.status).toBe('planned');
    expect(new Date(trip.plannedStartAt).toISOString()).toBe('2026-09-01T23:00:00.000Z');
  });

  it('links guardians to students and shows the links both ways', async () => {
    const g = await ok(t.call('GET', `/api/v1/guardians/${w.a.guardians[0].id}`), 200);
    expect(g.studentIds).toEqual([w.a.students[0].id]);
    const s = await ok(t.call('GET', `/api/v1/students/${w.a.students[0].id}`), 200);
    expect(s.guardianIds).toEqual([w.a.guardians[0].id]);
  });

  it('updates a school and rejects an unknown time zone', async () => {
    const s = await ok(t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { body: { lowVisibility: true } }), 200);
    expect(s.lowVisibility).toBe(true);
    const bad = await t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { body: { timeZone: 'Mars/Olympus' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'timeZone' });
  });

  it('takes and returns a school’s language (zh-CN by default, or en) and refuses any other', async () => {
    const created = await ok(t.call('POST', '/api/v1/schools', { body: { name: 'Language school' } }), 201);
    expect(created.language).toBe('zh-CN');
    const en = await ok(t.call('POST', '/api/v1/schools', { body: { name: 'English school', language: 'en' } }), 201);
    expect(en.language).toBe('en');
    expect((await ok(t.call('GET', `/api/v1/schools/${en.id}`), 200)).language).toBe('en');
    const patched = await ok(t.call('PATCH', `/api/v1/schools/${created.id}`, { body: { language: 'en' } }), 200);
    expect(patched.language).toBe('en');
    for (const [method, path] of [
      ['POST', '/api/v1/schools'],
      ['PATCH', `/api/v1/schools/${created.id}`],
    ] as const) {
      const bad = await t.call(method, path, { body: { name: 'French school', language: 'fr' } });
      expect(bad.status, method).toBe(400);
      expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'language' })]);
    }
    expect((await ok(t.call('GET', `/api/v1/schools/${created.id}`), 200)).language).toBe('en');
    for (const id of [created.id, en.id]) await ok(t.call('DELETE', `/api/v1/schools/${id}`), 204);
  });
});

describe('conflicts and integrity', () => {
  it('409 on a duplicate plate', async () => {
    const r = await t.call('POST', '/api/v1/buses', {
      body: { schoolId: w.a.schoolId, plate: 'A-BUS-1', approvedCapacity: 10 },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
  });

  it('409 on a duplicate device identifier for the same protocol', async () => {
    const r = await t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, protocol: 'json', identifier: 'A-dev-1' },
    });
    expect(r.status).toBe(409);
  });

  it('409 when deleting a bus that trips still use, and the bus stays', async () => {
    const r = await t.call('DELETE', `/api/v1/buses/${w.a.buses[0].id}`);
    expect(r.status).toBe(409);
    expect((await t.call('GET', `/api/v1/buses/${w.a.buses[0].id}`)).status).toBe(200);
  });

  it('a rejected write leaves nothing behind (student with a stop of another route)', async () => {
    const before = await t.database.query<{ n: number }>('select count(*)::int as n from students');
    const r = await t.call('POST', '/api/v1/students', {
      body: {
        schoolId: w.a.schoolId,
        name: 'Ghost',
        stops: [{ routeId: w.a.routes[0].id, stopId: w.a.routes[1].stops[0].id }],
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_reference');
    const after = await t.database.query<{ n: number }>('select count(*)::int as n from students');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('refuses a trip whose bus belongs to another school', async () => {
    const r = await t.call('POST', '/api/v1/trips', {
      body: {
        routeId: w.a.routes[0].id,
        busId: w.b.buses[0].id,
        serviceDate: '2026-09-02',
        plannedStartAt: '2026-09-02T07:00:00+08:00',
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('busId');
  });
});
