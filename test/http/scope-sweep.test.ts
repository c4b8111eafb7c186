// A sweep over every operation in the OpenAPI document: a parent (guardian of child A1) aimed at another family's
// objects gets 403 and no data, and no list shows another family's bus, child or parent. A new route with an
// {id} must be added to the table below, or this test fails — so every route gets the check. The same sweep
// subscribes to every WebSocket topic kind over a real connection (a new kind must be added to `topicOf`, or
// the type-check fails).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging';
import { createLiveHub } from '../../src/live/service';
import { busTopic, schoolViolationsTopic, type Topic, tripTopic } from '../../src/live/topics';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type SchoolWorld, type World } from '../helpers/world';
import { connect, type LiveServer, startLiveServer, subscribe } from '../live/helpers';

let t: TestApp;
let w: World;
let others: Record<string, number>;
let schoolB: Record<string, number>;
let doc: { paths: Record<string, Record<string, unknown>> };
let srv: LiveServer;
/** A supervisor (bureau) overseeing school A only. */
let supervisorA: string;

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  // School A's second family (seen from the first family's parent) and school B's family (seen from manager A).
  others = { ...(await objectsOf(w.a, 1, w.tokens.managerA, w.tokens.guardianA2)), schools: w.b.schoolId };
  schoolB = await objectsOf(w.b, 0, w.tokens.managerB, w.tokens.guardianB);
  doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).body;
  const sup = await ok(
    t.call('POST', '/api/v1/users', { body: { name: 'Inspector A', role: 'supervisor', schoolIds: [w.a.schoolId] } }),
  );
  supervisorA = (await ok(t.call('POST', `/api/v1/users/${sup.id}/tokens`, { body: {} }))).token;
  const now = () => t.clock.nowMs;
  srv = await startLiveServer({
    database: t.database,
    log: silentLogger,
    now,
    live: createLiveHub({ database: t.database, log: silentLogger, now }),
  });
}, 300_000);
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

/** One object of each kind belonging to family `i` of a school: registry rows, a violation, a report, a manager and a token. */
async function objectsOf(
  school: SchoolWorld,
  i: number,
  managerToken: string,
  guardianToken: string,
): Promise<Record<string, number>> {
  const [violation] = await t.database.query<{ id: number }>(
    `insert into violations (episode_key, kind, severity, school_id, bus_id, trip_id, started_at)
     values ($4, 'overspeed', 'major', $1, $2, $3, now()) returning id`,
    [school.schoolId, school.buses[i].id, school.trips[i].id, `sweep-test-${school.schoolId}-${i}`],
  );
  const report = await ok(
    t.call('POST', '/api/v1/reports', { body: { schoolId: school.schoolId, period: '2026-09-01' } }),
  );
  const manager = (await t.call('GET', '/api/v1/me', { token: managerToken })).body;
  const tokens = await ok(t.call('GET', `/api/v1/users/${manager.userId}/tokens`), 200);
  // the family's own push subscription and share link
  const pushSub = await ok(
    t.call('POST', '/api/v1/push/subscriptions', {
      token: guardianToken,
      body: {
        endpoint: `https://fcm.googleapis.com/fcm/send/sweep-${school.schoolId}-${i}`,
        keys: { p256dh: `BA${'A'.repeat(85)}`, auth: 'A'.repeat(22) },
      },
    }),
  );
  const shareLink = await ok(
    t.call('POST', '/api/v1/share-links', { token: guardianToken, body: { studentId: school.students[i].id } }),
  );
  const [notice] = await t.database.query<{ id: number }>(
    `insert into staff_notices (user_id, kind, violation_id, dedupe_key, text_zh, text_en)
     values ($1, 'caseEscalated', $2, $3, 'Driver B1 挂牌督办', 'escalated') returning id`,
    [manager.userId, violation!.id, `sweep-test-${school.schoolId}-${i}`],
  );
  const drill = await ok(
    t.call('POST', '/api/v1/evacuation-drills', {
      body: { schoolId: school.schoolId, routeId: school.routes[i].id, heldOn: '2026-09-01', participants: 20 },
    }),
  );
  return {
    'evacuation-drills': drill.id,
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
    push: pushSub.id,
    'share-links': shareLink.id,
    'staff-notices': notice!.id,
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
      const r = await t.call(method.toUpperCase(), path.replace('{id}', String(id)), {
        token,
        body: method === 'get' || method === 'delete' ? undefined : {},
      });
      expect(r.status, `${method} ${path}`).toBe(403);
      const text = JSON.stringify(r.body);
      for (const h of hidden) expect(text, `${method} ${path}`).not.toContain(h);
      checked++;
    }
  }
  return checked;
}

/** Every live topic kind (src/live/topics.ts), aimed at the objects in `ids`. */
const topicOf: Record<Topic['kind'], (ids: Record<string, number>) => string> = {
  trip: (ids) => tripTopic(ids.trips!),
  bus: (ids) => busTopic(ids.buses!),
  schoolViolations: (ids) => schoolViolationsTopic(ids.schools!),
};

