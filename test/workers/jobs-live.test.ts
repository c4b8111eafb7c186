// What the jobs and the sweep route push live, on Workers (wrangler dev, local PostgreSQL), as on Node: the Cron
// Trigger's sweep and case jobs and the attendant's sweep route publish on the school's violations topic (through the
// school's object, one sequence), and the lateness job's "not started" notices reach the trip's guardians on the
// trip's topic (stored and published by the trip's bus object, with the seq they are stored with).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertViolations } from '../helpers/violations';
import { buildWorld, middayZone, planTrip, type World } from '../helpers/world';
import { connect, type LiveClient, subscribe } from '../live/helpers';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';

/** a zone where it is midday: the trips' day is "today" at the school for the whole run */
const TZ = middayZone(Date.now());
const MIN = 60_000;
let t: TestApp;
let w: World;
let worker: WranglerDev;
let manager: LiveClient;
const clients: LiveClient[] = [];
let schoolTopic: string;

/** Waits until the Worker's session opened its link to the object that owns `topic` (its debug log says so). */
async function linkOpen(topic: string) {
  const line = `"msg":"live link open","topic":"${topic}"`;
  for (const end = Date.now() + 15_000; !worker.output().includes(line);)
    if (Date.now() > end) throw new Error(`no live link to the owner of ${topic}:\n${worker.output().slice(-3000)}`);
    else await new Promise((r) => setTimeout(r, 100));
}

/** Runs the Cron Trigger once (every job due this minute); resolves when the invocation has finished. */
async function cron() {
  const res = await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`);
  expect(res.status).toBe(200);
}

async function live(token: string) {
  const c = await connect(`ws://127.0.0.1:${worker.port}/api/v1/live`, { token });
  clients.push(c);
  await c.waitFor((m) => m.type === 'authenticated', 'authenticated');
  return c;
}

beforeAll(async () => {
  t = await createTestApp(Date.now());
  w = await buildWorld(t, { timeZone: TZ });
  schoolTopic = `school:${w.a.schoolId}:violations`;
  worker = await startWranglerDev({ databaseUrl: t.database.url!, vars: { LOG_LEVEL: 'debug' } });
  // The school's manager follows its violations through the Worker.
  manager = await live(w.tokens.managerA);
  expect(await subscribe(manager, schoolTopic)).toMatchObject({ type: 'subscribed', topic: schoolTopic });
  await linkOpen(schoolTopic);
}, 180_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await worker?.dispose();
  await t?.close();
});

const schoolSeqs = () =>
  manager.messages.filter((m) => m.type === 'violation' && m.topic === schoolTopic).map((m) => m.seq);

