// What parents are told beyond arrivals: trip cancelled, child did not board, wrong bus (named), got off at school,
// and a late notice updated when the delay moves by more than 3 minutes. Real database, the notice service as the
// live service runs it, the trips API for the cancellation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { etaLateNotices, LATE_UPDATE_S } from '../../src/live/notice-rules';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';

const DAY0_MS = Date.parse('2026-09-01T06:50:00+08:00');
let t: TestApp;
let w: World;
let live: LiveService;
let app: ReturnType<typeof createApp>;
let runner: EngineRunner;

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  const now = () => t.clock.nowMs;
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  live = createLiveHub({ database: t.database, log: silentLogger, now });
  live.attach({ runner });
  app = createApp({ database: t.database, log: silentLogger, now, live, runner });
}, 120_000);
afterAll(async () => {
  await runner?.close();
  await live?.close();
  await t?.close();
});

const noticesOf = (guardianId: number, kind: string) =>
  t.database.query<{ text_zh: string; text_en: string; payload: any; trip_id: number }>(
    'select text_zh, text_en, payload, trip_id from notices where guardian_id = $1 and kind = $2 order by id',
    [guardianId, kind],
  );

describe('parent notices', () => {
  it('tells the guardians once when their trip is cancelled', async () => {
    const trip = w.a.trips[1];
    const patch = () =>
      app.request(`/api/v1/trips/${trip.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'cancelled' }),
      });
    expect((await patch()).status).toBe(200);
    await expect.poll(async () => (await noticesOf(w.a.guardians[1].id, 'trip.cancelled')).length).toBe(1);
    const [n] = await noticesOf(w.a.guardians[1].id, 'trip.cancelled');
    expect(n!.trip_id).toBe(trip.id);
    expect(n!.text_zh).toBe(`今日校车（${w.a.buses[1].plate}）行程已取消，请另行安排接送。`);
    expect(n!.text_en).toMatch(/is cancelled/);
    expect((await patch()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await noticesOf(w.a.guardians[1].id, 'trip.cancelled')).toHaveLength(1);
    // nobody else is told
    expect(await noticesOf(w.a.guardians[0].id, 'trip.cancelled')).toEqual([]);
  });

  it('tells the guardian of a child with no boarding record when the bus leaves the child’s stop', async () => {
    const trip = w.a.trips[0];
    const route = w.a.routes[0];
    const stopId = String(route.stops[0].id);
    // a second child at the same stop, with their own guardian
    const other = await ok(
      t.call('POST', '/api/v1/students', {
        body: { schoolId: w.a.schoolId, name: '李小龙', stops: [{ routeId: route.id, stopId: route.stops[0].id }] },
      }),
    );
    const otherGuardian = await ok(
      t.call('POST', '/api/v1/guardians', {
        body: { schoolId: w.a.schoolId, name: 'Parent X', studentIds: [other.id] },
      }),
    );
    live.notices.invalidateTrip(trip.id);
    const r = (await live.notices.tripRiders(trip.id))!;
    const departed = t.clock.nowMs;
    // no records at all: a trip that is not recording students says nothing
    expect(await live.notices.notBoardedDrafts(r.info, r.riders, stopId, departed)).toEqual([]);
    // the attendant records Child A1 by name; 李小龙 has no record
    const res = await app.request(`/api/v1/trips/${trip.id}/boarding`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.tokens.attendantA1}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        records: [
          {
            type: 'student',
            clientId: 'nb-1',
            recordedAt: new Date(departed - 60_000).toISOString(),
            studentId: w.a.students[0].id,
            event: 'boarded',
            stopId: route.stops[0].id,
          },
        ],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const drafts = await live.notices.notBoardedDrafts(r.info, r.riders, stopId, departed);
    expect(drafts.map((d) => d.guardianId)).toEqual([otherGuardian.id]);
    await live.notices.store(drafts);
    await live.notices.store(await live.notices.notBoardedDrafts(r.info, r.riders, stopId, departed + 5000)); // once
    const told = await noticesOf(otherGuardian.id, 'student.notBoarded');
    expect(told).toHaveLength(1);
    expect(told[0]!.text_zh).toBe(
      `校车（${w.a.buses[0].plate}）已离开“${route.stops[0].name}”站，但没有李小龙的上车记录。`,
    );
    expect(await noticesOf(w.a.guardians[0].id, 'student.notBoarded')).toEqual([]);
  });

  it('names the bus when a child boards another bus, and says when a child got off at school', async () => {
    const trip = w.a.trips[0];
    const child = w.a.students[1]; // rides route A2 (bus A2)
    await live.notices.noticeBoarding({ tripId: trip.id, studentId: child.id, boarded: true, timeMs: t.clock.nowMs });
    const [wrong] = await noticesOf(w.a.guardians[1].id, 'student.wrongBus');
    expect(wrong!.text_zh).toBe(
      `${child.name}上了校车（${w.a.buses[0].plate}），不是平时乘坐的校车（${w.a.buses[1].plate}）。`,
    );
    expect(wrong!.text_en).toContain(w.a.buses[0].plate);
    expect(await noticesOf(w.a.guardians[1].id, 'student.boarded')).toEqual([]);

    const school = w.a.routes[0].stops.at(-1);
    await live.notices.noticeBoarding({
      tripId: trip.id,
      studentId: w.a.students[0].id,
      boarded: false,
      timeMs: t.clock.nowMs,
      stopId: school.id,
    });
    const [off] = await noticesOf(w.a.guardians[0].id, 'student.alighted');
    expect(off!.text_zh).toBe(`${w.a.students[0].name}已到校下车。`);
    expect(off!.text_en).toBe(`${w.a.students[0].name} got off the bus at school.`);
  });

  it('updates the late notice when the delay changes by more than 3 minutes', async () => {
    const trip = w.b.trips[0];
    const r = (await live.notices.tripRiders(trip.id))!;
    const stopId = String(w.b.routes[0].stops[0].id);
    const planned = t.clock.nowMs;
    const eta = (lateS: number) => new Map([[stopId, { etaMs: planned + lateS * 1000, remainingM: 3000 }]]);
    const sched = new Map([[stopId, planned]]);
    const run = async (lateS: number) =>
      live.notices.store(
        etaLateNotices(r.info, r.riders, eta(lateS), sched, 300, await live.notices.lateSoFar(trip.id)),
      );
    expect(await run(200)).toHaveLength(0); // within the margin
    expect(await run(420)).toHaveLength(1); // 7 min late: told
    expect(await run(420 + LATE_UPDATE_S)).toHaveLength(0); // moved by exactly 3 min: not yet
    expect(await run(900)).toHaveLength(1); // 15 min: updated
    expect(await run(960)).toHaveLength(0);
    const told = await noticesOf(w.b.guardians[0].id, 'trip.late');
    expect(told.map((n) => n.payload.lateS)).toEqual([420, 900]);
    expect(told[1]!.text_zh).toMatch(/^晚点更新：.*约15分钟/);
    expect(told[1]!.text_en).toMatch(/^Update: .* now about 15 min late/);
    // After a restart the service reads what each guardian was told from the database: the next update is judged
    // against 900 s, not sent again.
    const restarted = createLiveHub({ database: t.database, log: silentLogger, now: () => t.clock.nowMs });
    try {
      expect([...(await restarted.notices.lateSoFar(trip.id))]).toEqual([[w.b.guardians[0].id, 900]]);
      expect(
        etaLateNotices(r.info, r.riders, eta(960), sched, 300, await restarted.notices.lateSoFar(trip.id)),
      ).toHaveLength(0);
    } finally {
      await restarted.close();
    }
  });
});
