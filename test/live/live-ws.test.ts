// A guardian follows their child's trip over a real WebSocket while a bus drives through the real pipeline
// (ingest → engine runner → live hub): positions, ETA and notices arrive; other buses and trips are refused;
// a reconnect with the last seq replays exactly the missed notices; dwell and jitter do not repeat notices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import type { DeviceInfo } from '../../src/pipeline/types';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { issueToken, insertUser } from '../../src/store/repos/auth-repo';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';
import { connect, type LiveClient, type LiveServer, startLiveServer, subscribe } from './helpers';

const START_MS = Date.parse('2026-09-01T07:00:00+08:00');
const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);
const LON0 = 121.5; // east of school A's routes, west of school B's
const MIDDLE_M = 1400;
const SCHOOL_M = 2800;

let t: TestApp;
let w: World;
let ingest: PipelineIngest;
let runner: EngineRunner;
let live: LiveService;
let srv: LiveServer;
let device: DeviceInfo;
let tripId: number;
let busId: number;
let middleStopId: number;
let guardianToken: string;

const lonAt = (xM: number) => LON0 + xM / M_PER_DEG_LON;

beforeAll(async () => {
  t = await createTestApp(START_MS - 60_000);
  w = await buildWorld(t);
  const schoolId = w.a.schoolId;
  const route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        // Approved (Art. 30): trips are refused on an unapproved route.
        approvedBy: 'County education bureau',
        approvalNumber: 'XC-2026-001',
        approvedOn: '2026-01-05',
        schoolId,
        name: 'Live route',
        path: {
          type: 'LineString',
          coordinates: [
            [LON0, 31.2],
            [lonAt(SCHOOL_M + 200), 31.2],
          ],
        },
        stops: [
          { name: 'Start', lat: 31.2, lon: LON0, scheduledTime: '07:00' },
          { name: 'Middle', lat: 31.2, lon: lonAt(MIDDLE_M), scheduledTime: '07:03' },
          { name: 'School', lat: 31.2, lon: lonAt(SCHOOL_M), scheduledTime: '07:06' },
        ],
      },
    }),
  );
  middleStopId = route.stops[1].id;
  const bus = await ok(
    t.call('POST', '/api/v1/buses', {
      body: {
        schoolId,
        plate: 'LIVE-1',
        approvedCapacity: 40,
        signValidUntil: '2027-01-01',
        inspectionValidUntil: '2027-01-01',
      },
    }),
  );
  busId = bus.id;
  await ok(
    t.call('POST', '/api/v1/devices', {
      body: { schoolId, busId, protocol: 'json', identifier: 'L-dev-1', secret: 'secret-123' },
    }),
  );
  const student = await ok(
    t.call('POST', '/api/v1/students', {
      body: { schoolId, name: 'Xiao Ming', stops: [{ routeId: route.id, stopId: middleStopId }] },
    }),
  );
  const guardian = await ok(
    t.call('POST', '/api/v1/guardians', {
      body: {
        schoolId,
        name: 'Parent L',
        studentIds: [student.id],
        locale: 'en',
        noticePreferences: { approachMetres: 500 },
      },
    }),
  );
  const trip = await ok(
    t.call('POST', '/api/v1/trips', {
      body: { routeId: route.id, busId, serviceDate: '2026-09-01', plannedStartAt: '2026-09-01T07:00:00+08:00' },
    }),
  );
  tripId = trip.id;
  const user = await insertUser(t.database.db, { name: 'Parent L', role: 'guardian', guardianId: guardian.id });
  guardianToken = (await issueToken(t.database.db, user.id)).token;

  const now = () => t.clock.nowMs;
  ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 1 } });
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  runner.attach(ingest);
  live = createLiveHub({ database: t.database, log: silentLogger, now });
  live.attach({ ingest, runner });
  srv = await startLiveServer({ database: t.database, log: silentLogger, now, ingest, runner, live });
  device = (await ingest.lookupDevice('json', 'L-dev-1'))!;
});

afterAll(async () => {
  await srv?.close();
  await runner?.close();
  await ingest?.close();
  await t?.close();
});