describe('jobs push live on Workers', () => {
  it('the sweep job’s child-left-on-board alert and the case job’s escalation reach the manager on the school topic', async () => {
    // Bus A1 reached its last stop 15 minutes ago and nobody confirmed the sweep (10 minutes allowed).
    const trip = await planTrip(t, w.a, 0, Date.now() - 40 * MIN, { timeZone: TZ, attendantId: w.a.attendants[0].id });
    await t.database.query("update trips set status = 'active', started_at = $2 where id = $1", [
      trip.id,
      new Date(Date.now() - 38 * MIN).toISOString(),
    ]);
    const stops = w.a.routes[0].stops;
    await t.database.query("insert into stop_events (trip_id, stop_id, kind, time) values ($1, $2, 'arrived', $3)", [
      trip.id,
      stops[stops.length - 1].id,
      new Date(Date.now() - 15 * MIN).toISOString(),
    ]);
    // A case of the school past its due date, not escalated yet.
    const dueAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const caseIds = await insertViolations(t.database, [
      {
        episodeKey: 'workers-overdue-case',
        kind: 'overspeed',
        severity: 'major',
        schoolId: w.a.schoolId,
        busId: w.a.buses[1].id,
        startedAt: new Date(Date.now() - 10 * 86_400_000).toISOString(),
        endedAt: new Date(Date.now() - 10 * 86_400_000 + 60_000).toISOString(),
        dueAt,
      },
    ]);
    const caseId = caseIds.get('workers-overdue-case')!;

    const before = Date.now();
    await cron();
    const alert = await manager.waitFor(
      (m) => m.type === 'violation' && m.data.event === 'alert.childLeftOnBoard',
      'left-on-board alert',
      15_000,
    );
    const [row] = await t.database.query<{ id: number; severity: string; evidence: any }>(
      "select id, severity, evidence from violations where trip_id = $1 and kind = 'childLeftOnBoard'",
      [trip.id],
    );
    expect(row).toMatchObject({ severity: 'critical', evidence: { reason: 'no_confirmation', source: 'sweep' } });
    expect(alert).toMatchObject({
      type: 'violation',
      topic: schoolTopic,
      data: {
        event: 'alert.childLeftOnBoard',
        type: 'alert.childLeftOnBoard',
        schoolId: w.a.schoolId,
        tripId: trip.id,
        busId: w.a.buses[0].id,
        violationId: row!.id,
        reason: 'no_confirmation',
        onboard: 0,
      },
    });
    expect(alert.data.timeMs).toBeGreaterThanOrEqual(before - MIN);
    expect(alert.data.timeMs).toBeLessThanOrEqual(Date.now());
    expect(alert.ts).toBeGreaterThanOrEqual(before);
    // Without an engine runner on Workers the job ends the trip itself.
    expect((await t.database.query('select status from trips where id = $1', [trip.id]))[0]).toEqual({
      status: 'completed',
    });

    const escalated = await manager.waitFor(
      (m) => m.type === 'violation' && m.data.event === 'case.escalated' && m.data.violationId === caseId,
      'case escalation',
      15_000,
    );
    expect(escalated).toMatchObject({
      topic: schoolTopic,
      data: { type: 'case.escalated', schoolId: w.a.schoolId, kind: 'overspeed', severity: 'major' },
    });
    expect(new Date(escalated.data.dueAt).getTime()).toBe(new Date(dueAt).getTime());
    // One sequence for the topic: stamped by the school's object, strictly increasing.
    const seqs = schoolSeqs();
    expect(seqs.every((s) => typeof s === 'number')).toBe(true);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));

    // The next run raises nothing twice.
    const seen = manager.messages.length;
    await cron();
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      manager.messages
        .slice(seen)
        .filter(
          (m) => m.data?.tripId === trip.id || (m.data?.violationId === caseId && m.data.event === 'case.escalated'),
        ),
    ).toEqual([]);
  });

  it('the attendant’s sweep on the Worker (bus not confirmed empty) alerts the manager on the school topic', async () => {
    const trip = await planTrip(t, w.a, 1, Date.now() - 5 * MIN, { timeZone: TZ, attendantId: w.a.attendants[0].id });
    const res = await fetch(`${worker.url}/api/v1/trips/${trip.id}/sweep`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.tokens.attendantA1}`, 'content-type': 'application/json' },
      body: JSON.stringify({ confirmedEmpty: false, earlyEndReason: 'breakdown on the way' }),
    });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.alerts).toHaveLength(1);
    const alert = await manager.waitFor(
      (m) => m.type === 'violation' && m.data.event === 'alert.childLeftOnBoard' && m.data.tripId === trip.id,
      'sweep route alert',
      15_000,
    );
    expect(alert).toMatchObject({
      topic: schoolTopic,
      data: {
        type: 'alert.childLeftOnBoard',
        schoolId: w.a.schoolId,
        busId: w.a.buses[1].id,
        violationId: body.alerts[0].violationId,
        reason: 'not_confirmed_empty',
        onboard: 0,
      },
    });
    const seqs = schoolSeqs();
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(alert.seq).toBe(seqs.at(-1));
  });

  it('the lateness job tells the trip’s guardian live that the bus has not started, with the seq it is stored with', async () => {
    const planned = Date.now() - 20 * MIN;
    const trip = await planTrip(t, w.a, 0, planned, { timeZone: TZ, attendantId: w.a.attendants[0].id });
    const topic = `trip:${trip.id}`;
    const guardian = await live(w.tokens.guardianA1);
    expect(await subscribe(guardian, topic)).toMatchObject({ type: 'subscribed', topic });
    await linkOpen(topic);

    await cron();
    const notice = await guardian.waitFor(
      (m) => m.type === 'notice' && m.topic === topic,
      'not-started notice',
      15_000,
    );
    expect(notice.data).toMatchObject({
      kind: 'trip.late',
      tripId: trip.id,
      payload: {
        tripId: trip.id,
        reason: 'notStarted',
        plannedStartMs: planned,
        studentIds: [w.a.students[0].id],
        topic,
        seq: notice.seq,
      },
    });
    expect(notice.data.textEn).toContain('has not started yet');
    expect(notice.data.textEn).toContain(w.a.buses[0].plate);
    expect(notice.data.payload.lateS).toBeGreaterThanOrEqual(20 * 60 - 5);
    // Stored once, for this guardian, with the seq it went out with.
    const stored = await t.database.query<{ guardian_id: number; seq: number }>(
      "select guardian_id, (payload->>'seq')::float8 as seq from notices where trip_id = $1 and kind = 'trip.late'",
      [trip.id],
    );
    expect(stored).toEqual([{ guardian_id: w.a.guardians[0].id, seq: notice.seq }]);
    // The lateness violation was recorded by the same run.
    expect(
      await t.database.query("select 1 from violations where trip_id = $1 and kind = 'tripLate'", [trip.id]),
    ).toHaveLength(1);

    // A client resuming from just before it gets the same notice, same seq (from storage).
    const resumed = await live(w.tokens.guardianA1);
    expect(await subscribe(resumed, topic, notice.seq - 1)).toMatchObject({ type: 'subscribed' });
    const replayed = await resumed.waitFor((m) => m.type === 'notice' && m.topic === topic, 'replayed notice', 10_000);
    expect(replayed).toMatchObject({ seq: notice.seq, data: { id: notice.data.id, kind: 'trip.late' } });

    // The next run stores and sends nothing more.
    await cron();
    await new Promise((r) => setTimeout(r, 1000));
    expect(guardian.messages.filter((m) => m.type === 'notice')).toHaveLength(1);
    expect(
      await t.database.query("select 1 from notices where trip_id = $1 and kind = 'trip.late'", [trip.id]),
    ).toHaveLength(1);
  });
});
