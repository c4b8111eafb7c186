// Issue 18.10, the lower items: /metrics behind METRICS_TOKEN; connect timeouts so /readyz and writes answer
// within about 2 s while PostgreSQL is down; strict decimal ids (REST and WebSocket topics; an id above 2^31 gets an
// error reply, never silence); CSV cells that a spreadsheet would run as formulas; deeply nested ruleOverrides → 400;
// alarm names with commas stored whole; a second device of a bus at the same time stored (answered honestly).
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { silentLogger } from '../../src/logging';
import { Metrics } from '../../src/pipeline/metrics';
import { PositionWriter } from '../../src/pipeline/position-writer';
import { StorageUnavailableError } from '../../src/pipeline/types';
import { csvCell } from '../../src/reports/render';
import { loadConfig } from '../../src/runtime/node/config';
import { createPostgresDatabase } from '../../src/store/postgres-db';
import { ADMIN_TOKEN } from '../helpers/app';
import { type IngestWorld, setupIngestWorld, teardownIngestWorld } from '../helpers/ingest-app';
import type { World } from '../helpers/world';
import { connect, type LiveServer, startLiveServer, subscribe } from '../live/helpers';
import type { Socket } from 'node:net';

const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);
let world: IngestWorld | undefined;
let w: World;
let live: LiveService;
let srv: LiveServer;

beforeAll(async () => {
  world = await setupIngestWorld(T0);
  w = world.w;
  const now = () => world!.t.clock.nowMs;
  live = createLiveHub({ database: world.t.database, log: silentLogger, now });
  srv = await startLiveServer({ database: world.t.database, log: silentLogger, now, live });
});
afterAll(async () => {
  await srv?.close();
  await teardownIngestWorld(world);
});

describe('/metrics behind METRICS_TOKEN', () => {
  it('answers 401 without the bearer token when one is configured, and stays open when none is', async () => {
    const secret = 'metrics-token-0123456789';
    const app = createApp({
      database: world!.t.database,
      log: silentLogger,
      now: Date.now,
      ingest: world!.api.ingest,
      metricsToken: secret,
    });
    expect((await app.request('/metrics')).status).toBe(401);
    expect(
      (await app.request('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456780' } })).status,
    ).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
    const ok = await app.request('/metrics', { headers: { authorization: `Bearer ${secret}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('busguard_fixes_accepted_total');
    expect((await world!.api.app.request('/metrics')).status).toBe(200);
    expect(loadConfig({ METRICS_TOKEN: secret }).metricsToken).toBe(secret);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});

describe('PostgreSQL down: answers within about 2 s', () => {
  let blackhole: Server;
  let port: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a hung or firewalled server.
    blackhole = createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    port = (blackhole.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => blackhole.close(() => r()));
  });

  it('/readyz and a position write fail fast instead of hanging', async () => {
    const database = createPostgresDatabase({ url: `postgres://postgres@127.0.0.1:${port}/none`, maxConnections: 2 });
    try {
      const app = createApp({ database, log: silentLogger, now: Date.now });
      let started = Date.now();
      const ready = await app.request('/readyz');
      expect(ready.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2600);

      const writer = new PositionWriter(database, new Metrics());
      started = Date.now();
      const write = writer.write([
        {
          busId: 1,
          deviceId: 1,
          timeMs: T0,
          receivedMs: T0,
          lat: 31.2,
          lon: 121.4,
          alarms: [],
          late: false,
          blindArea: false,
          attributes: null,
        },
      ]);
      await expect(write).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(2600);
    } finally {
      await database.close().catch(() => undefined);
    }
  });
});

describe('strict decimal ids', () => {
  it('refuses 1e3, 0x10, " 12", +5, 012 and ids above 2^31 − 1 with a 400; accepts 1', async () => {
    const id = w.a.schoolId;
    for (const bad of ['1e3', '0x10', '%2012', '+5', '012', '-1', '1.0', '2147483648', '99999999999999999999']) {
      const r = await world!.t.call('GET', `/api/v1/schools/${bad}`);
      expect(r.status, bad).toBe(400);
    }
    expect((await world!.t.call('GET', `/api/v1/schools/${id}`)).status).toBe(200);
    expect((await world!.t.call('GET', '/api/v1/schools?limit=1e2')).status).toBe(400);
    expect((await world!.t.call('GET', '/api/v1/schools?limit=2')).status).toBe(200);
    expect((await world!.t.call('GET', `/api/v1/buses?schoolId=0x${id.toString(16)}`)).status).toBe(400);
    expect((await world!.t.call('GET', `/api/v1/buses?schoolId=${id}`)).status).toBe(200);
    // The same in every query that takes an id or a count, not only the registry's.
    for (const path of [
      `/api/v1/violations?schoolId=1e0`,
      `/api/v1/violations/counts?busId=0x1`,
      `/api/v1/reports?schoolId=+${id}`,
      `/api/v1/reports?limit=1e1`,
      `/api/v1/compliance/expiries?schoolId=0${id}`,
      `/api/v1/compliance/expiries?withinDays=3e1`,
    ]) {
      expect((await world!.t.call('GET', path)).status, path).toBe(400);
    }
    expect((await world!.t.call('GET', `/api/v1/violations?schoolId=${id}&limit=5`)).status).toBe(200);
    expect((await world!.t.call('GET', `/api/v1/compliance/expiries?schoolId=${id}&withinDays=30`)).status).toBe(200);
  });

  it('a WebSocket subscribe with an id above 2^31 or otherwise unparsable always gets an error reply', async () => {
    const c = await connect(srv.wsUrl, { token: ADMIN_TOKEN });
    for (const topic of [
      'bus:2147483648',
      'bus:9999999999',
      'trip:012',
      'school:1e3:violations',
      'bus:0x10',
      'bus: 1',
    ]) {
      expect(await subscribe(c, topic), topic).toMatchObject({ type: 'error', status: 400, code: 'bad_topic' });
    }
    expect((await subscribe(c, `bus:${w.a.buses[0].id}`)).type).toBe('subscribed');
    await c.close();
  });
});

describe('CSV cells are never formulas', () => {
  it('prefixes text starting with =, +, -, @, tab or CR and quotes it; numbers stay numbers', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvCell('+1+2')).toBe(`"'+1+2"`);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('\t=1')).toBe(`"'\t=1"`);
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('Route 1, north')).toBe('"Route 1, north"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('a report over a school named like a formula renders it as text', async () => {
    const school = await world!.t.call('POST', '/api/v1/schools', {
      body: { name: '=cmd|"/c calc"!A1', lat: 31.3, lon: 121.3 },
    });
    expect(school.status).toBe(201);
    const made = await world!.t.call('POST', '/api/v1/reports', {
      body: { schoolId: school.body.id, period: '2026-08' },
    });
    expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
    const csv = await world!.t.app.request(`/api/v1/reports/${made.body.id}?format=csv`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await csv.text();
    expect(text).toContain(`"'=cmd|""/c calc""!A1"`);
    expect(text.split('\r\n').some((line) => line.split(',').some((cell) => /^[=+@]/.test(cell)))).toBe(false);
  });
});

