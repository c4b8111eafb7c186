// Issue 18.6 / 18.9 / 13.3: sessions end when credentials end. A revoked token, a disabled or deleted user and a
// rotated ADMIN_TOKEN close their WebSockets within seconds (4401) — on this instance at once, on another instance
// through the fan-out, and by the periodic re-check when the change came from elsewhere —; the REST API refuses a
// revoked token on the very next request even though verified tokens are cached; last_used_at is recorded, at most
// once a minute per token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator';
import { hashToken } from '../../src/auth/tokens';
import { createApp } from '../../src/http/app';
import { InProcessFanout } from '../../src/live/fanout';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import type { DeviceInfo } from '../../src/pipeline/types';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';
import { connect, type LiveServer, startLiveServer, subscribe } from '../live/helpers';

const T0 = Date.UTC(2026, 9, 1, 0, 0, 0);
let t: TestApp;
let w: World;
let ingest: PipelineIngest;
let fanout: InProcessFanout;
let liveA: LiveService;
let liveB: LiveService;
let srvA: LiveServer;
let srvB: LiveServer;
let device: DeviceInfo;
let fixSeq = 0;

const now = () => t.clock.nowMs;
const limits = { credentialCheckMs: 500 };

beforeAll(async () => {
  t = await createTestApp(T0);
  w = await buildWorld(t);
  ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 1 } });
  // Two instances of the service on one database, with one fan-out between them (as LISTEN/NOTIFY would be).
  fanout = new InProcessFanout();
  liveA = createLiveHub({ database: t.database, log: silentLogger, now, fanout, limits });
  liveA.attach({ ingest });
  liveB = createLiveHub({ database: t.database, log: silentLogger, now, fanout, limits });
  srvA = await startLiveServer({ database: t.database, log: silentLogger, now, ingest, live: liveA });
  srvB = await startLiveServer({ database: t.database, log: silentLogger, now, live: liveB });
  device = (await ingest.directory.byId(w.a.devices[0].id))!;
});

afterAll(async () => {
  await srvA?.close();
  await srvB?.close();
  await ingest?.close();
  await t?.close();
});

async function newToken(user: Record<string, unknown>) {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  const tok = await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'session test' } }));
  return { userId: u.id as number, tokenId: tok.id as number, token: tok.token as string };
}

