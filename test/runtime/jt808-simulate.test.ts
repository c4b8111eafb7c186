// The fleet simulator against the real servers on loopback: the demo district, the HTTP app with the ingest,
// the OsmAnd port and the JT/T 808 server, on a real database. Every protocol's positions land in `positions`.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import { startOsmandServer } from '../../src/runtime/node/osmand-server';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { seedDemo } from '../../src/demo/seed';
import { parseArgs, simulate } from '../../src/demo/simulate';
import { BusMotion, RoutePath } from '../../src/demo/route-motion';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

const ADMIN = 'sim-test-admin-token-0123456789';
let database: TestDatabase;
let ingest: PipelineIngest;
let http: ServerType;
let osmand: ServerType;
let jt808: Jt808Server;
let demoDeviceToken: string;
let jsonIdentifier: string;
let osmandSecrets: Map<string, string>;

const portOf = (s: ServerType) => (s.address() as AddressInfo).port;
const listening = (s: ServerType) => new Promise<void>((r) => (s.listening ? r() : s.once('listening', () => r())));

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureAdmin(database.db, ADMIN);
  const demo = await seedDemo(database, { now: Date.now() });
  demoDeviceToken = demo.tokens.find((t) => t.role === 'device')!.token;
  jsonIdentifier = demo.devices.find((d) => d.protocol === 'json')!.identifier;
  osmandSecrets = new Map(demo.devices.filter((d) => d.protocol === 'osmand').map((d) => [d.identifier, d.secret]));
  ingest = createIngest({ database, log: silentLogger, writer: { maxDelayMs: 2 } });
  const deps = { database, log: silentLogger, now: Date.now, ingest };
  http = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' });
  osmand = startOsmandServer(deps, { port: 0, host: '127.0.0.1' });
  await Promise.all([listening(http), listening(osmand)]);
  jt808 = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
}, 120_000);

afterAll(async () => {
  await jt808?.close();
  http?.close();
  osmand?.close();
  await ingest?.close();
  await database?.close();
});

const countByProtocol = async () =>
  Object.fromEntries(
    (
      await database.query<{ protocol: string; n: number }>(
        'select d.protocol, count(*)::int as n from positions p join devices d on d.id = p.device_id group by d.protocol',
      )
    ).map((r) => [r.protocol, Number(r.n)]),
  );

describe('bus motion', () => {
  // A straight 6 km road north from 31.2°N with stops every 2 km.
  const path = Array.from({ length: 7 }, (_, i) => ({ lon: 121.4, lat: 31.2 + (i * 1000) / 111_195 }));
  const stops = [0, 2, 4, 6].map((k) => ({ lon: 121.4, lat: 31.2 + (k * 1000) / 111_195 }));
  const run = (opts: { overspeedKph?: number; detourM?: number }) => {
    const m = new BusMotion(new RoutePath(path), stops, { seed: 7, ...opts });
    const samples = [];
    for (let s = 0; s < 3600 && !m.done; s++) {
      m.step();
      samples.push(m.sample());
    }
    return { m, samples };
  };

  it('dwells, accelerates, cruises at 30–50 km/h and stops at every stop', () => {
    const { m, samples } = run({});
    expect(m.done).toBe(true);
    expect(Math.max(...samples.map((s) => s.speedKph))).toBeLessThanOrEqual(50);
    expect(Math.max(...samples.map((s) => s.speedKph))).toBeGreaterThanOrEqual(30);
    // Speed changes by at most ~1.7 m/s per second (a firm stop at the kerb).
    for (let i = 1; i < samples.length; i++)
      expect(Math.abs(samples[i]!.speedKph - samples[i - 1]!.speedKph)).toBeLessThanOrEqual(6.1);
    const dwellStarts = samples.filter((s, i) => s.atStop && i > 0 && !samples[i - 1]!.atStop);
    expect(dwellStarts).toHaveLength(2); // the two intermediate stops
    expect(samples.at(-1)!.distanceM).toBeCloseTo(6000, -1);
    expect(samples.every((s) => s.headingDeg === 0)).toBe(true);
  });

  it('--overspeed drives the middle third at 75 km/h; --detour leaves the road by up to 400 m', () => {
    const fast = run({ overspeedKph: 75 }).samples;
    const middle = fast.filter((s) => s.distanceM > 2200 && s.distanceM < 3800);
    expect(Math.max(...middle.map((s) => s.speedKph))).toBeCloseTo(75, 0);
    expect(Math.max(...fast.filter((s) => s.distanceM < 1900).map((s) => s.speedKph))).toBeLessThanOrEqual(50);
    const detour = run({ detourM: 400 }).samples;
    const offM = detour.map((s) => Math.abs(s.lon - 121.4) * 111_195 * Math.cos((31.2 * Math.PI) / 180));
    expect(Math.max(...offM)).toBeGreaterThan(380);
    expect(Math.max(...offM)).toBeLessThan(420);
    expect(offM[offM.length - 1]).toBeLessThan(1);
  });
});

describe('fleet simulator', () => {
  it('refuses non-loopback targets', () => {
    expect(() => parseArgs(['--token', 'x', '--api', 'http://10.0.0.1:3000'], {})).toThrow(/loopback/);
    expect(() => parseArgs(['--token', 'x', '--jt808', '192.168.1.2:6808'], {})).toThrow(/loopback/);
  });

  it('drives the demo buses in all three protocols, with blind-area back-fill and an expired driver card', async () => {
    const o = parseArgs(
      [
        '--api',
        `http://127.0.0.1:${portOf(http)}`,
        '--token',
        ADMIN,
        '--jt808',
        `127.0.0.1:${jt808.port}`,
        '--osmand',
        `http://127.0.0.1:${portOf(osmand)}/`,
        '--speedup',
        '120',
        '--duration',
        '4',
        '--interval',
        '5',
        '--blind-area',
        '--expired-driver-card',
      ],
      {},
    );
    const logs: { msg: string; [k: string]: unknown }[] = [];
    o.log = (msg, fields) => logs.push({ msg, ...fields });
    o.deviceTokens = new Map([[jsonIdentifier, demoDeviceToken]]);
    o.deviceSecrets = osmandSecrets;
    const summary = await simulate(o);
    expect(summary.buses.map((b) => b.protocol).sort()).toEqual(['json', 'jt808', 'osmand']);
    for (const b of summary.buses) {
      expect(b.stats.errors, JSON.stringify(b)).toBe(0);
      expect(b.stats.acked, JSON.stringify(b)).toBeGreaterThan(50);
      expect(b.stats.backfilled, JSON.stringify(b)).toBeGreaterThan(5);
      expect(b.distanceM).toBeGreaterThan(500);
    }
    const counts = await countByProtocol();
    for (const p of ['jt808', 'osmand', 'json']) expect(counts[p], p).toBeGreaterThan(50);
    // Blind-area fixes from the terminal are stored as such.
    const [blind] = await database.query<{ n: number }>('select count(*)::int as n from positions where blind_area');
    expect(Number(blind!.n)).toBeGreaterThan(5);
    // The driver card reached the device events with its expired certificate.
    const cards = await database.query<{ payload: any }>("select payload from device_events where type = 'driverCard'");
    expect(cards.length).toBeGreaterThan(0);
    expect(String(cards[0]!.payload.certificateExpiry) < new Date().toISOString().slice(0, 10)).toBe(true);
    expect(logs.some((l) => l.msg === 'back in coverage: back-filling')).toBe(true);
  }, 30_000);
});