describe('ruleOverrides bounded', () => {
  /** The JSON text of a school or route body whose ruleOverrides nest `depth` levels (built as text: too deep to stringify). */
  const nested = (depth: number) => '{"a":'.repeat(depth) + '{"limitKph":40}' + '}'.repeat(depth);
  it('deeply nested or huge ruleOverrides are a 400, not a 500; a normal one is accepted', async () => {
    for (const depth of [10, 5000]) {
      const r = await world!.t.call('POST', '/api/v1/schools', {
        body: `{"name":"Deep ${depth}","lat":31.2,"lon":121.2,"ruleOverrides":${nested(depth)}}`,
      });
      expect(r.status, `depth ${depth}`).toBe(400);
    }
    const huge = await world!.t.call('POST', '/api/v1/schools', {
      body: { name: 'Huge', lat: 31.2, lon: 121.2, ruleOverrides: { note: 'x'.repeat(20_000) } },
    });
    expect(huge.status).toBe(400);
    const route = await world!.t.call('PATCH', `/api/v1/routes/${w.a.routes[0].id}`, {
      body: `{"ruleOverrides":${nested(20)}}`,
    });
    expect(route.status).toBe(400);
    const fine = await world!.t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, {
      body: { ruleOverrides: { overspeed: { limitKph: 50 } } },
    });
    expect(fine.status).toBe(200);
  });
});

describe('alarms and second devices are stored as sent', () => {
  it('an alarm name with a comma is stored whole', async () => {
    const writer = new PositionWriter(world!.t.database, new Metrics());
    await writer.write([
      {
        busId: 1,
        deviceId: 777,
        timeMs: T0,
        receivedMs: T0,
        lat: 31.2,
        lon: 121.4,
        alarms: ['door,front', 'sos', 'a "quoted" one'],
        late: false,
        blindArea: false,
        attributes: null,
      },
    ]);
    const [row] = await world!.t.database.query<{ alarms: string[] }>(
      'select alarms from positions where device_id = 777',
    );
    expect(row!.alarms).toEqual(['door,front', 'sos', 'a "quoted" one']);
    await writer.close();
  });

  it('a second device of the same bus at the same instant is stored (answered as a late fix), a resend is a duplicate', async () => {
    const busId = w.a.buses[0].id;
    const second = await world!.t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, busId, protocol: 'osmand', identifier: 'second-tracker' },
    });
    expect(second.status).toBe(201);
    const a = (await world!.api.ingest.directory.byId(w.a.devices[0].id))!;
    const b = (await world!.api.ingest.directory.byId(second.body.id))!;
    const at = T0 - 50_000;
    const fix = (deviceId: string, lon: number) => ({
      deviceId,
      protocol: 'json' as const,
      timeMs: at,
      lat: 31.2,
      lon,
      valid: true,
      alarms: [],
      attributes: {},
    });
    expect((await world!.api.ingest.submitFixes(a, [fix(a.identifier, 121.4)], T0)).outcomes).toEqual([
      { status: 'accepted', late: false },
    ]);
    expect((await world!.api.ingest.submitFixes(b, [fix(b.identifier, 121.40002)], T0)).outcomes).toEqual([
      { status: 'accepted', late: true },
    ]);
    expect((await world!.api.ingest.submitFixes(b, [fix(b.identifier, 121.40002)], T0)).outcomes).toEqual([
      { status: 'duplicate' },
    ]);
    const rows = await world!.t.database.query<{ device_id: number }>(
      'select device_id from positions where bus_id = $1 and time = $2::timestamptz order by device_id',
      [busId, new Date(at).toISOString()],
    );
    expect(rows.map((r) => Number(r.device_id))).toEqual([a.deviceId, b.deviceId].sort((x, y) => x - y));
  });
});
