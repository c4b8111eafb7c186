// Outbound alerts through the real server process (`src/runtime/node/main.ts` with ALERT_WEBHOOKS): a webhook
// receiver on a real socket gets every critical alert, signed, and — de-duplicated by id — exactly once, although
// the server is stopped (SIGTERM) and started again on the same database while a delivery is in flight. An alert
// delivered before the restart is not sent again; the one in flight comes again with the same id and body right
// after the restart (the stopping server hands its lease back instead of leaving it to run out, 60 s); the one not
// yet sent goes out after the restart too.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERT_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyAlertSignature,
} from '../../src/jobs/alert-webhooks';
import { readyBaseUrl, stopChild } from '../helpers/child-process';
import { createTestDatabase, type TestDatabase, testDbKind } from '../helpers/db';

const SECRET = 'district-bureau-secret-restart-01';
const ADMIN = 'alert-restart-admin-token-0123456789';
/** the running server's base URL: the port is the one it chose (PORT=0), new at each start */
let base = '';

interface Received {
  id: string;
  body: string;
  verified: boolean;
  answered: number | null;
}
const received: Received[] = [];
let hold: (r: Received) => boolean = () => false;
const held: ServerResponse[] = [];

let receiver: Server;
let hookUrl: string;
let dataDir: string;
let database: TestDatabase | undefined;
let child: ChildProcess | undefined;
let output = '';

async function startServer(): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      OSMAND_PORT: '0',
      JT808_PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url ?? '',
      DEMO: '0',
      SIMULATE: '0',
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'info', // its "listening" line names the port
      ALERT_WEBHOOKS: JSON.stringify([{ name: 'bureau', url: hookUrl, secret: SECRET }]),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  c.stdout!.on('data', (d) => (output += d));
  c.stderr!.on('data', (d) => (output += d));
  const from = output.length; // the listening line of this start, not of the one before
  base = await readyBaseUrl(c, () => output.slice(from), 100_000); // builds the pages at start: slow on a loaded machine
  return c;
}

/** A public report about a plate no school owns: a critical "possible unlicensed school bus" case. */
async function reportUnknownPlate(plate: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/hazard-reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      category: 'unlicensedBus',
      plate,
      place: '校门口',
      occurredAt: new Date(Date.now() - 60_000).toISOString(),
      description: '一辆没有校车标志的面包车接送学生',
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const { receipt } = (await res.json()) as { receipt: string };
  const list = (await (
    await fetch(`${base}/api/v1/violations?kind=hazardReport`, { headers: { authorization: `Bearer ${ADMIN}` } })
  ).json()) as { items: { id: number; severity: string; evidence: { receipt: string } }[] };
  const v = list.items.find((x) => x.evidence.receipt === receipt)!;
  expect(v.severity).toBe('critical');
  return v.id;
}

beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        id: String(req.headers[ALERT_ID_HEADER]),
        body,
        verified: await verifyAlertSignature(
          SECRET,
          { signature: req.headers[SIGNATURE_HEADER] as string, timestamp: req.headers[TIMESTAMP_HEADER] as string },
          body,
          Date.now(),
        ),
        answered: null,
      };
      received.push(r);
      if (hold(r)) return void held.push(res); // never answered: the server goes down meanwhile
      r.answered = 204;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
  dataDir = mkdtempSync(join(tmpdir(), 'busguard-alerts-'));
  if (testDbKind === 'postgres') database = await createTestDatabase();
  child = await startServer();
}, 180_000);

afterAll(async () => {
  await stopChild(child);
  for (const res of held) res.destroy();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
}, 60_000);

describe('the server’s alert webhooks across a restart', () => {
  it('delivers each critical alert exactly once by id, although the server restarts mid-delivery', async () => {
    // 1. Delivered before the restart.
    const first = `busguard-alert-${await reportUnknownPlate('沪Z·10001')}`;
    await expect.poll(() => received.filter((r) => r.id === first && r.answered === 204).length).toBe(1);

    // 2. Two more; the first request of them is held, and the server is stopped while it is in flight.
    hold = (r) => r.id !== first && !held.length;
    const second = `busguard-alert-${await reportUnknownPlate('沪Z·10002')}`;
    const third = `busguard-alert-${await reportUnknownPlate('沪Z·10003')}`;
    await expect.poll(() => held.length, { timeout: 30_000 }).toBe(1);
    const inFlight = received.find((r) => r.answered === null)!.id;
    expect([second, third]).toContain(inFlight);
    hold = () => false;

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0); // a graceful stop, not held up by the request in flight
    child = await startServer();

    // 3. After the restart: the held alert again (same id, same body), and the other one, within seconds — well
    // before the 60 s lease would have run out.
    await expect
      .poll(() => new Set(received.filter((r) => r.answered === 204).map((r) => r.id)).size, {
        timeout: 40_000,
        interval: 250,
      })
      .toBe(3);
    await new Promise((r) => setTimeout(r, 5000)); // a few more dispatcher passes: nothing else comes

    expect([...new Set(received.map((r) => r.id))].sort()).toEqual([first, second, third].sort());
    // Each alert accepted exactly once; only the one in flight came twice (the first attempt unanswered).
    for (const id of [first, second, third])
      expect(
        received.filter((r) => r.id === id && r.answered === 204),
        id,
      ).toHaveLength(1);
    expect(received.filter((r) => r.id === inFlight)).toHaveLength(2);
    expect(received.filter((r) => r.id === first)).toHaveLength(1);
    expect(received.every((r) => r.verified)).toBe(true);
    expect(new Set(received.filter((r) => r.id === inFlight).map((r) => r.body)).size).toBe(1);
    for (const r of received)
      expect(JSON.parse(r.body)).toMatchObject({ id: r.id, type: 'unlicensedBus', severity: 'critical' });
  }, 300_000);
});
