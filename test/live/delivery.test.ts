// Delivery guarantees: ordering with reservations, conflation for slow sinks, the buffer limit, heartbeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal';
import { silentLogger } from '../../src/logging';
import { CLOSE_SLOW_CONSUMER, createHub, type LiveSink } from '../../src/live/hub';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { ok } from '../helpers/world';
import { connect, type LiveServer, startLiveServer, subscribe } from './helpers';

const DATA = new Set(['position', 'eta', 'notice', 'trip', 'violation']);
const admin: Principal = { userId: 1, tokenId: 1, name: 'Admin', role: 'admin', schoolIds: [] };

function fakeSink() {
  const sent: any[] = [];
  const sink: LiveSink & { buffered: number; closedWith?: [number, string] } = {
    buffered: 0,
    send: (text) => void sent.push(JSON.parse(text)),
    close(code, reason) {
      this.closedWith = [code, reason];
    },
    bufferedAmount() {
      return this.buffered;
    },
  };
  return { sink, sent };
}

function hubFor(limits = {}) {
  let now = 1_000;
  return createHub({
    log: silentLogger,
    now: () => now++,
    authenticate: async () => admin,
    authorize: async () => ({ ok: true }),
    limits,
  });
}

async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('hub (fake sinks)', () => {
  it('conflates positions and ETAs of a topic for a sink above its high-water mark, keeps notices, and stays ordered', async () => {
    const hub = hubFor({ highWaterBytes: 1000 });
    const { sink, sent } = fakeSink();
    const conn = hub.connect(sink, admin);
    conn.receive(JSON.stringify({ type: 'subscribe', topic: 'bus:1' }));
    await settle();
    sink.buffered = 5000; // the client stopped reading
    for (let i = 0; i < 1000; i++) {
      hub.publish('bus:1', 'position', { i });
      if (i % 250 === 0) hub.publish('bus:1', 'trip', { event: 'stop.arrived', i });
      hub.publish('bus:1', 'eta', { i });
    }
    expect(conn.queuedMessages).toBe(4 + 2); // four trip messages, one position, one eta
    expect(hub.stats().conflated).toBe(2 * 999);
    sink.buffered = 0;
    hub.flush();
    const data = sent.filter((m) => DATA.has(m.type));
    expect(data.map((m) => `${m.type}:${m.data.i}`)).toEqual([
      'trip:0',
      'trip:250',
      'trip:500',
      'trip:750',
      'position:999',
      'eta:999',
    ]);
    const seqs = data.map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('disconnects a sink past the buffer limit and frees its queue', async () => {
    const hub = hubFor({ highWaterBytes: 1000, maxBufferedBytes: 50_000 });
    const { sink } = fakeSink();
    const conn = hub.connect(sink, admin);
    conn.receive(JSON.stringify({ type: 'subscribe', topic: 'bus:1' }));
    await settle();
    sink.buffered = 2000;
    const pad = 'x'.repeat(1000);
    let maxQueued = 0;
    for (let i = 0; i < 10_000; i++) {
      hub.publish('bus:1', 'trip', { i, pad });
      maxQueued = Math.max(maxQueued, conn.queuedBytes);
    }
    expect(sink.closedWith?.[0]).toBe(CLOSE_SLOW_CONSUMER);
    expect(maxQueued).toBeLessThanOrEqual(50_000);
    expect(hub.stats()).toMatchObject({ connections: 0, queuedBytes: 0, queuedMessages: 0 });
  });

  it('lets the office follow up to 1,000 topics a session and everyone else 50, and says so on authentication', async () => {
    const hub = hubFor();
    // As the pages do: a few requests at a time (a session with more than 32 unanswered is closed).
    const follow = async (principal: Principal, n: number) => {
      const { sink, sent } = fakeSink();
      const conn = hub.connect(sink, principal);
      const answers = () => sent.filter((m) => m.type === 'subscribed' || m.type === 'error').length;
      for (let i = 1; i <= n; i += 16) {
        for (let k = i; k < Math.min(n + 1, i + 16); k++)
          conn.receive(JSON.stringify({ type: 'subscribe', topic: `bus:${k}` }));
        while (answers() < Math.min(n, i + 15)) await settle();
      }
      expect(sink.closedWith).toBeUndefined();
      return sent;
    };
    const guardian = await follow({ ...admin, role: 'guardian', guardianId: 7 }, 51);
    expect(guardian[0]).toMatchObject({ type: 'authenticated', maxTopics: 50 });
    expect(guardian.filter((m) => m.type === 'subscribed')).toHaveLength(50);
    expect(guardian.filter((m) => m.type === 'error')).toEqual([
      expect.objectContaining({ status: 429, code: 'too_many_subscriptions', topic: 'bus:51' }),
    ]);
    const supervisor = await follow({ ...admin, role: 'supervisor', allSchools: true }, 60);
    expect(supervisor[0]).toMatchObject({ type: 'authenticated', maxTopics: 1000 });
    expect(supervisor.filter((m) => m.type === 'subscribed')).toHaveLength(60);
    const manager = await follow({ ...admin, role: 'manager', schoolIds: [1] }, 1001);
    expect(manager.filter((m) => m.type === 'subscribed')).toHaveLength(1000);
    expect(manager.filter((m) => m.type === 'error').map((m) => m.topic)).toEqual(['bus:1001']);
  });

  it('holds later messages behind a reservation until it is published or cancelled', async () => {
    const hub = hubFor();
    const { sink, sent } = fakeSink();
    const conn = hub.connect(sink, { ...admin, role: 'guardian', guardianId: 7 });
    conn.receive(JSON.stringify({ type: 'subscribe', topic: 'trip:3' }));
    await settle();
    const a = hub.reserve('trip:3');
    const b = hub.reserve('trip:3');
    hub.publish('trip:3', 'position', { p: 1 });
    expect(sent.filter((m) => DATA.has(m.type))).toHaveLength(0);
    b.publish('notice', { n: 'b' }, { audience: { guardianId: 7 } });
    a.cancel();
    hub.publish('trip:3', 'notice', { n: 'other' }, { audience: { guardianId: 8 } });
    const got = sent.filter((m) => DATA.has(m.type));
    expect(got.map((m) => m.type)).toEqual(['notice', 'position']); // b, then the position; another guardian's notice never
    expect(got[0].seq).toBe(b.seq);
    expect(got[1].seq).toBeGreaterThan(b.seq);
    expect(hub.stats().pendingReservations).toBe(0);
  });
});

describe('ws transport', () => {
  let t: TestApp;
  let live: LiveService;
  let srv: LiveServer;
  let busId: number;

  beforeAll(async () => {
    t = await createTestApp();
    const school = await ok(t.call('POST', '/api/v1/schools', { body: { name: 'S', lat: 31.2, lon: 121.4 } }));
    const bus = await ok(
      t.call('POST', '/api/v1/buses', { body: { schoolId: school.id, plate: 'SLOW-1', approvedCapacity: 40 } }),
    );
    busId = bus.id;
    const now = () => t.clock.nowMs;
    live = createLiveHub({
      database: t.database,
      log: silentLogger,
      now,
      limits: { highWaterBytes: 16 * 1024, maxBufferedBytes: 512 * 1024 },
    });
    srv = await startLiveServer(
      { database: t.database, log: silentLogger, now, live },
      { heartbeatMs: 600, flushMs: 10, closeTimeoutMs: 200 },
    );
  });
  afterAll(async () => {
    await srv?.close();
    await t?.close();
  });

  it('frames messages of every length class intact, each once, in order, to every follower', async () => {
    const a = await connect(srv.wsUrl, { token: ADMIN_TOKEN });
    const b = await connect(srv.wsUrl, { token: ADMIN_TOKEN });
    for (const c of [a, b]) expect((await subscribe(c, `bus:${busId}`)).type).toBe('subscribed');
    // 7-bit, 16-bit and 64-bit payload lengths (RFC 6455), with multi-byte UTF-8 text.
    const pads = ['', 'x'.repeat(200), '校车'.repeat(30_000)];
    for (const [i, pad] of pads.entries()) live.hub.publish(`bus:${busId}`, 'trip', { frameTest: i, pad });
    for (const c of [a, b]) {
      await c.waitFor((m) => m.data?.frameTest === 2, 'the longest message');
      const got = c.of('trip', `bus:${busId}`).filter((m) => m.data?.frameTest !== undefined);
      expect(got.map((m) => m.data.frameTest)).toEqual([0, 1, 2]);
      expect(got.map((m) => m.data.pad)).toEqual(pads);
    }
    await a.close();
    await b.close();
  });

  it('a client that sends 40 subscribes without waiting for answers is closed (at most 32 in flight)', async () => {
    const c = await connect(srv.wsUrl, { token: ADMIN_TOKEN });
    // in one TCP write, so the server reads them together
    const socket = (c.ws as any)._socket;
    socket.cork();
    for (let i = 0; i < 40; i++) c.send({ type: 'subscribe', topic: `bus:${busId}` });
    socket.uncork();
    const closed = await Promise.race([c.closed, new Promise((r) => setTimeout(() => r('open'), 3000))]);
    expect(closed).toMatchObject({ reason: 'too many requests in flight' });
  });

  it('a client that stops reading is disconnected; server-side buffering stays under the limit', async () => {
    const c = await connect(srv.wsUrl, { token: ADMIN_TOKEN });
    expect((await subscribe(c, `bus:${busId}`)).type).toBe('subscribed');
    (c.ws as any)._socket.pause(); // stop reading: the kernel buffers fill, then ws's, then the hub's queue
    const pad = 'y'.repeat(4096);
    let maxHeld = 0;
    let published = 0;
    for (let round = 0; round < 400 && live.hub.stats().connections > 0; round++) {
      for (let i = 0; i < 200; i++) {
        live.hub.publish(`bus:${busId}`, 'trip', { round, i, pad });
        live.hub.publish(`bus:${busId}`, 'position', { round, i });
        published++;
      }
      maxHeld = Math.max(maxHeld, live.hub.stats().queuedBytes);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(live.hub.stats().connections).toBe(0);
    expect(live.hub.stats().slowClosed).toBe(1);
    expect(maxHeld).toBeLessThanOrEqual(512 * 1024);
    expect(published * 4096).toBeGreaterThan(512 * 1024); // it really was pushed past the limit
    (c.ws as any)._socket.resume();
    await c.closed;
  });

  it('heartbeats drop a peer that stops answering pings', async () => {
    const alive = await connect(srv.wsUrl, { token: ADMIN_TOKEN });
    const dead = await connect(srv.wsUrl, { token: ADMIN_TOKEN, autoPong: false });
    const closed = await dead.closed;
    expect(closed.code).toBe(1006); // terminated, no close frame
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    alive.send({ type: 'ping' });
    await alive.waitFor((m) => m.type === 'pong', 'pong');
    await alive.close();
  });

  it('an unknown path is not upgraded', async () => {
    await expect(connect(srv.wsUrl.replace('/api/v1/live', '/api/v1/other'))).rejects.toThrow(/404/);
  });
});
