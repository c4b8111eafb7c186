// The position writer's queue limit: a submission that does not fit waits for room (in arrival order) instead of
// being refused; `full`, `fill()` and `drained()` say so; the wait is bounded (then StorageUnavailableError and
// nothing of that submission stored). Real database (PGlite, or PostgreSQL with TEST_DB_KIND=postgres), with the
// insert statement held behind a gate so the queue fills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/pipeline/metrics';
import { PositionWriter, type PositionRow } from '../../src/pipeline/position-writer';
import { StorageUnavailableError } from '../../src/pipeline/types';
import type { Database } from '../../src/store/db';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);
const row = (deviceId: number, k: number): PositionRow => ({
  busId: 500 + deviceId,
  deviceId,
  timeMs: T0 + k * 1000,
  receivedMs: T0 + k * 1000,
  lat: 22.5,
  lon: 113.9 + k * 1e-5,
  alarms: [],
  late: false,
  blindArea: false,
  attributes: null,
});
const rows = (deviceId: number, from: number, n: number) =>
  Array.from({ length: n }, (_, k) => row(deviceId, from + k));

function gated(db: Database) {
  let release: () => void = () => {};
  let gate: Promise<void> = new Promise((r) => (release = r));
  return {
    database: {
      ...db,
      query: async <T>(text: string, params?: unknown[]) =>
        text.startsWith('insert into positions')
          ? gate.then(() => db.query<T>(text, params))
          : db.query<T>(text, params),
    } as Database,
    open: () => release(),
    close: () => {
      gate = new Promise((r) => (release = r));
    },
  };
}
const count = async (deviceId: number) =>
  Number(
    (
      await database.query<{ n: number }>('select count(*)::int as n from positions where device_id = $1', [deviceId])
    )[0]!.n,
  );
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('position writer: a full queue', () => {
  it('holds submissions that do not fit (not refused), admits them in order as commits make room, and signals the drain', async () => {
    const g = gated(database);
    const writer = new PositionWriter(g.database, new Metrics(), {
      maxQueuedRows: 100,
      maxBatchRows: 50,
      maxDelayMs: 1,
      concurrency: 1,
    });
    const order: number[] = [];
    // 50 rows go into the statement held at the gate; then 100 fill the queue; the rest wait.
    const writes = Array.from({ length: 8 }, (_, k) => writer.write(rows(1, k * 50, 50)).then(() => order.push(k)));
    await tick();
    expect(writer.fill()).toEqual({
      queuedRows: 100,
      waitingRows: 250,
      inFlightRows: 50,
      capacityRows: 100,
      full: true,
    });
    expect(writer.full).toBe(true);
    expect(writer.retryAfterS()).toBeGreaterThanOrEqual(1);
    let drained = false;
    const drain = writer.drained().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    g.open();
    await Promise.all(writes);
    await drain;
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(writer.fill()).toMatchObject({ queuedRows: 0, waitingRows: 0, full: false });
    expect(await count(1)).toBe(400);
    // A submission larger than the whole queue is taken when the queue is empty.
    await writer.write(rows(1, 400, 250));
    expect(await count(1)).toBe(650);
    await writer.close();
  });

  it('the wait is bounded: past maxAdmissionWaitMs the submission fails (storage unavailable) and nothing of it is stored', async () => {
    const g = gated(database);
    const metrics = new Metrics();
    const writer = new PositionWriter(g.database, metrics, {
      maxQueuedRows: 100,
      maxBatchRows: 100,
      maxDelayMs: 1,
      concurrency: 1,
      maxAdmissionWaitMs: 150,
    });
    const first = writer.write(rows(2, 0, 100)); // in the held statement
    await tick();
    const queued = writer.write(rows(2, 100, 100)); // fills the queue
    const waiting = writer.write(rows(2, 200, 10));
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).message).toMatch(/queue full/);
    expect(metrics.render()).toMatch(/busguard_position_admission_timeouts_total 1/);
    expect(writer.fill().waitingRows).toBe(0);
    g.open();
    await Promise.all([first, queued]);
    expect(await count(2)).toBe(200);
    await writer.close();
  });

  it('close() writes what waits for room before it resolves', async () => {
    const g = gated(database);
    const writer = new PositionWriter(g.database, new Metrics(), {
      maxQueuedRows: 10,
      maxBatchRows: 10,
      maxDelayMs: 1,
      concurrency: 1,
    });
    const writes = Array.from({ length: 5 }, (_, k) => writer.write(rows(3, k * 10, 10)));
    await tick();
    expect(writer.fill().waitingRows).toBeGreaterThan(0);
    const closed = writer.close();
    g.open();
    await closed;
    await Promise.all(writes);
    expect(await count(3)).toBe(50);
  });
});
