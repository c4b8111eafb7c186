// Storage back-pressure end to end: when the position writer's queue is full, JT/T 808 terminals are slowed down
// (their sockets are not read while their submissions wait for room) and never refused; HTTP senders get 503 with
// Retry-After and resend. Real TCP sockets on 127.0.0.1, the real ingest and HTTP app, a real database (PGlite, or
// PostgreSQL with TEST_DB_KIND=postgres). The database is "slow" through a gate in front of the writer's insert
// statement: while the gate is closed, no batch of positions commits, so the queue fills up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import type { Database } from '../../src/store/db';
import { encodePositionBody, Jt808TerminalClient, type TerminalPosition } from '../../src/demo/jt808-terminal';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, type World } from '../helpers/world';
import { createRegistry, until } from './jt808-helpers';

/** Holds the writer's insert statements while closed; the rest of the database is untouched. */
function gatedDatabase(database: Database) {
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  const g = {
    ...database,
    /** Milliseconds every position insert takes on top of its own time. */
    delayMs: 0,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      open();
      gate = Promise.resolve();
    },
    query: async <T>(text: string, params?: unknown[]): Promise<T[]> => {
      if (text.startsWith('insert into positions')) {
        await gate;
        if (g.delayMs) await new Promise((r) => setTimeout(r, g.delayMs));
      }
      return database.query<T>(text, params);
    },
  };
  return g;
}

const CAP_ROWS = 150;

let t: TestApp;
let w: World;
let gated: ReturnType<typeof gatedDatabase>;
let ingest: PipelineIngest;
let server: Jt808Server;
let app: ReturnType<typeof createApp>;
const clients: Jt808TerminalClient[] = [];
// Device times an hour ago, whole seconds (the filters refuse times in the future).
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  gated = gatedDatabase(t.database);
  ingest = createIngest({
    database: gated,
    log: silentLogger,
    now: Date.now,
    writer: { maxQueuedRows: CAP_ROWS, maxBatchRows: 50, maxDelayMs: 2, maxAdmissionWaitMs: 20_000 },
  });
  server = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
  app = createApp({ database: t.database, log: silentLogger, now: Date.now, ingest });
}, 60_000);

afterAll(async () => {
  gated?.release();
  for (const c of clients) c.destroy();
  await server?.close();
  await ingest?.close();
  await t?.close();
});

const drive = (i: number): TerminalPosition => ({
  timeMs: T0 + i * 1000,
  lat: 31.2,
  lon: 121.4 + i * 0.0001045,
  speedKph: 36,
  headingDeg: 90,
});
/** A counter's total over its labels. */
const metric = (name: string) =>
  [...ingest.metrics.render().matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );

