// A sweep over every operation in the OpenAPI document: a parent (guardian of child A1) aimed at another family's
// objects gets 403 and no data, and no list shows another family's bus, child or parent. A new route with an
// {id} must be added to the table below, or this test fails — so every route gets the check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type SchoolWorld, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let others: Record<string, number>;
let schoolB: Record<string, number>;
let doc: { paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  // School A's second family (seen from the first family's parent) and school B's family (seen from manager A).
  others = { ...(await objectsOf(w.a, 1, w.tokens.managerA)), schools: w.b.schoolId };
  schoolB = await objectsOf(w.b, 0, w.tokens.managerB);
  doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).body;
});
afterAll(() => t.close());

/** One object of each kind belonging to family `i` of a school: registry rows, a violation, a report, a manager and a token. */
async function objectsOf(school: SchoolWorld, i: number, managerToken: string): Promise<Record<string, number>> {
  const [violation] = await t.database.query<{ id: number }>(
    `insert into violations (episode_key, kind, severity, school_id, bus_id, trip_id, started_at)
     values ($4, 'overspeed', 'major', $1, $2, $3, now()) returning id`,
    [school.schoolId, school.buses[i].id, school.trips[i].id, `sweep-test-${school.schoolId}-${i}`],
  );
  const report = await ok(t.call('POST', '/api/v1/reports', { body: { schoolId: school.schoolId, period: '2026-09-01' } }));
  const manager = (await t.call('GET', '/api/v1/me', { token: managerToken })).body;
  const tokens = await ok(t.call('GET', `/api/v1/users/${manager.userId}/tokens`), 200);
  return {
    buses: school.buses[i].id,
    trips: school.trips[i].id,
    routes: school.routes[i].id,
    students: school.students[i].id,
    guardians: school.guardians[i].id,
    devices: school.devices[i].id,
    drivers: school.drivers[i].id,
    attendants: school.attendants[i].id,
    schools: school.schoolId,
    violations: violation!.id,
    reports: report.id,
    users: manager.userId,
    tokens: tokens.items[0].id,
  };
}

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
