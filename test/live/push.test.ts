// Web Push end to end: the subscription API (a guardian's own subscriptions only), and delivery from the durable
// outbox to a local push service (test/helpers/push-service.ts) that verifies the VAPID JWT against the server's
// public key and decrypts the aes128gcm payload with the subscription's private key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { createApp } from '../../src/http/app';
import { approachingNotices, schoolArrivedNotices, stopNotices } from '../../src/live/notice-rules';
import { createNoticeService, type NoticeService } from '../../src/live/notices';
import { DEFAULT_PUSH_ALLOWED_HOSTS } from '../../src/live/push/hosts';
import { createPushService, type PushService, RETRY_DELAYS_S } from '../../src/live/push/service';
import { silentLogger } from '../../src/logging';
import { createTestApp, type TestApp } from '../helpers/app';
import { assertContract } from '../helpers/contract';
import { startLocalPushService, type LocalPushService } from '../helpers/push-service';
import { buildWorld, type World } from '../helpers/world';

const DAY0_MS = Date.parse('2026-09-01T07:05:00+08:00');

let t: TestApp;
let w: World;
let local: LocalPushService;
let push: PushService;
let notices: NoticeService;
let app: ReturnType<typeof createApp>;

function pushFor(extra: Partial<Parameters<typeof createPushService>[0]> = {}) {
  return createPushService({
    database: t.database,
    log: silentLogger,
    now: () => t.clock.nowMs,
    allowedHosts: [...DEFAULT_PUSH_ALLOWED_HOSTS, local.hostPort],
    ...extra,
  });
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  assertContract(app, method, path, res, parsed);
  return { status: res.status, body: parsed };
}

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  local = await startLocalPushService();
  push = pushFor();
  local.expectKey((await push.vapidKeys()).publicKey);
  notices = createNoticeService({ database: t.database, log: silentLogger, now: () => t.clock.nowMs });
  notices.setOutbox(push);
  app = createApp({ database: t.database, log: silentLogger, now: () => t.clock.nowMs, push });
}, 120_000);

afterAll(async () => {
  await push?.close();
  await local?.close();
  await t?.close();
});

async function approachingFor(tripId: number, stopOffsetS = 240) {
  const r = (await notices.tripRiders(tripId))!;
  const etas = new Map(
    r.riders.map((x) => [x.stopId, { etaMs: t.clock.nowMs + stopOffsetS * 1000, remainingM: 1500 }]),
  );
  return notices.store(approachingNotices(r.info, r.riders, etas, t.clock.nowMs));
}

