// Attendants on a real database with the real engine runner: check-in and the pre-departure checks, idempotent
// and out-of-order boarding batches, the capacity boundary, wrong-bus warnings, guardian notices, the
// end-of-trip sweep and its deadline alert, and the attendant's trip-and-day scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import type { AttendanceDeps, AttendanceHooks } from '../../src/http/resources/attendance';
import { checkSweepDeadlines, type LeftOnBoardAlert } from '../../src/jobs/sweep-deadlines';
import type { BoardingNoticeInput } from '../../src/live/notices';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createTestApp, type TestApp } from '../helpers/app';
import { assertContract } from '../helpers/contract';
import { buildWorld, ok, type World } from '../helpers/world';

// The world's trips run on 2026-09-01 (Asia/Shanghai); the clock starts at 07:30 local that day.
const DAY0_MS = Date.parse('2026-09-01T07:30:00+08:00');
const MIN = 60_000;

let t: TestApp;
let w: World;
let runner: EngineRunner;
let call: TestApp['call'];
const noticesSent: BoardingNoticeInput[] = [];
const alertsPublished: LeftOnBoardAlert[] = [];
const hooks: AttendanceHooks = {
  noticeBoarding: (n) => void noticesSent.push(n),
  publishAlert: (a) => void alertsPublished.push(a),
};
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  runner = createEngineRunner({ database: t.database, log: silentLogger, now: () => t.clock.nowMs });
  const deps: AttendanceDeps = {
    database: t.database,
    log: silentLogger,
    now: () => t.clock.nowMs,
    runner,
    attendance: hooks,
  };
  const app = createApp(deps);
  call = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? tokens.attA1}`;
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
  tokens.attA1 = w.tokens.attendantA1;
  tokens.managerA = w.tokens.managerA;
  tokens.managerB = w.tokens.managerB;
  tokens.guardianA1 = w.tokens.guardianA1;
  tokens.attA2 = await tokenFor({ name: 'Attendant A2', role: 'attendant', attendantId: w.a.attendants[1].id });
  tokens.attB1 = await tokenFor({ name: 'Attendant B1', role: 'attendant', attendantId: w.b.attendants[0].id });
}, 180_000);
afterAll(async () => {
  await runner?.close();
  await t?.close();
});

async function tokenFor(user: Record<string, unknown>): Promise<string> {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  return (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'test' } }))).token;
}

/** Another trip of school A's first family (route, bus, driver, attendant A1) at the given local time. */
async function tripA1At(hhmm: string, serviceDate = '2026-09-01') {
  return ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId: w.a.routes[0].id,
        busId: w.a.buses[0].id,
        driverId: w.a.drivers[0].id,
        attendantId: w.a.attendants[0].id,
        serviceDate,
        plannedStartAt: `${serviceDate}T${hhmm}:00+08:00`,
      },
    }),
  );
}

const at = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const cid = (tag: string) => `${tag}-${++seq}`;
const count = (boarded: number, alighted: number, timeMs: number, clientId = cid('c')) => ({
  type: 'count',
  clientId,
  recordedAt: at(timeMs),
  boarded,
  alighted,
});
const board = (tripId: number, records: unknown[], token = tokens.attA1) =>
  call('POST', `/api/v1/trips/${tripId}/boarding`, { token, body: { records } });

async function violationsOf(tripId: number, kind: string) {
  return t.database.query<{
    id: number;
    episode_key: string;
    severity: string;
    status: string;
    peak_value: number | null;
    ended_at: Date | null;
    evidence: any;
  }>(
    'select id, episode_key, severity, status, peak_value, ended_at, evidence from violations where trip_id = $1 and kind = $2 order by id',
    [tripId, kind],
  );
}

async function arriveAtFinalStop(tripId: number, timeMs: number) {
  const stops = w.a.routes[0].stops;
  await t.database.query("insert into stop_events (trip_id, stop_id, kind, time) values ($1, $2, 'arrived', $3)", [
    tripId,
    stops[stops.length - 1].id,
    new Date(timeMs).toISOString(),
  ]);
}

describe('check-in', () => {
  it('records the check-in, starts the trip and answers each pre-departure check; failures are violations', async () => {
    const trip = w.a.trips[0];
    t.clock.nowMs = DAY0_MS;
    const r = await call('POST', `/api/v1/trips/${trip.id}/check-in`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.startedNow).toBe(true);
    expect(r.body.tripStatus).toBe('active');
    expect(r.body.checkedInAt).toBe(at(DAY0_MS));
    const byCheck = Object.fromEntries(r.body.checks.map((c: any) => [c.check, c]));
    // The world's drivers have no annual review on record: R6 fails (overdue), the trip still runs.
    expect(byCheck.driverCredentials).toMatchObject({ rule: 'R6', passed: false });
    expect(byCheck.driverCredentials.reasons).toContain('annual_review_overdue');
    expect(byCheck.busLicence).toMatchObject({ rule: 'R8', passed: true, reasons: [] });
    expect(byCheck.attendant).toMatchObject({ rule: 'R9', passed: true, reasons: [] });
    expect(r.body.allPassed).toBe(false);
    expect(r.body.violations.map((v: any) => v.kind)).toEqual(['driverCredentials']);
    expect(await violationsOf(trip.id, 'noAttendant')).toHaveLength(0);
    const [row] = await t.database.query<{ attendant_checked_in_at: Date; status: string }>(
      'select attendant_checked_in_at, status from trips where id = $1',
      [trip.id],
    );
    expect(new Date(row!.attendant_checked_in_at).getTime()).toBe(DAY0_MS);
    expect(row!.status).toBe('active');
  });

  it('answers a second check-in with the checks on record (first check-in time kept)', async () => {
    t.clock.nowMs = DAY0_MS + MIN;
    const r = await call('POST', `/api/v1/trips/${w.a.trips[0].id}/check-in`);
    expect(r.status).toBe(200);
    expect(r.body.startedNow).toBe(false);
    expect(r.body.checkedInAt).toBe(at(DAY0_MS));
    expect(r.body.checks.find((c: any) => c.check === 'driverCredentials').passed).toBe(false);
    expect(await violationsOf(w.a.trips[0].id, 'driverCredentials')).toHaveLength(1);
  });
});

describe('boarding records', () => {
  it('are idempotent: the same batch twice changes nothing', async () => {
    const trip = w.a.trips[0];
    t.clock.nowMs = DAY0_MS + 5 * MIN;
    const batch = [count(5, 0, DAY0_MS + 2 * MIN), count(3, 0, DAY0_MS + 3 * MIN), count(0, 1, DAY0_MS + 4 * MIN)];
    const first = await board(trip.id, batch);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.applied).toEqual(batch.map((b) => b.clientId));
    expect(first.body.duplicates).toEqual([]);
    expect(first.body.counts).toMatchObject({
      boarded: 8,
      alighted: 1,
      onboard: 7,
      capacity: 40,
      overCapacity: false,
      records: 3,
    });
    const again = await board(trip.id, batch);
    expect(again.body.applied).toEqual([]);
    expect(again.body.duplicates.sort()).toEqual(batch.map((b) => b.clientId).sort());
    expect(again.body.counts).toEqual(first.body.counts);
    // one record repeated inside a batch, plus a new one
    const more = count(1, 0, DAY0_MS + 4.5 * MIN);
    const mixed = await board(trip.id, [batch[0], more, more]);
    expect(mixed.body.applied).toEqual([more.clientId]);
    expect(mixed.body.duplicates.sort()).toEqual([batch[0]!.clientId, more.clientId].sort());
    expect(mixed.body.counts.onboard).toBe(8);
    expect(runner.stateOf(w.a.buses[0].id)!.boarding).toMatchObject({ boarded: 9, alighted: 1 });
    // back to empty for the next tests
    await board(trip.id, [count(0, 8, DAY0_MS + 4.8 * MIN)]);
  });

  it('applied out of order give the same final counts (and the same violations) as in order', async () => {
    t.clock.nowMs = DAY0_MS + 30 * MIN;
    await ok(call('POST', `/api/v1/trips/${w.a.trips[1].id}/check-in`, { token: tokens.attA2 }), 200);
    await ok(call('POST', `/api/v1/trips/${w.b.trips[0].id}/check-in`, { token: tokens.attB1 }), 200);
    const spec: [number, number, number][] = [
      [20, 0, 1],
      [15, 0, 2],
      [0, 6, 3],
      [8, 0, 4],
      [0, 12, 5],
      [2, 1, 6],
    ];
    const recs = (tag: string) => spec.map(([b, a, m]) => count(b, a, DAY0_MS + m * MIN, `${tag}-${m}`));
    // in order, one record per request
    for (const r of recs('in')) await ok(board(w.a.trips[1].id, [r], tokens.attA2), 200);
    // the same records in two batches, each reversed, the later half first
    const shuffled = recs('ooo');
    const late = await ok(board(w.b.trips[0].id, shuffled.slice(3).reverse(), tokens.attB1), 200);
    const early = await ok(board(w.b.trips[0].id, shuffled.slice(0, 3).reverse(), tokens.attB1), 200);
    expect(late.counts.onboard).toBe(-3);
    const inOrder = await ok(call('GET', `/api/v1/trips/${w.a.trips[1].id}/boarding`, { token: tokens.attA2 }), 200);
    expect(early.counts).toEqual({ ...inOrder.counts, capacity: 40 });
    expect(inOrder.counts).toMatchObject({ boarded: 45, alighted: 19, onboard: 26 });
    const outOfOrder = await ok(call('GET', `/api/v1/trips/${w.b.trips[0].id}/boarding`, { token: tokens.attB1 }), 200);
    // stored and listed in recorded-time order whatever the arrival order
    expect(outOfOrder.records.map((r: any) => r.clientId)).toEqual(spec.map(([, , m]) => `ooo-${m}`));
    expect(outOfOrder.counts).toEqual(inOrder.counts);
    expect(runner.stateOf(w.b.buses[0].id)!.boarding).toMatchObject({ boarded: 45, alighted: 19 });
    expect(await violationsOf(w.b.trips[0].id, 'overCapacity')).toHaveLength(0);
    expect(await violationsOf(w.a.trips[1].id, 'overCapacity')).toHaveLength(0);
  });

  it('capacity boundary: = capacity is fine, capacity + 1 opens one violation, further boardings update it', async () => {
    const trip = w.a.trips[0];
    t.clock.nowMs = DAY0_MS + 10 * MIN;
    const full = await ok(board(trip.id, [count(40, 0, DAY0_MS + 6 * MIN)]), 200);
    expect(full.counts).toMatchObject({ onboard: 40, capacity: 40, overCapacity: false });
    expect(full.violations).toEqual([]);
    expect(await violationsOf(trip.id, 'overCapacity')).toHaveLength(0);

    const over = await ok(board(trip.id, [count(1, 0, DAY0_MS + 7 * MIN)]), 200);
    expect(over.counts).toMatchObject({ onboard: 41, overCapacity: true });
    expect(over.violations).toHaveLength(1);
    expect(over.violations[0]).toMatchObject({
      event: 'violation.opened',
      kind: 'overCapacity',
      severity: 'critical',
      onboard: 41,
      limit: 40,
    });
    let rows = await violationsOf(trip.id, 'overCapacity');
    expect(rows).toHaveLength(1);
    expect(over.violations[0].violationId).toBe(rows[0]!.id);

    const more = await ok(board(trip.id, [count(2, 0, DAY0_MS + 8 * MIN), count(1, 0, DAY0_MS + 8.5 * MIN)]), 200);
    expect(more.violations.map((v: any) => v.event)).toEqual(['violation.updated', 'violation.updated']);
    rows = await violationsOf(trip.id, 'overCapacity');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.peak_value).toBe(44);
    expect(rows[0]!.ended_at).toBeNull();

    // getting off back to capacity closes the episode; the count is back to 0 for the later tests
    await ok(board(trip.id, [count(0, 44, DAY0_MS + 9 * MIN)]), 200);
    rows = await violationsOf(trip.id, 'overCapacity');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ended_at).not.toBeNull();
  });

  it('warns the attendant and the managers when a student boards a bus they are not assigned to', async () => {
    const trip = w.a.trips[0];
    const stranger = w.a.students[1]; // rides route A2
    t.clock.nowMs = DAY0_MS + 12 * MIN;
    const rec = {
      type: 'student',
      clientId: cid('s'),
      recordedAt: at(DAY0_MS + 11 * MIN),
      studentId: stranger.id,
      event: 'boarded',
      stopId: w.a.routes[0].stops[0].id,
    };
    const r = await ok(board(trip.id, [rec]), 200);
    expect(r.applied).toEqual([rec.clientId]);
    expect(r.warnings).toEqual([
      expect.objectContaining({ clientId: rec.clientId, kind: 'wrongBus', studentId: stranger.id }),
    ]);
    const rows = await violationsOf(trip.id, 'wrongBus');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      episode_key: expect.stringMatching(new RegExp(`^b${trip.busId}-t${trip.id}-wrongBus-\\d+-${stranger.id}$`)),
      severity: 'minor',
      status: 'open',
    });
    // a resend neither warns again nor adds a row; the child getting off again is the same case
    const again = await ok(
      board(trip.id, [rec, { ...rec, clientId: cid('s'), event: 'gotOff', recordedAt: at(DAY0_MS + 11.5 * MIN) }]),
      200,
    );
    expect(again.duplicates).toEqual([rec.clientId]);
    expect(await violationsOf(trip.id, 'wrongBus')).toHaveLength(1);
    expect(again.counts.onboard).toBe(0);
    // a student of another school is refused; an unknown card is counted and flagged
    const other = await ok(
      board(trip.id, [
        {
          type: 'student',
          clientId: cid('x'),
          recordedAt: at(DAY0_MS + 11.6 * MIN),
          studentId: w.b.students[0].id,
          event: 'boarded',
        },
        {
          type: 'student',
          clientId: 'card-1',
          recordedAt: at(DAY0_MS + 11.7 * MIN),
          cardId: 'NO-SUCH-CARD',
          event: 'boarded',
        },
        {
          type: 'student',
          clientId: 'card-2',
          recordedAt: at(DAY0_MS + 11.8 * MIN),
          cardId: 'NO-SUCH-CARD',
          event: 'gotOff',
        },
      ]),
      200,
    );
    expect(other.rejected).toEqual([expect.objectContaining({ reason: 'unknown_student' })]);
    expect(other.warnings.map((x: any) => x.kind)).toEqual(['unknownCard', 'unknownCard']);
    expect(other.counts.onboard).toBe(0);
  });

  it('warns when a student boards at a stop that is not theirs (never at the school end)', async () => {
    const lon0 = 121.45;
    const route = await ok(
      t.call('POST', '/api/v1/routes', {
        body: {
          // Approved (Art. 30): trips are refused on an unapproved route.
          approvedBy: 'County education bureau',
          approvalNumber: 'XC-2026-001',
          approvedOn: '2026-01-05',
          schoolId: w.a.schoolId,
          name: 'Three stops',
          path: {
            type: 'LineString',
            coordinates: [
              [lon0, 31.2],
              [lon0 + 0.02, 31.2],
            ],
          },
          stops: [
            { name: 'West', lat: 31.2, lon: lon0 },
            { name: 'Middle', lat: 31.2, lon: lon0 + 0.01 },
            { name: 'School', lat: 31.2, lon: lon0 + 0.02 },
          ],
        },
      }),
    );
    const child = w.a.students[0];
    await ok(
      t.call('PATCH', `/api/v1/students/${child.id}`, {
        body: {
          stops: [
            { routeId: w.a.routes[0].id, stopId: w.a.routes[0].stops[0].id },
            { routeId: route.id, stopId: route.stops[0].id },
          ],
        },
      }),
      200,
    );
    const trip = await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: route.id,
          busId: w.a.buses[0].id,
          attendantId: w.a.attendants[0].id,
          serviceDate: '2026-09-01',
          plannedStartAt: '2026-09-01T16:00:00+08:00',
        },
      }),
    );
    const rec = (event: string, stopId: number, minute: number) => ({
      type: 'student',
      clientId: cid('ws'),
      recordedAt: at(DAY0_MS + minute * MIN),
      studentId: child.id,
      event,
      stopId,
    });
    const r = await ok(
      board(trip.id, [
        rec('boarded', route.stops[1].id, 12.1),
        rec('gotOff', route.stops[2].id, 12.2),
        rec('boarded', route.stops[0].id, 12.3),
      ]),
      200,
    );
    expect(r.warnings).toEqual([
      expect.objectContaining({
        kind: 'wrongStop',
        studentId: child.id,
        stopId: route.stops[1].id,
        assignedStopId: route.stops[0].id,
      }),
    ]);
    const rows = await violationsOf(trip.id, 'wrongStop');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      episode_key: expect.stringMatching(new RegExp(`-t${trip.id}-wrongStop-\\d+-${child.id}$`)),
      severity: 'minor',
    });
  });

  it('sends the guardians of a checked-in child the boarded and got-off notices', async () => {
    const trip = w.a.trips[0];
    const child = w.a.students[0];
    // a card on the child makes the RFID path testable
    await ok(t.call('PATCH', `/api/v1/students/${child.id}`, { body: { cardId: 'RFID-A1' } }), 200);
    noticesSent.length = 0;
    t.clock.nowMs = DAY0_MS + 14 * MIN;
    const on = {
      type: 'student',
      clientId: cid('n'),
      recordedAt: at(DAY0_MS + 13 * MIN),
      cardId: 'RFID-A1',
      event: 'boarded',
      stopId: w.a.routes[0].stops[0].id,
    };
    const off = {
      type: 'student',
      clientId: cid('n'),
      recordedAt: at(DAY0_MS + 13.5 * MIN),
      studentId: child.id,
      event: 'gotOff',
      stopId: w.a.routes[0].stops[1].id,
    };
    const r = await ok(board(trip.id, [off, on]), 200);
    expect(r.warnings).toEqual([]);
    expect(r.counts.onboard).toBe(0);
    expect(noticesSent).toEqual([
      {
        tripId: trip.id,
        studentId: child.id,
        boarded: true,
        timeMs: DAY0_MS + 13 * MIN,
        stopId: w.a.routes[0].stops[0].id,
      },
      {
        tripId: trip.id,
        studentId: child.id,
        boarded: false,
        timeMs: DAY0_MS + 13.5 * MIN,
        stopId: w.a.routes[0].stops[1].id,
      },
    ]);
    await ok(board(trip.id, [off, on]), 200);
    expect(noticesSent).toHaveLength(2); // duplicates send nothing
  });

  it('refuses malformed batches with field details', async () => {
    const r = await board(w.a.trips[0].id, [{ type: 'count', clientId: 'bad', recordedAt: 'yesterday', boarded: 1 }]);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    const both = await board(w.a.trips[0].id, [
      { type: 'student', clientId: 'bad2', recordedAt: at(DAY0_MS), studentId: 1, cardId: 'X', event: 'boarded' },
    ]);
    expect(both.status).toBe(400);
  });
});

describe('scope', () => {
  it("lets only the trip's attendant, on the trip's day, act; managers of the school read", async () => {
    t.clock.nowMs = DAY0_MS + 15 * MIN;
    const other = w.a.trips[1].id; // attendant A2's trip
    expect((await board(other, [count(1, 0, DAY0_MS)])).status).toBe(403);
    expect((await call('GET', `/api/v1/trips/${other}/boarding`)).status).toBe(403);
    expect((await call('POST', `/api/v1/trips/${other}/check-in`)).status).toBe(403);
    expect((await call('POST', `/api/v1/trips/${other}/sweep`, { body: { confirmedEmpty: true } })).status).toBe(403);
    expect((await call('GET', `/api/v1/trips/${other}/boarding`, { token: tokens.managerA })).status).toBe(200);
    expect((await call('GET', `/api/v1/trips/${other}/boarding`, { token: tokens.managerB })).status).toBe(403);
    expect((await call('GET', `/api/v1/trips/${other}/boarding`, { token: tokens.guardianA1 })).status).toBe(403);
    expect((await board(other, [count(1, 0, DAY0_MS)], tokens.managerA)).status).toBe(403);
    expect((await call('GET', '/api/v1/trips/999999/boarding')).status).toBe(404);

    // the attendant's own trip, but the next day at the school (after local midnight)
    const own = w.a.trips[0].id;
    t.clock.nowMs = Date.parse('2026-09-02T00:00:01+08:00');
    const late = await board(own, [count(1, 0, t.clock.nowMs)]);
    expect(late.status).toBe(403);
    expect(late.body.error.code).toBe('forbidden');
    expect((await call('GET', `/api/v1/trips/${own}/boarding`)).status).toBe(403);
    // still the day before at 23:59 local
    t.clock.nowMs = Date.parse('2026-09-01T23:59:00+08:00');
    expect((await call('GET', `/api/v1/trips/${own}/boarding`)).status).toBe(200);
    // a trip of the attendant's planned for tomorrow cannot be worked on today
    const tomorrow = await tripA1At('07:00', '2026-09-02');
    expect((await call('POST', `/api/v1/trips/${tomorrow.id}/check-in`)).status).toBe(403);
  });
});

describe('end-of-trip sweep', () => {
  it('confirmed with zero aboard ends the trip and never alerts', async () => {
    const trip = w.a.trips[0];
    const arriveMs = DAY0_MS + 40 * MIN;
    await arriveAtFinalStop(trip.id, arriveMs);
    t.clock.nowMs = arriveMs + 3 * MIN;
    const r = await ok(
      call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true, note: 'checked every row' } }),
      200,
    );
    expect(r).toMatchObject({ alreadyConfirmed: false, tripStatus: 'completed', alert: null, alerts: [] });
    expect(r.sweep).toMatchObject({
      confirmedEmpty: true,
      onboardAtConfirm: 0,
      note: 'checked every row',
      alertRaisedAt: null,
    });
    const resend = await ok(call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true } }), 200);
    expect(resend.alreadyConfirmed).toBe(true);
    for (const ms of [arriveMs + 10 * MIN, arriveMs + 60 * MIN])
      expect(
        (await checkSweepDeadlines({ database: t.database, log: silentLogger, runner }, ms)).alertedTripIds,
      ).toEqual([]);
    expect(await violationsOf(trip.id, 'childLeftOnBoard')).toHaveLength(0);
    const [row] = await t.database.query<{ status: string }>('select status from trips where id = $1', [trip.id]);
    expect(row!.status).toBe('completed');
  });

  it('missing confirmation: the alert fires at the deadline and not before, once, and stays until resolved with a note', async () => {
    t.clock.nowMs = DAY0_MS + 6 * 60 * MIN; // 13:30 local
    const trip = await tripA1At('13:30');
    await ok(call('POST', `/api/v1/trips/${trip.id}/check-in`), 200);
    await ok(board(trip.id, [count(2, 0, t.clock.nowMs)]), 200);
    const arriveMs = t.clock.nowMs + 20 * MIN;
    await arriveAtFinalStop(trip.id, arriveMs);
    alertsPublished.length = 0;
    const job = (ms: number) => {
      t.clock.nowMs = ms;
      return checkSweepDeadlines(
        { database: t.database, log: silentLogger, runner, publishAlert: hooks.publishAlert },
        ms,
      );
    };

    expect((await job(arriveMs + 10 * MIN - 1)).alertedTripIds).toEqual([]);
    expect(await violationsOf(trip.id, 'childLeftOnBoard')).toHaveLength(0);
    expect((await job(arriveMs + 10 * MIN)).alertedTripIds).toEqual([trip.id]);
    let rows = await violationsOf(trip.id, 'childLeftOnBoard');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ severity: 'critical', status: 'open' });
    expect(rows[0]!.evidence).toMatchObject({ onboard: 2 });
    expect(alertsPublished).toEqual([
      expect.objectContaining({
        tripId: trip.id,
        schoolId: w.a.schoolId,
        violationId: rows[0]!.id,
        reason: 'onboard_not_zero',
        onboard: 2,
      }),
    ]);
    expect((await job(arriveMs + 11 * MIN)).alertedTripIds).toEqual([]);
    expect(await violationsOf(trip.id, 'childLeftOnBoard')).toHaveLength(1);
    const [tripRow] = await t.database.query<{ status: string }>('select status from trips where id = $1', [trip.id]);
    expect(tripRow!.status).toBe('completed');

    // a late confirmation is recorded but does not clear the alert
    const late = await ok(call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true } }), 200);
    expect(late.alerts).toHaveLength(1);
    const seen = await ok(call('GET', `/api/v1/trips/${trip.id}/boarding`, { token: tokens.managerA }), 200);
    expect(seen.alerts).toEqual([expect.objectContaining({ violationId: rows[0]!.id, severity: 'critical' })]);

    expect((await call('POST', `/api/v1/trips/${trip.id}/sweep/resolve`, { body: {} })).status).toBe(400);
    const resolved = await ok(
      call('POST', `/api/v1/trips/${trip.id}/sweep/resolve`, {
        body: { note: 'two children were counted twice at the gate; bus checked, empty' },
      }),
      200,
    );
    expect(resolved.resolved).toEqual([{ violationId: rows[0]!.id, status: 'closed' }]);
    rows = await violationsOf(trip.id, 'childLeftOnBoard');
    expect(rows[0]!.status).toBe('closed');
    const trail = await ok(call('GET', `/api/v1/violations/${rows[0]!.id}/actions`, { token: tokens.managerA }), 200);
    expect(trail.items.map((x: any) => x.toStatus)).toEqual(['acknowledged', 'rectifying', 'closed']);
    expect(trail.items[2].note).toContain('counted twice');
    expect((await ok(call('GET', `/api/v1/trips/${trip.id}/boarding`), 200)).alerts).toEqual([]);
    expect((await call('POST', `/api/v1/trips/${trip.id}/sweep/resolve`, { body: { note: 'again' } })).status).toBe(
      409,
    );
  });

  it('no records and no confirmation still alerts at the deadline; a school may set its own deadline', async () => {
    t.clock.nowMs = DAY0_MS + 8 * 60 * MIN; // 15:30 local
    await ok(
      t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, {
        body: { ruleOverrides: { sweep: { confirmWithinMin: 5 } } },
      }),
      200,
    );
    const trip = await tripA1At('15:30');
    await ok(call('POST', `/api/v1/trips/${trip.id}/check-in`), 200);
    const arriveMs = t.clock.nowMs + 20 * MIN;
    await arriveAtFinalStop(trip.id, arriveMs);
    expect(
      (await checkSweepDeadlines({ database: t.database, log: silentLogger, runner }, arriveMs + 5 * MIN - 1))
        .alertedTripIds,
    ).toEqual([]);
    expect(
      (await checkSweepDeadlines({ database: t.database, log: silentLogger, runner }, arriveMs + 5 * MIN))
        .alertedTripIds,
    ).toEqual([trip.id]);
    const rows = await violationsOf(trip.id, 'childLeftOnBoard');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.severity).toBe('critical');
    await ok(t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { body: { ruleOverrides: {} } }), 200);
  });

  it('confirmed with children still counted aboard alerts at once', async () => {
    t.clock.nowMs = DAY0_MS + 10 * 60 * MIN; // 17:30 local
    const trip = await tripA1At('17:30');
    await ok(call('POST', `/api/v1/trips/${trip.id}/check-in`), 200);
    await ok(board(trip.id, [count(3, 0, t.clock.nowMs), count(0, 2, t.clock.nowMs + MIN)]), 200);
    t.clock.nowMs += 30 * MIN;
    await arriveAtFinalStop(trip.id, t.clock.nowMs - MIN);
    const r = await ok(call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true } }), 200);
    expect(r.counts.onboard).toBe(1);
    expect(r.alert).toMatchObject({ severity: 'critical', kind: 'childLeftOnBoard' });
    expect(await violationsOf(trip.id, 'childLeftOnBoard')).toHaveLength(1);
    // the deadline job does not raise it a second time
    expect(
      (await checkSweepDeadlines({ database: t.database, log: silentLogger, runner }, t.clock.nowMs + 60 * MIN))
        .alertedTripIds,
    ).toEqual([]);
    expect(await violationsOf(trip.id, 'childLeftOnBoard')).toHaveLength(1);
  });
});
