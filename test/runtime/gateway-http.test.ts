// The JT/T 808 gateway's HTTP listener (src/runtime/gateway/http.ts) against a local WebSocket server standing in for
// the Worker's /api/v1/gateway: /healthz follows the link (503 while it is down, 200 again once it reconnects),
// /metrics needs its token, anything else is 404 / 405 in the error envelope.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../../src/logging';
import { type DeviceInfo, StorageUnavailableError } from '../../src/pipeline/types';
import { type GatewayHttp, startGatewayHttp } from '../../src/runtime/gateway/http';
import { WorkerIngest } from '../../src/runtime/gateway/worker-ingest';
import { registerJt808Metrics, startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import { GATEWAY_PATH } from '../../src/runtime/worker/gateway-protocol';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const LINK_TOKEN = 'link-token-for-tests';
const device: DeviceInfo = {
  deviceId: 1,
  busId: 1,
  schoolId: 1,
  protocol: 'jt808',
  identifier: '13900000009',
  tzOffsetMin: 480,
  secretHash: null,
};

// The stand-in Worker: accepts the link while `accepting` (else refuses the upgrade with 401, as the Worker does a
// wrong token); answers lookupDevice at once and holds submitEvents unanswered (a call in flight).
let accepting = true;
let refusals = 0;
const held: number[] = [];
let fakeWorker: WebSocketServer;
let ingest: WorkerIngest;
let jt808: Jt808Server;
let gw: GatewayHttp;
let base = '';

beforeAll(async () => {
  fakeWorker = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    path: GATEWAY_PATH,
    verifyClient: (info, done) => {
      const ok = accepting && info.req.headers.authorization === `Bearer ${LINK_TOKEN}`;
      if (!ok) refusals++;
      done(ok, 401);
    },
  });
  await new Promise((r) => fakeWorker.once('listening', r));
  fakeWorker.on('connection', (ws: WebSocket) =>
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as { id: number; op: string };
      if (req.op === 'submitEvents') held.push(req.id);
      else ws.send(JSON.stringify({ id: req.id, ok: true, result: null }));
    }),
  );
  const { port } = fakeWorker.address() as net.AddressInfo;
  ingest = new WorkerIngest({
    workerUrl: `http://127.0.0.1:${port}`,
    token: LINK_TOKEN,
    log: silentLogger,
    reconnectMs: 100,
  });
  jt808 = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
  registerJt808Metrics(ingest.metrics, jt808);
  gw = await startGatewayHttp({
    port: 0,
    host: '127.0.0.1',
    ingest,
    jt808,
    metricsToken: METRICS_TOKEN,
    log: silentLogger,
  });
  base = `http://127.0.0.1:${gw.port}`;
  await ingest.ready();
});

afterAll(async () => {
  await gw?.close();
  await jt808?.close();
  await ingest?.close();
  for (const c of fakeWorker?.clients ?? []) c.terminate();
  await new Promise((r) => fakeWorker?.close(r));
});

const healthz = async () => {
  const res = await fetch(`${base}/healthz`);
  return { status: res.status, body: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
};
const metrics = async () =>
  (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();

describe('gateway /healthz', () => {
  it('is 503 while the link to the Worker is down and 200 again once it reconnects', async () => {
    expect(await healthz()).toMatchObject({
      status: 200,
      body: { status: 'ok', workerLink: 'up', callsInFlight: 0, terminalConnections: 0, workerLinkDrops: 0 },
      retryAfter: null,
    });
    expect(await metrics()).toMatch(/^busguard_gateway_worker_link_up 1$/m);

    // A terminal connected and a call the Worker has not answered yet: both counted.
    const terminal = net.connect(jt808.port, '127.0.0.1');
    await new Promise((r) => terminal.once('connect', r));
    const call = ingest.submitEvents(device, [], Date.now());
    const settled = call.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await expect.poll(async () => (await healthz()).body).toMatchObject({ callsInFlight: 1, terminalConnections: 1 });
    expect(held).toHaveLength(1);
    expect(await metrics()).toMatch(/^busguard_gateway_calls_in_flight 1$/m);

    // The Worker drops the link and refuses it back: the call in flight fails (the terminal would get result 1),
    // and the load balancer sees 503 for as long as the link stays down.
    accepting = false;
    for (const c of fakeWorker.clients) c.terminate();
    expect(await settled).toBeInstanceOf(StorageUnavailableError);
    await expect.poll(async () => (await healthz()).status).toBe(503);
    const down = await healthz();
    expect(down).toMatchObject({
      status: 503,
      body: { status: 'unavailable', workerLink: 'down', callsInFlight: 0, terminalConnections: 1, workerLinkDrops: 1 },
      retryAfter: '1',
    });
    expect(Object.keys(down.body).sort()).toEqual(
      [
        'callsInFlight',
        'status',
        'terminalConnections',
        'uptimeS',
        'workerLink',
        'workerLinkDrops',
        'workerLinkSince',
      ].sort(),
    );
    // Reconnection attempts are made and refused; it stays 503 meanwhile.
    const refusedBefore = refusals;
    await expect.poll(() => refusals).toBeGreaterThanOrEqual(refusedBefore + 2);
    expect((await healthz()).status).toBe(503);
    const text = await metrics();
    expect(text).toMatch(/^busguard_gateway_worker_link_up 0$/m);
    expect(text).toMatch(/^busguard_gateway_worker_link_drops_total 1$/m);
    expect(text).toMatch(/^busguard_gateway_calls_total\{op="submitEvents",result="link_down"\} 1$/m);
    expect(text).toMatch(/^busguard_gateway_calls_in_flight 0$/m);

    // The Worker takes the link again: 200, and calls go through.
    accepting = true;
    await expect.poll(async () => (await healthz()).status).toBe(200);
    expect((await healthz()).body).toMatchObject({ status: 'ok', workerLink: 'up', workerLinkDrops: 1 });
    expect(await ingest.lookupDevice('jt808', '13900000010')).toBeUndefined();
    expect(await metrics()).toMatch(/^busguard_gateway_calls_total\{op="lookupDevice",result="ok"\} 1$/m);
    terminal.destroy();
  });
});

describe('gateway /metrics and the rest', () => {
  it('/metrics needs the bearer token; with it, the link and JT/T 808 families in Prometheus text', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token',
      `Basic ${METRICS_TOKEN}`,
      `Bearer ${METRICS_TOKEN}x`,
    ]) {
      const res = await fetch(`${base}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as any).error).toMatchObject({ code: 'unauthorized', requestId: expect.any(String) });
    }
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE busguard_jt808_frames_in_total counter$/m);
    expect(text).toMatch(/^busguard_jt808_connections_open \d+$/m);
    expect(text).toMatch(/^# TYPE busguard_gateway_worker_link_up gauge$/m);
    expect(text).toMatch(/^# TYPE busguard_gateway_calls_in_flight gauge$/m);
  });

  it('other paths are 404, other methods 405, HEAD answers without a body', async () => {
    const missing = await fetch(`${base}/api/v1/buses`, { headers: { 'x-request-id': 'req-404' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: expect.any(String), requestId: 'req-404' },
    });
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/healthz`, { method, body: method === 'DELETE' ? undefined : '{}' });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(((await res.json()) as any).error.code).toBe('method_not_allowed');
    }
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/metrics`, { method: 'HEAD' })).status).toBe(401);
    expect((await fetch(`${base}/healthz?probe=lb`)).status).toBe(200);
  });
});