async function rest(srv: LiveServer, path: string, token: string, init: RequestInit = {}) {
  return fetch(srv.url + path, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

async function sendFix() {
  fixSeq++;
  const timeMs = T0 - 120_000 + fixSeq * 1000;
  await ingest.submitFixes(
    device,
    [
      {
        deviceId: device.identifier,
        protocol: 'json',
        timeMs,
        lat: 31.2,
        lon: 121.4 + fixSeq * 0.0001,
        speedKph: 30,
        valid: true,
        alarms: [],
        attributes: {},
      },
    ],
    now(),
  );
}

const busTopic = () => `bus:${w.a.buses[0].id}`;

describe('sessions end when credentials end', () => {
  it('revoking a token closes its socket at once (4401) and the API refuses it on the very next request', async () => {
    const m = await newToken({ name: 'Manager R', role: 'manager', schoolIds: [w.a.schoolId] });
    expect((await rest(srvA, '/api/v1/me', m.token)).status).toBe(200); // now cached
    const c = await connect(srvA.wsUrl, { token: m.token });
    expect((await subscribe(c, busTopic())).type).toBe('subscribed');
    await sendFix();
    await c.waitFor((x) => x.type === 'position', 'a position before revocation');

    const started = Date.now();
    expect((await rest(srvA, `/api/v1/tokens/${m.tokenId}`, ADMIN_TOKEN, { method: 'DELETE' })).status).toBe(204);
    expect((await rest(srvA, '/api/v1/me', m.token)).status).toBe(401);
    const closed = await c.closed;
    expect(closed.code).toBe(4401);
    expect(Date.now() - started).toBeLessThan(3000);
    // After revocation: nothing more arrives, and the token cannot open a new socket.
    const positions = c.of('position').length;
    await sendFix();
    await new Promise((r) => setTimeout(r, 200));
    expect(c.of('position').length).toBe(positions);
    await expect(connect(srvA.wsUrl, { token: m.token })).rejects.toThrow(/401/);
  });

  it('a revocation on one instance closes the socket on another (fan-out) and evicts its token cache', async () => {
    const m = await newToken({ name: 'Manager X', role: 'manager', schoolIds: [w.a.schoolId] });
    expect((await rest(srvB, '/api/v1/me', m.token)).status).toBe(200); // cached on B
    const c = await connect(srvB.wsUrl);
    c.send({ type: 'auth', token: m.token }); // browser style
    await c.waitFor((x) => x.type === 'authenticated', 'authenticated');
    expect((await subscribe(c, busTopic())).type).toBe('subscribed');
    expect((await rest(srvA, `/api/v1/tokens/${m.tokenId}`, ADMIN_TOKEN, { method: 'DELETE' })).status).toBe(204);
    expect((await c.closed).code).toBe(4401);
    expect((await rest(srvB, '/api/v1/me', m.token)).status).toBe(401);
  });

  it('disabling or deleting a user closes its sockets; a change made elsewhere is caught by the re-check within seconds', async () => {
    const g = await newToken({ name: 'Guardian D', role: 'guardian', guardianId: w.a.guardians[0].id });
    const c1 = await connect(srvA.wsUrl, { token: g.token });
    expect((await subscribe(c1, `trip:${w.a.trips[0].id}`)).type).toBe('subscribed');
    expect(
      (
        await rest(srvA, `/api/v1/users/${g.userId}`, ADMIN_TOKEN, {
          method: 'PATCH',
          body: JSON.stringify({ disabled: true }),
        })
      ).status,
    ).toBe(200);
    expect((await c1.closed).code).toBe(4401);
    expect((await rest(srvA, '/api/v1/me', g.token)).status).toBe(401);

    // Another manager tool (or instance without the fan-out) deletes the user straight in the database.
    const d = await newToken({ name: 'Guardian E', role: 'guardian', guardianId: w.a.guardians[1].id });
    const c2 = await connect(srvB.wsUrl, { token: d.token });
    expect((await subscribe(c2, `trip:${w.a.trips[1].id}`)).type).toBe('subscribed');
    await t.database.query('delete from users where id = $1', [d.userId]);
    const started = Date.now();
    expect((await c2.closed).code).toBe(4401);
    expect(Date.now() - started).toBeLessThan(5000);

    // DELETE /users/{id} through the API.
    const e = await newToken({ name: 'Attendant E', role: 'attendant', attendantId: w.a.attendants[0].id });
    const c3 = await connect(srvA.wsUrl, { token: e.token });
    await c3.waitFor((x) => x.type === 'authenticated', 'authenticated');
    expect((await rest(srvA, `/api/v1/users/${e.userId}`, ADMIN_TOKEN, { method: 'DELETE' })).status).toBe(204);
    expect((await c3.closed).code).toBe(4401);
  });

  it('a changed ADMIN_TOKEN revokes the previous one at start; its open socket is closed', async () => {
    const c = await connect(srvA.wsUrl, { token: ADMIN_TOKEN });
    expect((await subscribe(c, busTopic())).type).toBe('subscribed');
    const rotated = 'rotated-admin-token-0123456789';
    // What a second start with ADMIN_TOKEN changed does.
    const result = await ensureAdmin(t.database.db, rotated, now());
    expect(result.revokedTokenIds).toHaveLength(1);
    expect((await c.closed).code).toBe(4401);
    const fresh = createApp({ database: t.database, log: silentLogger, now });
    expect((await fresh.request('/api/v1/me', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(
      401,
    );
    expect((await fresh.request('/api/v1/me', { headers: { authorization: `Bearer ${rotated}` } })).status).toBe(200);
    // Starting again with the same value changes nothing.
    expect((await ensureAdmin(t.database.db, rotated, now())).revokedTokenIds).toEqual([]);
    // Back to the test admin token, for the other tests.
    await t.database.query('update api_tokens set revoked_at = null where token_hash = $1', [
      await hashToken(ADMIN_TOKEN),
    ]);
    expect((await ensureAdmin(t.database.db, ADMIN_TOKEN, now())).revokedTokenIds).toHaveLength(1);
  });
});

describe('token cache and last use', () => {
  it('a cached token does not hit the database; a revocation evicts at once; the TTL is at most 30 s', async () => {
    // Statements the authenticator sends to the (real) database, raw or built, are counted on their way in.
    let statements = 0;
    const db = t.database.db;
    const counted = new Proxy(db, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === 'select') statements++;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const query: typeof t.database.query = (text, params, opts) => {
      statements++;
      return t.database.query(text, params, opts);
    };
    const auth = createAuthenticator({ database: { ...t.database, db: counted, query }, now, ttlMs: 120_000 });
    expect(auth.ttlMs).toBe(30_000);
    const m = await newToken({ name: 'Manager C', role: 'manager', schoolIds: [w.a.schoolId] });
    const app = createApp({ database: t.database, log: silentLogger, now, auth });
    const me = () => app.request('/api/v1/me', { headers: { authorization: `Bearer ${m.token}` } });
    expect((await me()).status).toBe(200);
    expect(auth.lookups).toBe(1);
    const afterFirst = statements;
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect((await me()).status).toBe(200);
    expect(auth.lookups).toBe(1);
    expect(statements).toBe(afterFirst); // twenty requests, not one query
    t.clock.nowMs += 30_001; // past the TTL: asked again
    expect((await me()).status).toBe(200);
    expect(auth.lookups).toBe(2);
    const revoke = await app.request(`/api/v1/tokens/${m.tokenId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(revoke.status).toBe(204);
    expect((await me()).status).toBe(401);
    await auth.close();
  });

  it('records lastUsedAt, at most once a minute per token', async () => {
    const auth = createAuthenticator({ database: t.database, now });
    const m = await newToken({ name: 'Manager L', role: 'manager', schoolIds: [w.a.schoolId] });
    const app = createApp({ database: t.database, log: silentLogger, now, auth });
    const lastUsed = async () =>
      (
        await t.database.query<{ last_used_at: Date | string | null }>(
          'select last_used_at from api_tokens where id = $1',
          [m.tokenId],
        )
      )[0]!.last_used_at;
    expect(await lastUsed()).toBeNull();
    const first = t.clock.nowMs;
    await app.request('/api/v1/me', { headers: { authorization: `Bearer ${m.token}` } });
    await auth.flush();
    expect(new Date((await lastUsed())!).getTime()).toBe(first);
    t.clock.nowMs += 20_000;
    await app.request('/api/v1/me', { headers: { authorization: `Bearer ${m.token}` } });
    await auth.flush();
    expect(new Date((await lastUsed())!).getTime()).toBe(first); // throttled
    t.clock.nowMs += 41_000;
    await app.request('/api/v1/me', { headers: { authorization: `Bearer ${m.token}` } });
    await auth.flush();
    expect(new Date((await lastUsed())!).getTime()).toBe(t.clock.nowMs);
    // The API shows it.
    const list = await t.call('GET', `/api/v1/users/${m.userId}/tokens`);
    expect(new Date(list.body.items[0].lastUsedAt).getTime()).toBe(t.clock.nowMs);
    await auth.close();
  });
});
