// What the manager page's registry forms rely on: field details with the broken bound (capacity 0 → too_small,
// minimum 1), codes on reference problems, a guardian's parent link (the guardian's user made once, a token per
// call, earlier links revoked on request, only for the managers of the guardian's school), and a route import
// preview that stores nothing.
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

describe('field details of a 400', () => {
  it('capacity 0 names the field, the code and the minimum', async () => {
    const r = await t.call('POST', '/api/v1/buses', {
      token: w.tokens.managerA,
      body: { schoolId: w.a.schoolId, plate: '沪Z0001', approvedCapacity: 0 },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.details).toEqual([
      expect.objectContaining({ path: 'approvedCapacity', code: 'too_small', minimum: 1, origin: 'number' }),
    ]);
    const big = await t.call('PATCH', `/api/v1/buses/${w.a.buses[0].id}`, {
      token: w.tokens.managerA,
      body: { approvedCapacity: 81, plate: 'x'.repeat(21) },
    });
    expect(big.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'approvedCapacity', code: 'too_big', maximum: 80, origin: 'number' }),
        expect.objectContaining({ path: 'plate', code: 'too_big', maximum: 20, origin: 'string' }),
      ]),
    );
  });
  it('a reference to another school’s bus carries the field and a code', async () => {
    const r = await t.call('POST', '/api/v1/devices', {
      token: w.tokens.managerA,
      body: { schoolId: w.a.schoolId, protocol: 'json', busId: w.b.buses[0].id },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'busId', code: 'other_school' })]);
  });
});

describe('parent link', () => {
  it('signs in as the guardian; the user is made once; revokeOthers stops the earlier links', async () => {
    const g = w.a.guardians[1];
    const first = await ok(
      t.call('POST', `/api/v1/guardians/${g.id}/parent-link`, { token: w.tokens.managerA, body: {} }),
    );
    expect(first).toMatchObject({ guardianId: g.id, revokedTokenIds: [] });
    const me = await ok(t.call('GET', '/api/v1/me', { token: first.token }), 200);
    expect(me).toMatchObject({ role: 'guardian', guardianId: g.id, userId: first.userId });

    const second = await ok(
      t.call('POST', `/api/v1/guardians/${g.id}/parent-link`, { token: w.tokens.managerA, body: {} }),
    );
    expect(second.userId).toBe(first.userId);
    expect(second.token).not.toBe(first.token);
    expect((await t.call('GET', '/api/v1/me', { token: first.token })).status).toBe(200);

    const third = await ok(
      t.call('POST', `/api/v1/guardians/${g.id}/parent-link`, {
        token: w.tokens.managerA,
        body: { revokeOthers: true },
      }),
    );
    expect(third.revokedTokenIds.sort()).toEqual([first.tokenId, second.tokenId].sort());
    expect((await t.call('GET', '/api/v1/me', { token: first.token })).status).toBe(401);
    expect((await t.call('GET', '/api/v1/me', { token: second.token })).status).toBe(401);
    expect((await t.call('GET', '/api/v1/me', { token: third.token })).status).toBe(200);
    const users = await t.database.query<{ n: number }>(
      "select count(*)::int as n from users where role = 'guardian' and guardian_id = $1",
      [g.id],
    );
    expect(users[0]!.n).toBe(1);
  });

  it('only for the managers of the guardian’s school (and admins)', async () => {
    const g = w.a.guardians[0];
    const other = await t.call('POST', `/api/v1/guardians/${g.id}/parent-link`, {
      token: w.tokens.managerB,
      body: {},
    });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    for (const token of [w.tokens.guardianA1, w.tokens.attendantA1])
      expect((await t.call('POST', `/api/v1/guardians/${g.id}/parent-link`, { token, body: {} })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/guardians/999999/parent-link', { body: {} })).status).toBe(404);
    expect((await t.call('POST', `/api/v1/guardians/${g.id}/parent-link`, { body: {} })).status).toBe(201);
  });
});

describe('registry writes of another school', () => {
  it('a manager of school B gets 403 creating, editing or deleting in school A, and nothing changes', async () => {
    const bus = w.a.buses[0];
    const tok = w.tokens.managerB;
    const create = await t.call('POST', '/api/v1/buses', {
      token: tok,
      body: { schoolId: w.a.schoolId, plate: '沪B9999', approvedCapacity: 20 },
    });
    expect(create.status).toBe(403);
    expect(
      (await t.call('PATCH', `/api/v1/buses/${bus.id}`, { token: tok, body: { approvedCapacity: 9 } })).status,
    ).toBe(403);
    expect((await t.call('DELETE', `/api/v1/guardians/${w.a.guardians[0].id}`, { token: tok })).status).toBe(403);
    const [row] = await t.database.query<{ approved_capacity: number }>(
      'select approved_capacity from buses where id = $1',
      [bus.id],
    );
    expect(row!.approved_capacity).toBe(bus.approvedCapacity);
    expect((await t.database.query("select 1 from buses where plate = '沪B9999'")).length).toBe(0);
  });
});

describe('lists with their links', () => {
  it('students with ?include=stops and guardians with ?include=students', async () => {
    const students = await ok(t.call('GET', '/api/v1/students?include=stops', { token: w.tokens.managerA }), 200);
    const s0 = students.items.find((s: any) => s.id === w.a.students[0].id);
    expect(s0.stops).toEqual(w.a.students[0].stops);
    expect(s0.stops.length).toBeGreaterThan(0);
    const plain = await ok(t.call('GET', '/api/v1/students', { token: w.tokens.managerA }), 200);
    expect(plain.items[0].stops).toBeUndefined();
    const guardians = await ok(t.call('GET', '/api/v1/guardians?include=students', { token: w.tokens.managerA }), 200);
    const g0 = guardians.items.find((g: any) => g.id === w.a.guardians[0].id);
    expect(g0.studentIds).toEqual(w.a.guardians[0].studentIds);
    expect((await t.call('GET', '/api/v1/guardians?include=stops', { token: w.tokens.managerA })).status).toBe(400);
  });
});

describe('route import preview', () => {
  it('answers the path and stops and stores nothing', async () => {
    const geojson = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { name: 'Preview line' },
          geometry: {
            type: 'LineString',
            coordinates: [
              [121.4, 31.2],
              [121.41, 31.2],
            ],
          },
        },
        { type: 'Feature', properties: { name: 'Gate' }, geometry: { type: 'Point', coordinates: [121.405, 31.2] } },
      ],
    };
    const before = await t.database.query<{ n: number }>('select count(*)::int as n from routes');
    const p = await ok(
      t.call('POST', '/api/v1/routes/import/geojson', {
        token: w.tokens.managerA,
        body: { schoolId: w.a.schoolId, geojson, preview: true },
      }),
      200,
    );
    expect(p).toMatchObject({ preview: true, name: 'Preview line', simplified: false, sourcePoints: 2 });
    expect(p.stops).toEqual([expect.objectContaining({ name: 'Gate', sequence: 1 })]);
    expect(p.path.coordinates).toHaveLength(2);
    const after = await t.database.query<{ n: number }>('select count(*)::int as n from routes');
    expect(after[0]!.n).toBe(before[0]!.n);
    // Another school's manager may not even preview into school A.
    const other = await t.call('POST', '/api/v1/routes/import/geojson', {
      token: w.tokens.managerB,
      body: { schoolId: w.a.schoolId, geojson, preview: true },
    });
    expect(other.status).toBe(403);
  });
});
