// The stateless JT/T 808 gateway (`npm run gateway`) in front of the Worker: a terminal registers, authenticates
// and reports over TCP to the gateway; the gateway forwards over its one WebSocket to the Worker, which hands the
// fixes to the bus's object; the terminal's 0x8001 result 0 arrives only after the row is in PostgreSQL. The gateway's
// HTTP listener (GATEWAY_HTTP_PORT) answers the load balancer's /healthz and the operator's /metrics.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jt808TerminalClient, type TerminalPosition } from '../../src/demo/jt808-terminal';
import { silentLogger } from '../../src/logging';
import { WorkerIngest } from '../../src/runtime/gateway/worker-ingest';
import { startJt808Server } from '../../src/runtime/node/jt808-server';
import { createTestApp, type TestApp } from '../helpers/app';
import { createRegistry, type Registry } from '../runtime/jt808-helpers';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';

const TOKEN = 'gateway-token-for-tests-0123456789';
const METRICS_TOKEN = 'gateway-metrics-token-for-tests-0123';
const root = resolve(import.meta.dirname, '../..');
let t: TestApp;
let registry: Registry;
let worker: WranglerDev;
let gateway: ChildProcess | undefined;
let gatewayPort = 0;
let httpBase = '';
const clients: Jt808TerminalClient[] = [];
const T0 = Math.floor((Date.now() - 600_000) / 1000) * 1000;
const drive = (i: number): TerminalPosition => ({
  timeMs: T0 + i * 1000,
  lat: 31.2,
  lon: 121.4 + i * 0.0001045,
  speedKph: 36,
  headingDeg: 90,
});

beforeAll(async () => {
  t = await createTestApp(Date.now());
  registry = await createRegistry(t);
  worker = await startWranglerDev({ databaseUrl: t.database.url!, vars: { GATEWAY_TOKEN: TOKEN } });
  // `npm run gateway`, as deployed: its own process, configured from the environment.
  gateway = spawn(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'src/runtime/gateway/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      WORKER_URL: worker.url,
      GATEWAY_TOKEN: TOKEN,
      JT808_PORT: '0',
      GATEWAY_HTTP_PORT: '0',
      METRICS_TOKEN,
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  [gatewayPort, httpBase] = await new Promise<[number, string]>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`gateway did not start:\n${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /"jt808Port":(\d+),"httpPort":(\d+)/.exec(out);
      if (m && /gateway linked/.test(out)) {
        clearTimeout(timer);
        ok([Number(m[1]), `http://127.0.0.1:${m[2]}`]);
      }
    };
    gateway!.stdout!.on('data', onData);
    gateway!.stderr!.on('data', onData);
    gateway!.once('exit', (code) => fail(new Error(`gateway exited (${code}):\n${out}`)));
  });
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((r) => gateway!.once('exit', r));
    gateway.kill('SIGTERM');
    await exited;
  }
  await worker?.dispose();
  await t?.close();
});

const storedTimes = async (deviceId: number) =>
  (
    await t.database.query<{ ms: number }>(
      'select (extract(epoch from time) * 1000)::float8 as ms from positions where device_id = $1 order by time',
      [deviceId],
    )
  ).map((r) => r.ms);

