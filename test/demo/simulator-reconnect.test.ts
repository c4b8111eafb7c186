// The fleet simulator tells the truth about a lost JT/T 808 connection: it reconnects (authenticating with the
// code it was issued) and its summary counts every fix that was not acknowledged. Between the simulator and the
// server sits a TCP relay that cuts the connection and refuses new ones for a while.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/seed';
import { parseArgs, simulate } from '../../src/demo/simulate';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

const ADMIN = 'sim-reconnect-admin-token-0123456789';
let database: TestDatabase;
let ingest: PipelineIngest;
let http: ServerType;
let jt808: Jt808Server;
let relay: net.Server;
const open = new Set<net.Socket>();
let refusing = false;

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureAdmin(database.db, ADMIN);
  await seedDemo(database, { now: Date.now() });
  ingest = createIngest({ database, log: silentLogger, writer: { maxDelayMs: 2 } });
  http = serve({
    fetch: createApp({ database, log: silentLogger, now: Date.now, ingest }).fetch,
    port: 0,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((r) => (http.listening ? r() : http.once('listening', () => r())));
  jt808 = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
  relay = net.createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = net.connect(jt808.port, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
}, 120_000);

afterAll(async () => {
  relay?.close();
  for (const s of open) s.destroy();
  await jt808?.close();
  http?.close();
  await ingest?.close();
  await database?.close();
});

describe('simulator and a dropped JT/T 808 connection', () => {
  it('reconnects and counts what was not acknowledged', async () => {
    const o = parseArgs(
      [
        '--api',
        `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
        '--token',
        ADMIN,
        '--jt808',
        `127.0.0.1:${(relay.address() as AddressInfo).port}`,
        '--protocol',
        'jt808',
        '--speedup',
        '60',
        '--duration',
        '6',
        '--interval',
        '5',
      ],
      {},
    );
    const logs: string[] = [];
    // Once the bus is driving, the server side goes away for 1.5 s: the connection is cut and reconnecting is refused.
    let outage: Promise<void> = Promise.resolve();
    o.log = (msg) => {
      logs.push(msg);
      if (msg === 'simulation started')
        outage = (async () => {
          await new Promise((r) => setTimeout(r, 1500));
          refusing = true;
          for (const s of open) s.destroy();
          await new Promise((r) => setTimeout(r, 1500));
          refusing = false;
        })();
    };
    const summary = await simulate(o);
    await outage;
    const [bus] = summary.buses;
    expect(bus!.protocol).toBe('jt808');
    const st = summary.total;
    expect(st.reconnects, JSON.stringify(st)).toBeGreaterThanOrEqual(1);
    expect(logs).toContain('jt808 terminal reconnected');
    expect(st.unacked, JSON.stringify(st)).toBeGreaterThan(0);
    expect(st.errors).toBeGreaterThan(0);
    // Every fix is either acknowledged or counted as not: nothing vanishes from the summary.
    expect(st.acked + st.unacked, JSON.stringify(st)).toBe(st.sent);
    // Reports went on after the outage, and what was acknowledged is stored.
    const [row] = await database.query<{ n: number }>(
      "select count(*)::int as n from positions p join devices d on d.id = p.device_id where d.protocol = 'jt808'",
    );
    expect(Number(row!.n)).toBeGreaterThanOrEqual(st.acked); // a fix stored just before the cut is unacknowledged, yet kept
    expect(Number(row!.n)).toBeLessThanOrEqual(st.sent);
    expect(st.acked).toBeGreaterThan(st.unacked);
  }, 60_000);
});