describe('the push API', () => {
  it('serves the VAPID public key, the same one after a restart', async () => {
    const r = await call('GET', '/api/v1/push/vapid-public-key', w.tokens.guardianA1);
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body.publicKey, 'base64url')).toHaveLength(65);
    expect((await pushFor().vapidKeys()).publicKey).toBe(r.body.publicKey);
  });

  it('keeps each guardian to their own subscriptions', async () => {
    const sub = local.subscribe('api-a1');
    const made = await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA1, {
      endpoint: sub.endpoint,
      expirationTime: null,
      keys: sub.keys,
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ endpoint: sub.endpoint });
    expect((await call('GET', '/api/v1/push/subscriptions', w.tokens.guardianA1)).body.items).toHaveLength(1);
    // another family sees nothing of it and cannot delete it
    expect((await call('GET', '/api/v1/push/subscriptions', w.tokens.guardianB)).body.items).toEqual([]);
    expect((await call('DELETE', `/api/v1/push/subscriptions/${made.body.id}`, w.tokens.guardianB)).status).toBe(403);
    expect((await call('DELETE', `/api/v1/push/subscriptions/${made.body.id}`, w.tokens.guardianA2)).status).toBe(403);
    // not for other roles
    expect((await call('GET', '/api/v1/push/subscriptions', w.tokens.managerA)).status).toBe(403);
    expect(
      (await call('POST', '/api/v1/push/subscriptions', w.tokens.managerA, { endpoint: sub.endpoint, keys: sub.keys }))
        .status,
    ).toBe(403);
    expect((await call('DELETE', `/api/v1/push/subscriptions/${made.body.id}`, w.tokens.guardianA1)).status).toBe(204);
    expect((await call('GET', '/api/v1/push/subscriptions', w.tokens.guardianA1)).body.items).toEqual([]);
    expect((await call('DELETE', `/api/v1/push/subscriptions/${made.body.id}`, w.tokens.guardianA1)).status).toBe(404);
  });

  it('accepts only endpoints of allowed push services and well-formed keys', async () => {
    const { keys } = local.subscribe('api-bad');
    const bad = async (body: unknown) => {
      const r = await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA1, body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      return r.body.error;
    };
    expect((await bad({ endpoint: 'https://evil.example/push/1', keys })).message).toMatch(/PUSH_ALLOWED_HOSTS/);
    expect((await bad({ endpoint: 'http://fcm.googleapis.com/fcm/send/x', keys })).message).toMatch(/https/);
    expect((await bad({ endpoint: 'https://fcm.googleapis.com:8443/x', keys })).message).toMatch(/PUSH_ALLOWED/);
    expect((await bad({ endpoint: 'https://u:p@fcm.googleapis.com/x', keys })).message).toMatch(/user info/);
    expect((await bad({ endpoint: 'http://127.0.0.1:1/push/x', keys })).message).toMatch(/PUSH_ALLOWED/);
    expect((await bad({ endpoint: 'not a url', keys })).message).toMatch(/URL/);
    expect((await bad({ endpoint: 'https://fcm.googleapis.com/x', keys: { ...keys, auth: 'AAAA' } })).code).toBe(
      'validation_failed',
    );
    expect(
      (await bad({ endpoint: 'https://fcm.googleapis.com/x', keys: { p256dh: keys.auth, auth: keys.auth } })).code,
    ).toBe('validation_failed');
    expect(
      (
        await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA1, {
          endpoint: 'https://wns2-par02p.notify.windows.com/w/?token=abc',
          keys,
        })
      ).status,
    ).toBe(201);
    expect((await bad({ endpoint: 'https://notify.windows.com/w/?token=abc', keys })).message).toMatch(/PUSH_ALLOWED/);
    const mine = (await call('GET', '/api/v1/push/subscriptions', w.tokens.guardianA1)).body.items;
    for (const s of mine) await call('DELETE', `/api/v1/push/subscriptions/${s.id}`, w.tokens.guardianA1);
  });
});

describe('VAPID keys from the environment', () => {
  it('signs with VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY and VAPID_SUBJECT when given, not the stored pair', async () => {
    const stored = (await push.vapidKeys()).publicKey;
    const given = webpush.generateVAPIDKeys();
    const envPush = pushFor({ vapid: { ...given, subject: 'https://school.example/contact' } });
    expect((await envPush.vapidKeys()).publicKey).toBe(given.publicKey);
    expect(given.publicKey).not.toBe(stored);
    const sub = local.subscribe('a2-env');
    const made = await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA2, {
      endpoint: sub.endpoint,
      keys: sub.keys,
    });
    expect(made.status).toBe(201);
    notices.setOutbox(envPush);
    local.expectKey(given.publicKey);
    try {
      const before = local.received.length;
      const r = (await notices.tripRiders(w.a.trips[1].id))!;
      const school = String(w.a.routes[1].stops.at(-1).id);
      expect(await notices.store(schoolArrivedNotices(r.info, r.riders, school, t.clock.nowMs))).toHaveLength(1);
      expect(await envPush.drain()).toMatchObject({ sent: 1, retried: 0, dropped: 0 });
      expect(local.problems).toEqual([]);
      const got = local.received.slice(before);
      expect(got.map((g) => g.subscription)).toEqual(['a2-env']);
      expect(got[0]!.claims.sub).toBe('https://school.example/contact');
      expect(got[0]!.headers.authorization).toContain(`k=${given.publicKey}`);
    } finally {
      local.expectKey(stored);
      notices.setOutbox(push);
      await call('DELETE', `/api/v1/push/subscriptions/${made.body.id}`, w.tokens.guardianA2);
      await envPush.close();
    }
  });
});