/** The value of one sample of a Prometheus text (`name` or `name{labels}` exactly as rendered), or undefined. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const metrics = async () => {
  const res = await fetch(`${httpBase}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
};

describe('JT/T 808 gateway → Worker → bus object → PostgreSQL', () => {
  it('register → auth code stored hashed → auth → each position acknowledged only once stored', async () => {
    const dev = await registry.addTerminal('13900000001', undefined);
    const c = await Jt808TerminalClient.connect(gatewayPort, '13900000001');
    clients.push(c);
    const reg = await c.register({ plate: dev.plate! });
    expect(reg).toMatchObject({ msgId: 0x8100, result: 0 });
    const [row] = await t.database.query<{ secret_hash: string }>('select secret_hash from devices where id = $1', [
      dev.deviceId,
    ]);
    expect(row!.secret_hash).toBe(createHash('sha256').update(reg.authCode!).digest('hex'));
    expect((await c.authenticate('WRONG-CODE')).result).toBe(1);
    expect((await c.authenticate(reg.authCode!)).result).toBe(0);
    for (let i = 0; i < 5; i++) {
      expect((await c.position(drive(i))).result).toBe(0);
      expect(await storedTimes(dev.deviceId)).toHaveLength(i + 1);
    }
    expect(await storedTimes(dev.deviceId)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
    expect((await c.heartbeat()).result).toBe(0);
  });

  it('a gateway the Worker refuses (wrong token) acknowledges nothing: the terminal keeps its data', async () => {
    const dev = await registry.addTerminal('13900000002', 'known-code');
    const ingest = new WorkerIngest({ workerUrl: worker.url, token: 'wrong-token', log: silentLogger });
    const server = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
    try {
      const c = await Jt808TerminalClient.connect(server.port, '13900000002');
      clients.push(c);
      expect((await c.authenticate('known-code')).result).not.toBe(0);
      expect((await c.position(drive(0))).result).not.toBe(0);
      expect(await storedTimes(dev.deviceId)).toEqual([]);
    } finally {
      await server.close();
      await ingest.close();
    }
  });

  it('/healthz is 200 with the Worker link up, and counts the open terminal connections', async () => {
    const healthz = async () => {
      const res = await fetch(`${httpBase}/healthz`);
      return { status: res.status, body: (await res.json()) as any };
    };
    const before = await healthz();
    expect(before).toMatchObject({
      status: 200,
      body: { status: 'ok', workerLink: 'up', callsInFlight: 0, workerLinkDrops: 0 },
    });
    const c = await Jt808TerminalClient.connect(gatewayPort, '13900000004');
    clients.push(c);
    await expect.poll(async () => (await healthz()).body.terminalConnections).toBe(before.body.terminalConnections + 1);
  });

  it('/metrics needs METRICS_TOKEN; its JT/T 808 and link counters move as a terminal reports', async () => {
    expect((await fetch(`${httpBase}/metrics`)).status).toBe(401);
    expect((await fetch(`${httpBase}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(
      401,
    );
    const before = await metrics();
    expect(sample(before, 'busguard_gateway_worker_link_up')).toBe(1);
    const dev = await registry.addTerminal('13900000003', 'metrics-code');
    const c = await Jt808TerminalClient.connect(gatewayPort, '13900000003');
    clients.push(c);
    expect((await c.authenticate('metrics-code')).result).toBe(0);
    for (let i = 0; i < 3; i++) expect((await c.position(drive(i))).result).toBe(0);
    expect(await storedTimes(dev.deviceId)).toHaveLength(3);
    const after = await metrics();
    const moved = (series: string) => (sample(after, series) ?? NaN) - (sample(before, series) ?? 0);
    expect(moved('busguard_jt808_connections_accepted_total')).toBe(1);
    expect(moved('busguard_jt808_frames_in_total')).toBe(4); // 0x0102 and three 0x0200
    expect(moved('busguard_jt808_fixes_acked_total')).toBe(3);
    expect(moved('busguard_jt808_fixes_refused_storage_total')).toBe(0);
    expect(moved('busguard_gateway_calls_total{op="submitFixes",result="ok"}')).toBe(3);
    expect(sample(after, 'busguard_gateway_calls_in_flight')).toBe(0);
    expect(sample(after, 'busguard_jt808_connections_open')).toBeGreaterThanOrEqual(2);
    expect(after).toMatch(/^busguard_gateway_call_duration_ms_count\{op="submitFixes"\} \d+$/m);
  });

  it('SIGTERM closes the HTTP listener with the rest and exits 0', async () => {
    const exited = new Promise<number | null>((r) => gateway!.once('exit', (code) => r(code)));
    gateway!.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${httpBase}/healthz`)).rejects.toThrow();
  });
});
