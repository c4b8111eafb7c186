// The database connection dies mid-stream: every acknowledged fix is stored exactly once after recovery.
// On the real server the backends are really terminated (pg_terminate_backend); on PGlite the outage is
// injected at the query boundary. Devices behave as real ones do: whatever was not acknowledged is resent.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app';
import { testDbKind } from '../helpers/db';
import type { FaultyDatabase } from '../helpers/faults';
import { type IngestWorld, setupIngestWorld, teardownIngestWorld } from '../helpers/ingest-app';
import type { World } from '../helpers/world';

let t: TestApp;
let w: World;
let faulty: FaultyDatabase;
let api: IngestWorld['api'];
let world: IngestWorld | undefined;
const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);

beforeAll(async () => {
  world = await setupIngestWorld(T0);
  ({ t, w, faulty, api } = world);
});
afterAll(() => teardownIngestWorld(world));

async function outage(durationMs: number) {
  if (testDbKind === 'postgres') {
    const admin = postgres(t.database.url!, { max: 1, onnotice: () => {} });
    const name = new URL(t.database.url!).pathname.slice(1);
    const end = Date.now() + durationMs;
    // Keep killing every backend of the test database for the whole outage.
    while (Date.now() < end) {
      await admin.unsafe(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    await admin.end();
  } else {
    faulty.down = true;
    await new Promise((r) => setTimeout(r, durationMs));
    faulty.down = false;
  }
}

describe('database outage mid-stream', () => {
  it('stores every acknowledged fix exactly once; unacknowledged ones are resent and stored once', async () => {
    const token = w.tokens.deviceA1;
    const deviceId = w.a.devices[0].id;
    const batches = 60;
    const perBatch = 20;
    const acked = new Set<number>();
    const refusedBatches: number[][] = [];
    const send = async (times: number[]) => {
      const r = await api.call('POST', '/api/v1/telemetry/positions', {
        token,
        body: {
          positions: times.map((ms, i) => ({
            time: new Date(ms).toISOString(),
            lat: 31.2,
            lon: 121.4 + ((ms - T0) / 1000) * 0.0001 + i * 0,
          })),
        },
      });
      if (r.status === 200) {
        for (const [i, item] of r.body.items.entries()) if (item.status === 'accepted') acked.add(times[i]!);
        return true;
      }
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBeTruthy();
      return false;
    };
    const stream = (async () => {
      for (let b = 0; b < batches; b++) {
        const times = Array.from({ length: perBatch }, (_, i) => T0 - 3_600_000 + (b * perBatch + i) * 1000);
        if (!(await send(times))) refusedBatches.push(times);
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    await new Promise((r) => setTimeout(r, 40));
    await outage(150);
    await stream;
    expect(refusedBatches.length, 'the outage must have refused some batches').toBeGreaterThan(0);
    expect(acked.size, 'some batches must have been acknowledged').toBeGreaterThan(0);
    // Devices resend what was refused, until acknowledged.
    for (const times of refusedBatches) {
      let tries = 0;
      while (!(await send(times))) {
        if (++tries > 50) throw new Error('storage did not recover');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const rows = await t.database.query<{ ms: number; n: number }>(
      'select extract(epoch from time)::float8 * 1000 as ms, count(*)::int as n from positions where device_id = $1 group by time',
      [deviceId],
    );
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const stored = new Set(rows.map((r) => Math.round(Number(r.ms))));
    expect(stored.size).toBe(batches * perBatch);
    for (const ms of acked) expect(stored.has(ms)).toBe(true);
  });
});