let driveS = 0;
let xM = 0;
/** Drives `seconds` at `kph` (or holds position offsets when dwelling), one fix per second, five per submission. */
async function drive(seconds: number, step: (s: number) => { dxM?: number; offsetM?: number; kph: number }) {
  let batch: Fix[] = [];
  for (let s = 0; s < seconds; s++) {
    driveS++;
    const st = step(s);
    xM += st.dxM ?? 0;
    const timeMs = START_MS + 30_000 + driveS * 1000;
    batch.push({
      deviceId: 'L-dev-1',
      protocol: 'json',
      timeMs,
      lat: 31.2,
      lon: lonAt(xM + (st.offsetM ?? 0)),
      speedKph: st.kph,
      valid: true,
      alarms: [],
      attributes: {},
    });
    if (batch.length === 5 || s === seconds - 1) {
      t.clock.nowMs = timeMs + 500;
      await ingest.submitFixes(device, batch, t.clock.nowMs);
      batch = [];
    }
  }
  await runner.idle();
  await live.idle();
}
const cruise = (kph: number) => () => ({ dxM: kph / 3.6, kph });

const noticeKinds = (c: LiveClient) => c.of('notice').map((m) => m.data.kind);

describe('live tracking over WebSocket', () => {
  let parent: LiveClient;
  let other: LiveClient;

  it('authenticates by header or first message and refuses every topic out of scope with no data', async () => {
    parent = await connect(srv.wsUrl, { token: guardianToken });
    await parent.waitFor((m) => m.type === 'authenticated', 'authenticated');
    expect((await subscribe(parent, `trip:${tripId}`)).type).toBe('subscribed');
    for (const topic of [
      `bus:${w.a.buses[0].id}`,
      `trip:${w.a.trips[0].id}`,
      `trip:${w.b.trips[0].id}`,
      `school:${w.a.schoolId}:violations`,
    ]) {
      const answer = await subscribe(parent, topic);
      expect(answer, topic).toMatchObject({ type: 'error', status: 403, code: 'forbidden', topic });
    }
    expect(await subscribe(parent, 'trips:all')).toMatchObject({ type: 'error', status: 400, code: 'bad_topic' });

    other = await connect(srv.wsUrl); // browser style: auth message
    other.send({ type: 'subscribe', topic: `trip:${tripId}` });
    expect(await other.waitFor((m) => m.type === 'error')).toMatchObject({ status: 401, code: 'unauthorized' });
    other.send({ type: 'auth', token: w.tokens.guardianA1 });
    await other.waitFor((m) => m.type === 'authenticated', 'authenticated');
    expect(await subscribe(other, `trip:${tripId}`)).toMatchObject({ type: 'error', status: 403 });
    expect(await subscribe(other, `bus:${busId}`)).toMatchObject({ type: 'error', status: 403 });

    // A bad token on the upgrade is an HTTP 401; in a first message it closes the socket.
    await expect(connect(srv.wsUrl, { token: 'bg_not-a-token' })).rejects.toThrow(/401/);
    const bad = await connect(srv.wsUrl);
    bad.send({ type: 'auth', token: 'nope' });
    expect((await bad.closed).code).toBe(4401);
  });

  it('pushes positions, ETA and notices for the child’s trip while the bus approaches', async () => {
    await drive(10, () => ({ kph: 0 })); // at the first stop
    await drive(95, cruise(36)); // 950 m: 450 m before the child's stop
    const lastFixMs = START_MS + 30_000 + driveS * 1000;
    const lastPos = await parent.waitFor(
      (m) => m.type === 'position' && m.data.timeMs === lastFixMs,
      'the latest position',
    );
    expect(parent.of('position', `trip:${tripId}`).length).toBeGreaterThan(5);
    expect(lastPos.data.busId).toBe(busId);
    expect(lastPos.data.lon).toBeCloseTo(lonAt(xM), 5);
    const etas = parent.of('eta', `trip:${tripId}`);
    expect(etas.length).toBeGreaterThan(0);
    const middle = etas.at(-1).data.stops.find((s: any) => s.stopId === String(middleStopId));
    // 450 m at 10 m/s from the last progress event (≤ 5 s old).
    const expectedMs = START_MS + 30_000 + driveS * 1000 + 45_000;
    expect(Math.abs(middle.etaMs - expectedMs)).toBeLessThan(8_000);
    expect(noticeKinds(parent)).toEqual(['trip.started', 'approaching']);
    const approaching = parent.of('notice').find((m) => m.data.kind === 'approaching');
    expect(approaching.data.payload.remainingM).toBeLessThanOrEqual(500);
    expect(approaching.data.text).toMatch(/approaching the Middle stop/);
    // Seqs on the topic only grow.
    const seqs = parent.messages
      .filter((m) => m.topic === `trip:${tripId}` && typeof m.seq === 'number')
      .map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    // The family of the other route got nothing.
    expect(other.messages.filter((m) => ['position', 'eta', 'notice', 'trip'].includes(m.type))).toEqual([]);
  });

  it('hands a late subscriber the latest position, ETA and the trip’s start at once', async () => {
    // A page that read the trip while it was still planned and subscribes after the start must not miss it.
    const late = await connect(srv.wsUrl, { token: guardianToken });
    await late.waitFor((m) => m.type === 'authenticated', 'authenticated');
    expect((await subscribe(late, `trip:${tripId}`)).type).toBe('subscribed');
    const started = await late.waitFor(
      (m) => m.type === 'trip' && m.data.event === 'trip.started',
      'the trip.started snapshot',
    );
    expect(started.topic).toBe(`trip:${tripId}`);
    await late.waitFor((m) => m.type === 'position', 'the position snapshot');
    await late.waitFor((m) => m.type === 'eta', 'the ETA snapshot');
    // only the lifecycle event is kept: stop events are not replayed as a snapshot
    expect(late.of('trip').map((m) => m.data.event)).toEqual(['trip.started']);
    await late.close();
  });

  it('answers the REST twins with the same scope', async () => {
    const get = (path: string, token: string) =>
      fetch(srv.url + path, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as any,
      }));
    const pos = await get(`/api/v1/trips/${tripId}/position`, guardianToken);
    expect(pos.status).toBe(200);
    expect(pos.body.position.lon).toBeCloseTo(lonAt(xM), 5);
    expect((await get(`/api/v1/buses/${busId}/position`, guardianToken)).status).toBe(200);
    const eta = await get(`/api/v1/trips/${tripId}/eta?stopId=${middleStopId}`, guardianToken);
    expect(eta.body).toMatchObject({ source: 'live', tripId });
    expect(eta.body.stops).toHaveLength(1);
    expect(eta.body.stops[0].remainingM).toBeGreaterThan(300);
    expect((await get(`/api/v1/buses/${w.a.buses[0].id}/position`, guardianToken)).status).toBe(403);
    expect((await get(`/api/v1/trips/${w.a.trips[0].id}/eta`, guardianToken)).status).toBe(403);
    expect((await get(`/api/v1/trips/${tripId}/position`, w.tokens.guardianA1)).status).toBe(403);
    expect((await get(`/api/v1/trips/${tripId}/eta`, w.tokens.guardianA1)).body.error.code).toBe('forbidden');
    // Before a trip starts the ETA is the timetable.
    const planned = await get(`/api/v1/trips/${w.a.trips[0].id}/eta`, w.tokens.managerA);
    expect(planned.body.source).toBe('timetable');
    expect(planned.body.stops[0].scheduledMs).toBe(START_MS);
    const notices = await get('/api/v1/notices?limit=1', guardianToken);
    expect(notices.body.items.map((n: any) => n.kind)).toEqual(['trip.started']);
    const rest = await get(`/api/v1/notices?cursor=${notices.body.nextCursor}`, guardianToken);
    expect(rest.body.items.map((n: any) => n.kind)).toEqual(['approaching']);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('replays exactly the missed notices to a client reconnecting with its last seq; dwell and jitter repeat nothing', async () => {
    const lastSeq = Math.max(
      ...parent.messages.filter((m) => m.topic === `trip:${tripId}` && typeof m.seq === 'number').map((m) => m.seq),
    );
    await parent.close();
    await drive(45, cruise(36)); // arrives at the child's stop
    // Dwell 40 s, jittering across the arrival radius (50 m) but inside the departure margin (70 m).
    const jitter = [0, 55, -60, 40, 65, -55, 62, 0];
    await drive(40, (s) => ({ offsetM: jitter[s % jitter.length], kph: 0 }));
    await drive(20, cruise(36)); // leaves it
    const reconnect = await connect(srv.wsUrl, { token: guardianToken });
    await subscribe(reconnect, `trip:${tripId}`, lastSeq);
    await reconnect.waitFor((m) => m.type === 'notice' && m.data.kind === 'stop.departed', 'replayed departure');
    await new Promise((r) => setTimeout(r, 100));
    expect(noticeKinds(reconnect)).toEqual(['stop.arrived', 'stop.departed']);
    const arrivedSeq = reconnect.of('notice')[0].seq;
    expect(arrivedSeq).toBeGreaterThan(lastSeq);

    // A second reconnect that had the arrival gets only the departure.
    const again = await connect(srv.wsUrl, { token: guardianToken });
    await subscribe(again, `trip:${tripId}`, arrivedSeq);
    await again.waitFor((m) => m.type === 'notice', 'replayed notice');
    await new Promise((r) => setTimeout(r, 100));
    expect(noticeKinds(again)).toEqual(['stop.departed']);
    await again.close();

    // On to school: live notice on the resumed connection, and the stored notices are one per kind.
    await drive(140, cruise(36));
    await reconnect.waitFor((m) => m.type === 'notice' && m.data.kind === 'school.arrived', 'school.arrived');
    expect(noticeKinds(reconnect)).toEqual(['stop.arrived', 'stop.departed', 'school.arrived']);
    const rows = await t.database.query<{ kind: string; n: number }>(
      'select kind, count(*)::int as n from notices where trip_id = $1 group by kind order by kind',
      [tripId],
    );
    expect(rows).toEqual([
      { kind: 'approaching', n: 1 },
      { kind: 'school.arrived', n: 1 },
      { kind: 'stop.arrived', n: 1 },
      { kind: 'stop.departed', n: 1 },
      { kind: 'trip.started', n: 1 },
    ]);
    // Trip events are live only (not replayed): the resumed client saw the arrival at school, not at the middle stop.
    const arrivals = reconnect.of('trip').filter((m) => m.data.event === 'stop.arrived');
    expect(arrivals.map((m) => m.data.name)).toEqual(['School']);
    expect(reconnect.of('trip').map((m) => m.data.event)).toContain('trip.arrivedAtSchool');
    await reconnect.close();
    await other.close();
  });

  it('delivers boarding notices to the child’s guardians only, once', async () => {
    const c = await connect(srv.wsUrl, { token: guardianToken });
    await subscribe(c, `trip:${tripId}`);
    const rows = await t.database.query<{ student_id: number }>(
      'select student_id from student_stops where stop_id = $1',
      [middleStopId],
    );
    const input = { tripId, studentId: rows[0]!.student_id, boarded: true, timeMs: t.clock.nowMs };
    expect(await live.notices.noticeBoarding(input)).toHaveLength(1);
    expect(await live.notices.noticeBoarding(input)).toHaveLength(0);
    const n = await c.waitFor((m) => m.type === 'notice' && m.data.kind === 'student.boarded', 'boarded');
    expect(n.data.text).toBe('Xiao Ming has boarded the bus.');
    expect(n.data.textZh).toBe('Xiao Ming已上车。');
    await c.close();
  });

  it('tells guardians when a manager changes the bus of their trip through the API', async () => {
    const trip = w.a.trips[1];
    const c = await connect(srv.wsUrl, { token: w.tokens.guardianA2 });
    await subscribe(c, `trip:${trip.id}`);
    const res = await fetch(`${srv.url}/api/v1/trips/${trip.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${w.tokens.managerA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ busId: w.a.buses[0].id }),
    });
    expect(res.status).toBe(200);
    const n = await c.waitFor((m) => m.type === 'notice' && m.data.kind === 'bus.substituted', 'substituted via PATCH');
    expect(n.data.text).toContain('A-BUS-1');
    await c.close();
  });

  it('tells guardians about a substituted bus and a trip not started, once each', async () => {
    const c = await connect(srv.wsUrl, { token: guardianToken });
    await subscribe(c, `trip:${tripId}`);
    expect(
      (await live.notices.noticeBusSubstituted(tripId, { previousBusId: w.a.buses[1].id })).map((n) => n.kind),
    ).toEqual(['bus.substituted']);
    expect(await live.notices.noticeBusSubstituted(tripId, { previousBusId: w.a.buses[1].id })).toHaveLength(0);
    const n = await c.waitFor((m) => m.type === 'notice' && m.data.kind === 'bus.substituted', 'substituted');
    expect(n.data.text).toContain('LIVE-1');
    await c.close();
    // School A's first trip never started: its guardian (zh-CN) gets one late notice.
    t.clock.nowMs = START_MS + 11 * 60_000;
    const late = await live.notices.noticeTripNotStarted(w.a.trips[0].id);
    expect(late.map((x) => x.kind)).toEqual(['trip.late']);
    expect(late[0]!.text).toMatch(/尚未发车/);
    expect(await live.notices.noticeTripNotStarted(w.a.trips[0].id)).toHaveLength(0);
    // A running trip is not "not started".
    expect(await live.notices.noticeTripNotStarted(tripId)).toHaveLength(0);
  });
});
