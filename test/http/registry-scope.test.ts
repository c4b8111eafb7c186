// Every route that returns bus or student data checks role and scope.
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

const ids = (r: { body: any }) => r.body.items.map((x: any) => x.id).sort();

describe('manager scope', () => {
  it('a manager of school A gets 403 on school B objects, read and write', async () => {
    const tok = w.tokens.managerA;
    for (const [path, id] of [
      ['buses', w.b.buses[0].id],
      ['devices', w.b.devices[0].id],
      ['drivers', w.b.drivers[0].id],
      ['attendants', w.b.attendants[0].id],
      ['routes', w.b.routes[0].id],
      ['students', w.b.students[0].id],
      ['guardians', w.b.guardians[0].id],
      ['trips', w.b.trips[0].id],
      ['schools', w.b.schoolId],
    ] as const) {
      const get = await t.call('GET', `/api/v1/${path}/${id}`, { token: tok });
      expect(get.status, `GET ${path}`).toBe(403);
      expect(get.body.error.code).toBe('forbidden');
      expect(JSON.stringify(get.body)).not.toContain('B-');
      expect((await t.call('PATCH', `/api/v1/${path}/${id}`, { token: tok, body: {} })).status, `PATCH ${path}`).toBe(
        403,
      );
      expect((await t.call('DELETE', `/api/v1/${path}/${id}`, { token: tok })).status, `DELETE ${path}`).toBe(403);
    }
  });

  it('lists only their own school', async () => {
    const r = await t.call('GET', '/api/v1/buses', { token: w.tokens.managerA });
    expect(ids(r)).toEqual(w.a.buses.map((b) => b.id).sort());
    const students = await t.call('GET', '/api/v1/students', { token: w.tokens.managerB });
    expect(ids(students)).toEqual([w.b.students[0].id]);
  });

  it('cannot create in another school, can in their own', async () => {
    expect(
      (
        await t.call('POST', '/api/v1/buses', {
          token: w.tokens.managerA,
          body: { schoolId: w.b.schoolId, plate: 'X-1', approvedCapacity: 10 },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await t.call('POST', '/api/v1/buses', {
          token: w.tokens.managerA,
          body: { schoolId: w.a.schoolId, plate: 'X-2', approvedCapacity: 10 },
        })
      ).status,
    ).toBe(201);
  });

  it('cannot move an object into another school', async () => {
    const r = await t.call('PATCH', `/api/v1/buses/${w.a.buses[0].id}`, {
      token: w.tokens.managerA,
      body: { schoolId: w.b.schoolId },
    });
    expect(r.status).toBe(403);
  });

  it('cannot create schools, managers or admins; can create a guardian user of their school only', async () => {
    expect(
      (await t.call('POST', '/api/v1/schools', { token: w.tokens.managerA, body: { name: 'Rogue' } })).status,
    ).toBe(403);
    expect(
      (await t.call('POST', '/api/v1/users', { token: w.tokens.managerA, body: { name: 'x', role: 'admin' } })).status,
    ).toBe(403);
    expect(
      (
        await t.call('POST', '/api/v1/users', {
          token: w.tokens.managerA,
          body: { name: 'x', role: 'guardian', guardianId: w.b.guardians[0].id },
        })
      ).status,
    ).toBe(403);
    const u = await ok(
      t.call('POST', '/api/v1/users', {
        token: w.tokens.managerA,
        body: { name: 'x', role: 'guardian', guardianId: w.a.guardians[0].id },
      }),
    );
    const tok = await t.call('POST', `/api/v1/users/${u.id}/tokens`, { token: w.tokens.managerA, body: {} });
    expect(tok.status).toBe(201);
    expect(tok.body.token).toMatch(/^bg_/);
    // …and cannot issue tokens for school B's users.
    const bUsers = (await t.call('GET', '/api/v1/users')).body.items.filter(
      (x: any) => x.guardianId === w.b.guardians[0].id,
    );
    expect(
      (await t.call('POST', `/api/v1/users/${bUsers[0].id}/tokens`, { token: w.tokens.managerA, body: {} })).status,
    ).toBe(403);
  });
});

describe('guardian scope', () => {
  it("sees their own child's bus, route, trip and child — and 403 on another family's", async () => {
    const tok = w.tokens.guardianA1;
    const own = {
      buses: w.a.buses[0].id,
      routes: w.a.routes[0].id,
      trips: w.a.trips[0].id,
      students: w.a.students[0].id,
      guardians: w.a.guardians[0].id,
    };
    const other = {
      buses: w.a.buses[1].id,
      routes: w.a.routes[1].id,
      trips: w.a.trips[1].id,
      students: w.a.students[1].id,
      guardians: w.a.guardians[1].id,
    };
    for (const [path, id] of Object.entries(own))
      expect((await t.call('GET', `/api/v1/${path}/${id}`, { token: tok })).status, `own ${path}`).toBe(200);
    for (const [path, id] of Object.entries(other)) {
      const r = await t.call('GET', `/api/v1/${path}/${id}`, { token: tok });
      expect(r.status, `other ${path}`).toBe(403);
      expect(r.body.error).toBeDefined();
    }
    expect((await t.call('GET', `/api/v1/buses/${w.b.buses[0].id}`, { token: tok })).status).toBe(403);
  });

  it('lists only their own children and buses', async () => {
    expect(ids(await t.call('GET', '/api/v1/students', { token: w.tokens.guardianA1 }))).toEqual([w.a.students[0].id]);
    expect(ids(await t.call('GET', '/api/v1/students', { token: w.tokens.guardianA2 }))).toEqual([w.a.students[1].id]);
    expect(ids(await t.call('GET', '/api/v1/buses', { token: w.tokens.guardianA1 }))).toEqual([w.a.buses[0].id]);
    expect(ids(await t.call('GET', '/api/v1/trips', { token: w.tokens.guardianB }))).toEqual([w.b.trips[0].id]);
  });

  it('gets 403 on registry data that is not theirs to see, and on every write', async () => {
    for (const path of ['drivers', 'devices', 'attendants'])
      expect((await t.call('GET', `/api/v1/${path}`, { token: w.tokens.guardianA1 })).status, path).toBe(403);
    expect(
      (
        await t.call('PATCH', `/api/v1/students/${w.a.students[0].id}`, {
          token: w.tokens.guardianA1,
          body: { name: 'x' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await t.call('POST', '/api/v1/buses', {
          token: w.tokens.guardianA1,
          body: { schoolId: w.a.schoolId, plate: 'G-1', approvedCapacity: 5 },
        })
      ).status,
    ).toBe(403);
    expect(
      (await t.call('POST', '/api/v1/users', { token: w.tokens.guardianA1, body: { name: 'x', role: 'admin' } }))
        .status,
    ).toBe(403);
  });
});

describe('attendant and device scope', () => {
  it('an attendant sees the trip assigned to them and not the other one', async () => {
    const tok = w.tokens.attendantA1;
    expect((await t.call('GET', `/api/v1/trips/${w.a.trips[0].id}`, { token: tok })).status).toBe(200);
    expect((await t.call('GET', `/api/v1/trips/${w.a.trips[1].id}`, { token: tok })).status).toBe(403);
    expect(ids(await t.call('GET', '/api/v1/trips', { token: tok }))).toEqual([w.a.trips[0].id]);
    // Riders of their route, not of the other route.
    expect(ids(await t.call('GET', '/api/v1/students', { token: tok }))).toEqual([w.a.students[0].id]);
    expect((await t.call('GET', `/api/v1/students/${w.a.students[1].id}`, { token: tok })).status).toBe(403);
  });

  it('a device token reads only its own bus', async () => {
    expect((await t.call('GET', `/api/v1/buses/${w.a.buses[0].id}`, { token: w.tokens.deviceA1 })).status).toBe(200);
    expect((await t.call('GET', `/api/v1/buses/${w.a.buses[1].id}`, { token: w.tokens.deviceA1 })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/students', { token: w.tokens.deviceA1 })).status).toBe(403);
  });
});