describe('position queue full', () => {
  it('JT/T 808: many terminals sending more than the queue holds are slowed down, never refused; every acked fix is stored', async () => {
    const TERMINALS = 24;
    const REPORTS = 60;
    const WINDOW = 30; // 24 × 30 = 720 reports outstanding against a queue of 150 rows
    const registry = await createRegistry(t);
    const terminals: { client: Jt808TerminalClient; deviceId: number }[] = [];
    for (let i = 0; i < TERMINALS; i++) {
      const phone = `1390100${String(i).padStart(4, '0')}`;
      const dev = await registry.addTerminal(phone, `CODE-${i}`);
      const client = await Jt808TerminalClient.connect(server.port, phone);
      clients.push(client);
      expect((await client.authenticate(`CODE-${i}`)).result).toBe(0);
      terminals.push({ client, deviceId: dev.deviceId });
    }

    // Nothing commits until the queue is full and submissions wait for room.
    gated.hold();
    gated.delayMs = 15;
    let sawFull = false;
    const results = terminals.map(({ client }) => {
      const results: number[] = [];
      const serials: number[] = [];
      let sent = 0;
      const fill = () => {
        const frames: Uint8Array[] = [];
        while (sent < REPORTS && sent - results.length < WINDOW) {
          const f = client.frame(0x0200, encodePositionBody(drive(sent++)));
          serials.push(f.serial);
          frames.push(f.wire);
        }
        if (frames.length) client.write(Buffer.concat(frames));
      };
      client.socket.on('data', () => {
        // The client's own parser has queued the replies; take the acks in order.
        for (const r of client.replies.splice(0)) {
          if (r.msgId !== 0x8001 || r.replyMsgId !== 0x0200) continue;
          expect(r.replySerial).toBe(serials[results.length]);
          results.push(r.result!);
        }
        if (ingest.writer.full) sawFull = true;
        fill();
      });
      fill();
      return results;
    });
    await until(() => ingest.writer.fill().waitingRows > 0, 10_000, 'submissions waiting for room');
    expect(ingest.writer.fill()).toMatchObject({ full: true, capacityRows: CAP_ROWS });
    expect(ingest.storageFull()).toBe(true);
    expect(server.stats().readPauses).toBeGreaterThan(0);
    gated.release();

    await until(() => results.every((r) => r.length === REPORTS), 30_000, 'every report answered');
    gated.delayMs = 0;
    expect(sawFull || metric('busguard_position_admission_waits_total') > 0).toBe(true);
    // 0 refused: every report got result 0 …
    expect(results.flat().filter((r) => r !== 0)).toEqual([]);
    expect(server.stats()).toMatchObject({ fixesRefusedStorage: 0, rateLimitedFrames: 0 });
    expect(metric('busguard_position_admission_waits_total')).toBeGreaterThan(0);
    expect(metric('busguard_position_admission_timeouts_total')).toBe(0);
    // … and every acked fix is stored, once.
    for (const { deviceId } of terminals) {
      const rows = await t.database.query<{ n: number; d: number }>(
        'select count(*)::int as n, count(distinct time)::int as d from positions where device_id = $1',
        [deviceId],
      );
      expect(rows[0]).toEqual({ n: REPORTS, d: REPORTS });
    }
    expect(ingest.writer.fill()).toMatchObject({ full: false, queuedRows: 0, waitingRows: 0 });
  }, 60_000);

  it('HTTP (JSON telemetry, OsmAnd): 503 with Retry-After while full; the resend is stored once', async () => {
    const osmand = await t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, busId: w.a.buses[1].id, protocol: 'osmand', identifier: '350000000000777' },
    });
    expect(osmand.status).toBe(201);
    const at = (s: number) => ({
      time: new Date(T0 + s * 1000).toISOString(),
      lat: 31.2,
      lon: 121.4 + s * 0.0001045,
      speedKph: 36,
    });
    const postJson = (positions: unknown[]) =>
      app.request('/api/v1/telemetry/positions', {
        method: 'POST',
        headers: { authorization: `Bearer ${w.tokens.deviceA1}`, 'content-type': 'application/json' },
        body: JSON.stringify({ positions }),
      });
    const postOsmand = (s: number) =>
      app.request(
        `/osmand/?id=350000000000777&timestamp=${Math.floor(T0 / 1000) + s}&lat=31.3&lon=${121.5 + s * 0.0001}&speed=10`,
        { method: 'POST' },
      );

    // Fill the queue with another bus's rows that cannot commit while the gate is closed.
    gated.hold();
    const other = { busId: w.b.buses[0].id, deviceId: w.b.devices[0].id };
    const filler = Array.from({ length: 16 }, (_, k) =>
      ingest.writer.write(
        Array.from({ length: 50 }, (_, j) => ({
          ...other,
          timeMs: T0 + (k * 50 + j) * 1000,
          receivedMs: Date.now(),
          lat: 31.2,
          lon: 121.6,
          alarms: [],
          late: false,
          blindArea: false,
          attributes: null,
        })),
      ),
    );
    await until(() => ingest.writer.full, 10_000, 'queue full');

    const busyJson = await postJson([at(1000)]);
    expect(busyJson.status).toBe(503);
    const retryJson = Number(busyJson.headers.get('retry-after'));
    expect(retryJson).toBeGreaterThanOrEqual(1);
    expect(retryJson).toBeLessThanOrEqual(30);
    expect((await busyJson.json()).error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('busy'),
    });
    const busyOsmand = await postOsmand(0);
    expect(busyOsmand.status).toBe(503);
    expect(Number(busyOsmand.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(metric('busguard_ingest_refused_queue_full_total')).toBe(2);

    gated.release();
    await Promise.all(filler);
    await until(() => !ingest.writer.full, 10_000, 'queue drained');
    await ingest.writer.drained();
    const again = await postJson([at(1000)]);
    expect(again.status).toBe(200);
    expect((await postOsmand(0)).status).toBe(200);
    const json = await t.database.query<{ n: number }>(
      'select count(*)::int as n from positions where device_id = $1',
      [w.a.devices[0].id],
    );
    expect(json[0]!.n).toBe(1);
    const filled = await t.database.query<{ n: number }>(
      'select count(*)::int as n from positions where device_id = $1',
      [other.deviceId],
    );
    expect(filled[0]!.n).toBe(16 * 50);
    const os = await t.database.query<{ n: number }>('select count(*)::int as n from positions where device_id = $1', [
      osmand.body.id,
    ]);
    expect(os[0]!.n).toBe(1);
  }, 60_000);
});