/**
 * Subscribes over a real WebSocket to every topic kind aimed at `ids`: each answers an `error` with status 403,
 * no data and none of `hidden`, and nothing else arrives for those topics. `allowed` topics are subscribed
 * first on the same connection, to show the refusals are about scope and not a broken connection.
 */
async function sweepTopics(
  token: string,
  ids: Record<string, number>,
  hidden: string[],
  allowed: string[],
): Promise<number> {
  const client = await connect(srv.wsUrl, { token });
  try {
    await client.waitFor((m) => m.type === 'authenticated', 'authenticated');
    for (const topic of allowed)
      expect(await subscribe(client, topic), topic).toMatchObject({ type: 'subscribed', topic });
    const refused = Object.values(topicOf).map((topicFor) => topicFor(ids));
    for (const topic of refused) {
      const answer = await subscribe(client, topic);
      expect(answer, topic).toMatchObject({ type: 'error', status: 403, code: 'forbidden', topic });
      expect(answer, topic).not.toHaveProperty('data');
      for (const h of hidden) expect(JSON.stringify(answer), topic).not.toContain(h);
    }
    // Give a stray message time to arrive, then: nothing but the refusals for those topics.
    await new Promise((r) => setTimeout(r, 200));
    expect(client.messages.filter((m) => refused.includes(m.topic) && m.type !== 'error')).toEqual([]);
    return refused.length;
  } finally {
    await client.close();
  }
}

describe("a parent and another family's data", () => {
  it("every operation on another family's object answers 403 with no data", async () => {
    expect(await sweepObjects(w.tokens.guardianA1, others, foreign)).toBeGreaterThan(40);
  });

  it("a manager of school A gets 403 on every operation on school B's objects", async () => {
    expect(
      await sweepObjects(w.tokens.managerA, schoolB, ['B-BUS-1', 'Child B1', 'Parent B1', 'Driver B1']),
    ).toBeGreaterThan(40);
  });

  it("a supervisor of school A gets 403 on every operation on school B's objects, and no list shows them", async () => {
    const hidden = ['B-BUS-1', 'Child B1', 'Parent B1', 'Driver B1'];
    expect(await sweepObjects(supervisorA, schoolB, hidden)).toBeGreaterThan(40);
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.includes('{') || !('get' in ops) || path.endsWith('openapi.json')) continue;
      const r = await t.call('GET', path, { token: supervisorA });
      expect([200, 403], `GET ${path}`).toContain(r.status);
      for (const h of hidden) expect(JSON.stringify(r.body), `GET ${path}`).not.toContain(h);
    }
    const own = [busTopic(w.a.buses[0].id), schoolViolationsTopic(w.a.schoolId)];
    expect(await sweepTopics(supervisorA, schoolB, hidden, own)).toBe(Object.keys(topicOf).length);
  });

  it('every live topic kind of another family answers 403 with no data over a real WebSocket', async () => {
    const own = [tripTopic(w.a.trips[0].id), busTopic(w.a.buses[0].id)];
    expect(await sweepTopics(w.tokens.guardianA1, { ...others, schools: w.a.schoolId }, foreign, own)).toBe(
      Object.keys(topicOf).length,
    );
    expect(await sweepTopics(w.tokens.guardianA1, others, foreign, [])).toBe(Object.keys(topicOf).length);
  });

  it('a manager of school A gets 403 on every live topic kind of school B over a real WebSocket', async () => {
    const own = [tripTopic(w.a.trips[1].id), busTopic(w.a.buses[1].id), schoolViolationsTopic(w.a.schoolId)];
    expect(await sweepTopics(w.tokens.managerA, schoolB, ['B-BUS-1', 'Child B1', 'Parent B1', 'Driver B1'], own)).toBe(
      Object.keys(topicOf).length,
    );
  });

  it('no list the parent can read shows another family', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      // (a path with any parameter is an object, swept above; /shared/{secret} takes no token: its own test)
      if (path.includes('{') || !('get' in ops) || path.endsWith('openapi.json')) continue;
      const r = await t.call('GET', path, { token: w.tokens.guardianA1 });
      expect([200, 403], `GET ${path}`).toContain(r.status);
      const text = JSON.stringify(r.body);
      for (const f of foreign) expect(text, `GET ${path}`).not.toContain(f);
    }
  });

  it("cannot ask for another family's notices or another school's violations by query", async () => {
    expect(
      (await t.call('GET', `/api/v1/notices?guardianId=${w.a.guardians[1].id}`, { token: w.tokens.guardianA1 })).status,
    ).toBe(403);
    expect(
      (await t.call('GET', `/api/v1/violations?schoolId=${w.b.schoolId}`, { token: w.tokens.guardianA1 })).status,
    ).toBe(403);
  });
});
