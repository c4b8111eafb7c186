// A sweep over every operation in the OpenAPI document: a parent (guardian of child A1) aimed at another family's
// objects gets 403 and no data, and no list shows another family's bus, child or parent. A new route with an
// {id} must be added to the table below, or this test fails — so every route gets the check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let others: Record<string, number>;
let schoolB: Record<string, number>;
let doc: { paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  const [violation] = await t.database.query<{ id: number }>(
    `insert into violations (episode_key, kind, severity, school_id, bus_id, trip_id, started_at)
     values ('sweep-test', 'overspeed', 'major', $1, $2, $3, now()) returning id`,
    [w.a.schoolId, w.a.buses[1].id, w.a.trips[1].id],
  );
  const report = await ok(t.call('POST', '/api/v1/reports', { body: { schoolId: w.a.schoolId, period: '2026-09-01' } }));
  const managerA = (await t.call('GET', '/api/v1/me', { token: w.tokens.managerA })).body;
  const tokens = await ok(t.call('GET', `/api/v1/users/${managerA.userId}/tokens`), 200);
  others = {
    buses: w.a.buses[1].id,
    trips: w.a.trips[1].id,
    routes: w.a.routes[1].id,
    students: w.a.students[1].id,
    guardians: w.a.guardians[1].id,
    devices: w.a.devices[1].id,
    drivers: w.a.drivers[1].id,
    attendants: w.a.attendants[1].id,
    schools: w.b.schoolId,
    violations: violation!.id,
    reports: report.id,
    users: managerA.userId,
    tokens: tokens.items[0].id,
  };
  const [violationB] = await t.database.query<{ id: number }>(
    `insert into violations (episode_key, kind, severity, school_id, bus_id, trip_id, started_at)
     values ('sweep-test-b', 'overspeed', 'major', $1, $2, $3, now()) returning id`,
    [w.b.schoolId, w.b.buses[0].id, w.b.trips[0].id],
  );
  const reportB = await ok(t.call('POST', '/api/v1/reports', { body: { schoolId: w.b.schoolId, period: '2026-09-01' } }));
  const managerB = (await t.call('GET', '/api/v1/me', { token: w.tokens.managerB })).body;
  const tokensB = await ok(t.call('GET', `/api/v1/users/${managerB.userId}/tokens`), 200);
  schoolB = {
    buses: w.b.buses[0].id,
    trips: w.b.trips[0].id,
    routes: w.b.routes[0].id,
    students: w.b.students[0].id,
    guardians: w.b.guardians[0].id,
    devices: w.b.devices[0].id,
    drivers: w.b.drivers[0].id,
    attendants: w.b.attendants[0].id,
    schools: w.b.schoolId,
    violations: violationB!.id,
    reports: reportB.id,
    users: managerB.userId,
    tokens: tokensB.items[0].id,
  };
  doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).body;
});
afterAll(() => t.close());

const foreign = ['A-BUS-2', 'Child A2', 'Parent A2', 'B-BUS-1', 'Child B1', 'Parent B1'];

/** Every operation on an object named by {id}, aimed at `ids[resource]`: 403, and none of `hidden` in the answer. */
async function sweepObjects(token: string, ids: Record<string, number>, hidden: string[]): Promise<number> {
  let checked = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.includes('{id}')) continue;
    const id = ids[path.split('/')[3]!];
    expect(id, `no object for ${path}: add one to the sweep`).toBeDefined();
    for (const method of Object.keys(ops)) {
      const r = await t.call(method.toUpperCase(), path.replace('{id}', String(id)), { token, body: method === 'get' || method === 'delete' ? undefined : {} });
      expect(r.status, `${method} ${path}`).toBe(403);
      const text = JSON.stringify(r.body);
      for (const h of hidden) expect(text, `${method} ${path}`).not.toContain(h);
      checked++;
    }
  }
  return checked;
}

describe("a parent and another family's data", () => {
  it("every operation on another family's object answers 403 with no data", async () => {
    expect(await sweepObjects(w.tokens.guardianA1, others, foreign)).toBeGreaterThan(40);
  });

  it("a manager of school A gets 403 on every operation on school B's objects", async () => {
    expect(await sweepObjects(w.tokens.managerA, schoolB, ['B-BUS-1', 'Child B1', 'Parent B1', 'Driver B1'])).toBeGreaterThan(40);
  });

  it('no list the parent can read shows another family', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.includes('{id}') || !('get' in ops) || path.endsWith('openapi.json')) continue;
      const r = await t.call('GET', path, { token: w.tokens.guardianA1 });
      expect([200, 403], `GET ${path}`).toContain(r.status);
      const text = JSON.stringify(r.body);
      for (const f of foreign) expect(text, `GET ${path}`).not.toContain(f);
    }
  });

  it('cannot ask for another family\'s notices or another school\'s violations by query', async () => {
    expect((await t.call('GET', `/api/v1/notices?guardianId=${w.a.guardians[1].id}`, { token: w.tokens.guardianA1 })).status).toBe(403);
    expect((await t.call('GET', `/api/v1/violations?schoolId=${w.b.schoolId}`, { token: w.tokens.guardianA1 })).status).toBe(403);
  });
});
