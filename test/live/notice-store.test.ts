// Storing guardian notices is one statement: the notices whose dedupe key is new, and their Web Push outbox rows
// for every subscription of their guardians, commit together in a single round trip; the push sender is woken only
// when something was queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approachingNotices } from '../../src/live/notice-rules';
import { createNoticeService } from '../../src/live/notices';
import { silentLogger } from '../../src/logging';
import type { LiveMessage } from '../../src/live/messages';
import { TopicSequencer } from '../../src/live/sequencer';
import { tripTopic } from '../../src/live/topics';
import { createTestApp, type TestApp } from '../helpers/app';
import { recording, withGate } from '../helpers/faults';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp(Date.parse('2026-09-01T07:05:00+08:00'));
  w = await buildWorld(t);
  // A second family on the first route: a guardian with no push subscription.
  const route = w.a.routes[0];
  const student = await ok(
    t.call('POST', '/api/v1/students', {
      body: { schoolId: w.a.schoolId, name: 'Child A1b', stops: [{ routeId: route.id, stopId: route.stops[0].id }] },
    }),
  );
  await ok(
    t.call('POST', '/api/v1/guardians', {
      body: { schoolId: w.a.schoolId, name: 'Parent A1b', studentIds: [student.id] },
    }),
  );
});
afterAll(() => t.close());

const count = async (sql: string, params: unknown[] = []) => (await t.database.query<{ n: number }>(sql, params))[0]!.n;

describe('notice store', () => {
  it('stores new notices and queues their pushes in one statement, and wakes the sender only when it queued', async () => {
    const db = recording(t.database);
    const service = createNoticeService({ database: db, log: silentLogger, now: () => t.clock.nowMs });
    let wakes = 0;
    service.setOutbox({ wake: () => wakes++ });
    const trip = w.a.trips[0];
    const r = (await service.tripRiders(trip.id))!;
    const guardians = [...new Set(r.riders.map((x) => x.guardianId))];
    expect(guardians.length).toBeGreaterThan(1);
    // The first guardian has two browsers subscribed, the others none.
    for (const n of [1, 2])
      await t.database.query(
        `insert into push_subscriptions (guardian_id, endpoint, p256dh, auth) values ($1, $2, 'k', 'a')`,
        [guardians[0], `https://push.example/notice-store-${n}`],
      );
    const etas = new Map(r.riders.map((x) => [x.stopId, { etaMs: t.clock.nowMs + 240_000, remainingM: 1500 }]));
    const drafts = approachingNotices(r.info, r.riders, etas, t.clock.nowMs);
    const forFirst = drafts.filter((d) => d.guardianId === guardians[0]).length;
    expect(forFirst).toBeGreaterThan(0);
    expect(drafts.length).toBeGreaterThan(forFirst);

    db.texts.length = 0;
    const stored = await service.store(drafts);
    expect(stored).toHaveLength(drafts.length);
    expect(db.texts).toHaveLength(1);
    expect(await count('select count(*)::int as n from notices where trip_id = $1', [trip.id])).toBe(drafts.length);
    expect(await count('select count(*)::int as n from push_outbox')).toBe(2 * forFirst);
    expect(wakes).toBe(1);
    // What the service returns is what was stored.
    const [row] = await t.database.query<{ id: number; text_zh: string }>(
      'select id, text_zh from notices where dedupe_key = $1',
      [drafts[0]!.dedupeKey],
    );
    expect(stored[0]).toMatchObject({ id: row!.id, text: row!.text_zh, tripId: trip.id, kind: 'approaching' });

    // Another process (no memory of the keys) storing the same drafts: nothing new, nothing queued, no wake.
    const other = createNoticeService({ database: db, log: silentLogger, now: () => t.clock.nowMs });
    other.setOutbox({ wake: () => wakes++ });
    db.texts.length = 0;
    expect(await other.store(drafts)).toEqual([]);
    expect(db.texts).toHaveLength(1);
    expect(await count('select count(*)::int as n from push_outbox')).toBe(2 * forFirst);
    expect(wakes).toBe(1);

    // Notices only for guardians with no subscription: stored, nothing queued, no wake.
    t.clock.nowMs += 60_000;
    const later = approachingNotices(
      r.info,
      r.riders.filter((x) => x.guardianId !== guardians[0]),
      new Map([...etas].map(([k, v]) => [k, { ...v, etaMs: v.etaMs + 600_000 }])),
      t.clock.nowMs,
    ).map((d) => ({ ...d, dedupeKey: `${d.dedupeKey}/later` }));
    expect(await service.store(later)).toHaveLength(later.length);
    expect(wakes).toBe(1);
  });

  it('a notice whose insert outlives its live reservation is still published, and its stored seq says where', async () => {
    const gated = withGate(t.database, (text) => text.includes('insert into notices'));
    const sent: LiveMessage[] = [];
    const sequencer = new TopicSequencer({ now: () => t.clock.nowMs, emit: (m) => sent.push(m), reserveTimeoutMs: 50 });
    const service = createNoticeService({
      database: gated,
      log: silentLogger,
      now: () => t.clock.nowMs,
      publisher: sequencer,
    });
    const trip = w.a.trips[1] ?? w.a.trips[0];
    const r = (await service.tripRiders(trip.id))!;
    const etas = new Map(r.riders.map((x) => [x.stopId, { etaMs: t.clock.nowMs + 60_000, remainingM: 300 }]));
    const drafts = approachingNotices(r.info, r.riders, etas, t.clock.nowMs).map((d) => ({
      ...d,
      dedupeKey: `${d.dedupeKey}/slow-${Date.now()}`, // a retry stores its own
    }));
    expect(drafts.length).toBeGreaterThan(0);
    gated.hold();
    const storing = service.store(drafts);
    await expect.poll(() => gated.waiting).toBe(1);
    // Meanwhile the bus moves on: its position waits behind the reservations, then goes out when they time out.
    sequencer.publish(tripTopic(trip.id), 'position', { p: 1 });
    await expect.poll(() => sent.map((m) => m.type)).toEqual(['position']);
    gated.release();
    const stored = await storing;
    expect(stored).toHaveLength(drafts.length);
    const late = sent.filter((m) => m.type === 'notice');
    expect(late.map((m) => (m.data as { id: number }).id).sort()).toEqual(stored.map((n) => n.id).sort());
    // Each went out after the position, and its stored copy carries the seq it went out with (resume replays it).
    for (const m of late) expect(m.seq).toBeGreaterThan(sent[0]!.seq);
    const guardianId = drafts[0]!.guardianId;
    const replayed = await service.missedOnTopic(guardianId, trip.id, sent[0]!.seq);
    expect(replayed.map((x) => x.seq)).toEqual(
      late.filter((m) => m.audience?.guardianId === guardianId).map((m) => m.seq),
    );
  });
});
