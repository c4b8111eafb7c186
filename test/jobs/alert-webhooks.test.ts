// Outbound alerts: a webhook receiver on a real socket gets every critical alert (SOS, child left on board,
// over-capacity, unlicensed bus) signed, and — de-duplicated by id — exactly once, although the dispatcher is
// restarted while a delivery is in flight (that alert arrives twice with the same id) and an endpoint error is
// retried. Nothing else is sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERT_ID_HEADER,
  retryDelayMs,
  SIGNATURE_HEADER,
  signAlert,
  startAlertDispatcher,
  TIMESTAMP_HEADER,
  verifyAlertSignature,
} from '../../src/jobs/alert-webhooks';
import { silentLogger } from '../../src/logging';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertViolations } from '../helpers/violations';
import { buildWorld, type World } from '../helpers/world';

const SECRET = 'district-bureau-secret-0123';
let t: TestApp;
let w: World;
let receiver: Server;
let url: string;
const received: { id: string; body: string; verified: boolean }[] = [];
let behaviour: (n: number, id: string, res: ServerResponse) => boolean = () => false;

beforeAll(async () => {
  t = await createTestApp(Date.now());
  w = await buildWorld(t);
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers[ALERT_ID_HEADER]);
      const verified = await verifyAlertSignature(
        SECRET,
        { signature: req.headers[SIGNATURE_HEADER] as string, timestamp: req.headers[TIMESTAMP_HEADER] as string },
        body,
        Date.now(),
      );
      received.push({ id, body, verified });
      if (behaviour(received.length, id, res)) return; // held or answered by the test
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
}, 300_000);
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await t?.close();
});

describe('signatures', () => {
  it('verifies HMAC-SHA256 over timestamp and body, and refuses tampering and replays', async () => {
    const body = '{"id":"x"}';
    const ts = Math.floor(Date.now() / 1000);
    const signature = await signAlert(SECRET, ts, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await verifyAlertSignature(SECRET, { signature, timestamp: String(ts) }, body, Date.now())).toBe(true);
    expect(await verifyAlertSignature(SECRET, { signature, timestamp: String(ts) }, '{"id":"y"}', Date.now())).toBe(
      false,
    );
    expect(
      await verifyAlertSignature('another-secret-000000', { signature, timestamp: String(ts) }, body, Date.now()),
    ).toBe(false);
    expect(await verifyAlertSignature(SECRET, { signature, timestamp: String(ts) }, body, Date.now() + 301_000)).toBe(
      false,
    );
    expect(retryDelayMs(1)).toBe(5000);
    expect(retryDelayMs(3)).toBe(20_000);
    expect(retryDelayMs(50)).toBe(3_600_000);
  });
});

describe('the alert outbox', () => {
  it('delivers each critical alert exactly once by id across a restart mid-delivery', async () => {
    const a = w.a;
    const ids = await insertViolations(t.database, [
      {
        episodeKey: 'sos-1',
        kind: 'emergency',
        severity: 'critical',
        schoolId: a.schoolId,
        busId: a.buses[0].id,
        startedAt: new Date().toISOString(),
        startLat: 31.2,
        startLon: 121.4,
      },
      {
        episodeKey: 'left-1',
        kind: 'childLeftOnBoard',
        severity: 'critical',
        schoolId: a.schoolId,
        busId: a.buses[1].id,
        startedAt: new Date().toISOString(),
      },
      {
        episodeKey: 'cap-1',
        kind: 'overCapacity',
        severity: 'critical',
        schoolId: w.b.schoolId,
        busId: w.b.buses[0].id,
        startedAt: new Date().toISOString(),
      },
      {
        episodeKey: 'black-1',
        kind: 'hazardReport',
        severity: 'critical',
        schoolId: a.schoolId,
        startedAt: new Date().toISOString(),
        evidence: { possibleUnlicensedBus: true, plate: '沪Z99999' },
      },
      {
        episodeKey: 'speed-1',
        kind: 'overspeed',
        severity: 'critical',
        schoolId: a.schoolId,
        busId: a.buses[0].id,
        startedAt: new Date().toISOString(),
      },
    ]);
    const expected = ['sos-1', 'left-1', 'cap-1', 'black-1'].map((k) => `busguard-alert-${ids.get(k)}`);

    // The 2nd request is held (never answered): the "server" restarts while it is in flight. The first attempt of
    // the over-capacity alert answers 503 and is retried.
    let held: ServerResponse | undefined;
    let failedOnce = false;
    behaviour = (n, id, res) => {
      if (n === 2) {
        held = res;
        return true;
      }
      if (id === expected[2] && !failedOnce) {
        failedOnce = true;
        res.writeHead(503).end();
        return true;
      }
      return false;
    };
    const options = {
      database: t.database,
      log: silentLogger,
      endpoints: [{ name: 'bureau', url, secret: SECRET }],
      now: () => Date.now(),
      intervalMs: 50,
      leaseMs: 1500,
    };
    const first = startAlertDispatcher(options);
    await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    expect(held).toBeDefined();
    await first.stop(); // the attempt in flight is abandoned: never marked delivered
    const heldId = received[1]!.id;

    const second = startAlertDispatcher(options);
    try {
      await expect
        .poll(async () => (await t.database.query(`select 1 from alert_outbox where delivered_at is null`)).length, {
          timeout: 40_000,
        })
        .toBe(0);
    } finally {
      await second.stop();
    }

    // At least once: the held alert came again with the same id; de-duplicated by id, each exactly once.
    expect(received.filter((r) => r.id === heldId).length).toBeGreaterThanOrEqual(2);
    expect(received.filter((r) => r.id === expected[2]).length).toBeGreaterThanOrEqual(2);
    expect([...new Set(received.map((r) => r.id))].sort()).toEqual([...expected].sort());
    expect(received.every((r) => r.verified)).toBe(true);
    // Every attempt of an alert carries the same body.
    for (const id of expected) expect(new Set(received.filter((r) => r.id === id).map((r) => r.body)).size).toBe(1);
    const bodies = new Map(received.map((r) => [r.id, JSON.parse(r.body)]));
    expect(bodies.get(expected[0]!)).toMatchObject({
      type: 'emergency',
      severity: 'critical',
      bus: { plate: 'A-BUS-1' },
      position: { lat: 31.2, lon: 121.4 },
    });
    expect(bodies.get(expected[3]!)).toMatchObject({ type: 'unlicensedBus', kind: 'hazardReport', plate: '沪Z99999' });
    const rows = await t.database.query<{ attempts: number; alert_id: string }>(
      'select attempts, alert_id from alert_outbox',
    );
    expect(rows).toHaveLength(4);
    held?.destroy();
  }, 120_000);
});