describe('push delivery', () => {
  it('pushes every guardian notice, signed and encrypted, in the guardian’s language, tagged per trip and stop', async () => {
    const sub = local.subscribe('a1-phone');
    expect((await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA1, sub)).status).toBe(400); // extra fields
    await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA1, { endpoint: sub.endpoint, keys: sub.keys });
    const trip = w.a.trips[0];
    const stopId = String(w.a.routes[0].stops[0].id);
    const before = local.received.length;
    expect(await approachingFor(trip.id)).toHaveLength(1);
    const r = (await notices.tripRiders(trip.id))!;
    t.clock.nowMs += 240_000;
    expect(await notices.store(stopNotices('stop.arrived', r.info, r.riders, stopId, t.clock.nowMs))).toHaveLength(1);
    const report = await push.drain();
    expect(report).toMatchObject({ sent: 2, retried: 0, gone: 0, dropped: 0 });
    expect(local.problems).toEqual([]);
    const got = local.received.slice(before);
    expect(got.map((g) => g.subscription)).toEqual(['a1-phone', 'a1-phone']);
    const [approaching, arrived] = got.map((g) => g.payload);
    expect(approaching).toMatchObject({
      title: '校车即将到站',
      kind: 'approaching',
      tripId: trip.id,
      tag: `bg-trip-${trip.id}-s${stopId}`,
      url: `/parent?trip=${trip.id}`,
      lang: 'zh-CN',
    });
    expect(approaching.body).toMatch(/即将到达.*预计4分钟后到站/);
    expect(arrived).toMatchObject({ title: '校车已到站', tag: `bg-trip-${trip.id}-s${stopId}` });
    expect(arrived.body).toMatch(/已到达/);
    expect(got[0]!.headers.topic).toBe(`t${trip.id}s${stopId}`);
    expect(got[0]!.headers.ttl).toBe('3600');
    expect(got[0]!.headers.urgency).toBe('high');
    // nothing left to send; the subscription records its success
    expect(await push.drain()).toMatchObject({ sent: 0 });
    const [row] = await t.database.query<{ last_success_at: Date | null }>(
      'select last_success_at from push_subscriptions where endpoint = $1',
      [sub.endpoint],
    );
    expect(row!.last_success_at).not.toBeNull();
  });

  it('speaks English to a guardian who chose English', async () => {
    const g = w.a.guardians[1];
    expect((await t.call('PATCH', `/api/v1/guardians/${g.id}`, { body: { locale: 'en' } })).status).toBe(200);
    notices.invalidateTrip(w.a.trips[1].id);
    const sub = local.subscribe('a2-en');
    await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA2, { endpoint: sub.endpoint, keys: sub.keys });
    const before = local.received.length;
    await approachingFor(w.a.trips[1].id, 180);
    await push.drain();
    const got = local.received.slice(before).map((g) => g.payload);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ title: 'Bus approaching', lang: 'en' });
    expect(got[0].body).toMatch(/approaching .* about 3 min away/);
  });

  it('deletes a subscription the push service says is gone (404/410)', async () => {
    const sub = local.subscribe('b-gone');
    const made = await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianB, {
      endpoint: sub.endpoint,
      keys: sub.keys,
    });
    local.failNext('b-gone', 410);
    await approachingFor(w.b.trips[0].id);
    expect(await push.drain()).toMatchObject({ gone: 1, sent: 0 });
    expect((await call('GET', '/api/v1/push/subscriptions', w.tokens.guardianB)).body.items).toEqual([]);
    expect(await t.database.query('select * from push_outbox where subscription_id = $1', [made.body.id])).toEqual([]);
  });

  it('retries 429 and 5xx with backoff from the durable outbox, across a restart', async () => {
    const sub = local.subscribe('b-flaky');
    await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianB, { endpoint: sub.endpoint, keys: sub.keys });
    local.failNext('b-flaky', 503, 429);
    const r = (await notices.tripRiders(w.b.trips[0].id))!;
    const stopId = String(w.b.routes[0].stops[0].id);
    await notices.store(stopNotices('stop.arrived', r.info, r.riders, stopId, t.clock.nowMs));
    const before = local.received.length;
    expect(await push.drain()).toMatchObject({ retried: 1, sent: 0 });
    const outbox = () =>
      t.database.query<{ attempts: number; next_attempt_at: Date; last_error: string }>(
        'select attempts, next_attempt_at, last_error from push_outbox',
      );
    let [row] = await outbox();
    expect(row).toMatchObject({ attempts: 1, last_error: 'HTTP 503' });
    expect(new Date(row!.next_attempt_at).getTime()).toBe(t.clock.nowMs + RETRY_DELAYS_S[0] * 1000);
    expect(await push.drain()).toMatchObject({ retried: 0, sent: 0 }); // not due yet
    // the process restarts: a new sender on the same database finds the row
    await push.close();
    push = pushFor();
    notices.setOutbox(push);
    t.clock.nowMs += RETRY_DELAYS_S[0] * 1000;
    expect(await push.drain()).toMatchObject({ retried: 1 });
    [row] = await outbox();
    expect(row).toMatchObject({ attempts: 2, last_error: 'HTTP 429' });
    expect(new Date(row!.next_attempt_at).getTime()).toBe(t.clock.nowMs + RETRY_DELAYS_S[1] * 1000);
    t.clock.nowMs += RETRY_DELAYS_S[1] * 1000;
    expect(await push.drain()).toMatchObject({ sent: 1 });
    expect(await outbox()).toEqual([]);
    expect(local.received.slice(before).map((g) => g.payload.title)).toEqual(['校车已到站']);
  });

  it('gives up after the last retry', async () => {
    local.failNext('b-flaky', ...RETRY_DELAYS_S.map(() => 500), 500);
    await notices.store(
      stopNotices(
        'stop.departed',
        ...(await ridersOf(w.b.trips[0].id)),
        String(w.b.routes[0].stops[0].id),
        t.clock.nowMs,
      ),
    );
    for (const d of RETRY_DELAYS_S) {
      expect(await push.drain()).toMatchObject({ retried: 1 });
      t.clock.nowMs += d * 1000;
    }
    expect(await push.drain()).toMatchObject({ retried: 0, dropped: 1 });
    expect(await t.database.query('select * from push_outbox')).toEqual([]);
  });

  it('never posts to a host that is no longer allowed', async () => {
    const strict = pushFor({ allowedHosts: DEFAULT_PUSH_ALLOWED_HOSTS });
    notices.setOutbox(strict);
    const before = local.received.length;
    const [info, riders] = await ridersOf(w.a.trips[0].id);
    expect(
      await notices.store(stopNotices('stop.departed', info, riders, String(w.a.routes[0].stops[0].id), t.clock.nowMs)),
    ).toHaveLength(1);
    expect(await t.database.query('select * from push_outbox')).toHaveLength(1);
    expect(await strict.drain()).toMatchObject({ sent: 0, dropped: 1 });
    expect(await t.database.query('select * from push_outbox')).toEqual([]);
    expect(local.received.length).toBe(before);
    notices.setOutbox(push);
  });

  it('sends on its own once started, soon after a notice is stored', async () => {
    const sub = local.subscribe('a1-tablet');
    await call('POST', '/api/v1/push/subscriptions', w.tokens.guardianA1, { endpoint: sub.endpoint, keys: sub.keys });
    push.start();
    const mine = () => local.received.filter((g) => g.subscription === 'a1-tablet');
    const r = (await notices.tripRiders(w.a.trips[0].id))!;
    await notices.store(schoolArrivedNotices(r.info, r.riders, String(w.a.routes[0].stops[1].id), t.clock.nowMs));
    await expect.poll(() => mine().length).toBe(1);
    expect(mine()[0]!.payload).toMatchObject({
      title: '校车已到校',
      tag: `bg-trip-${w.a.trips[0].id}-s${w.a.routes[0].stops[1].id}`,
    });
  });
});

async function ridersOf(tripId: number) {
  const r = (await notices.tripRiders(tripId))!;
  return [r.info, r.riders] as const;
}
