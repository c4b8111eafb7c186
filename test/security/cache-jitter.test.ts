// Issue 13.3: per-bus caches are refreshed with jitter, so entries loaded together do not all expire in the same
// instant (a burst of registry queries after a restart or when a fleet reports in step). Lifetimes never exceed
// the base (a registry change still reaches the pipeline within the promised time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceDirectory } from '../../src/pipeline/device-directory';
import { jitteredTtlMs } from '../../src/pipeline/jitter';
import type { Database } from '../../src/store/db';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const [school] = await database.query<{ id: number }>(
    "insert into schools (name, lat, lon) values ('Jitter School', 31.2, 121.4) returning id",
  );
  await database.query(
    "insert into devices (school_id, protocol, identifier) select $1, 'osmand', 'jitter-' || g from generate_series(1, 60) g",
    [school!.id],
  );
});
afterAll(() => database?.close());

describe('cache lifetimes with jitter', () => {
  it('draws lifetimes across [0.8, 1] of the base, never above it', () => {
    expect(jitteredTtlMs(30_000, 0.2, () => 0)).toBe(30_000);
    expect(jitteredTtlMs(30_000, 0.2, () => 1)).toBe(24_000);
    const draws = Array.from({ length: 2000 }, () => jitteredTtlMs(30_000));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(24_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(30_000);
    // Spread: every 1.2 s bucket of the 6 s window gets some.
    const buckets = new Set(draws.map((d) => Math.min(4, Math.floor((30_000 - d) / 1200))));
    expect(buckets.size).toBe(5);
  });

  it('devices looked up together are looked up again spread out, not in one burst', async () => {
    let queries = 0;
    const counting: Database = { ...database, query: (text, params) => (queries++, database.query(text, params)) };
    const clock = { nowMs: 1_000_000 };
    const dir = new DeviceDirectory(counting, () => clock.nowMs);
    const ids = Array.from({ length: 60 }, (_, i) => `jitter-${i + 1}`);
    for (const id of ids) expect(await dir.lookup('osmand', id)).toBeDefined();
    expect(queries).toBe(60);
    for (const id of ids) await dir.lookup('osmand', id);
    expect(queries).toBe(60); // all cached

    // Part way through the jitter window some entries have expired and some have not.
    const refreshedAt = async (offsetMs: number) => {
      clock.nowMs = 1_000_000 + offsetMs;
      const before = queries;
      for (const id of ids) await dir.lookup('osmand', id);
      return queries - before;
    };
    expect(await refreshedAt(23_999)).toBe(0); // none before 0.8 × 30 s
    const mid = await refreshedAt(27_000);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(60);
    // By the base lifetime, every entry loaded at the start has been refreshed exactly once.
    expect(mid + (await refreshedAt(30_001))).toBeGreaterThanOrEqual(60);
  });

  it('a device posting with its token (looked up by id) costs one query per lifetime, not one per cache', async () => {
    const rows = await database.query<{ id: number }>(
      "select id from devices where identifier like 'jitter-%' order by id",
    );
    const ids = rows.map((r) => r.id);
    const queries: { text: string; param: unknown; atMs: number }[] = [];
    const clock = { nowMs: 5_000_000 };
    const counting: Database = {
      ...database,
      query: (text, params, opts) => (
        queries.push({ text, param: params?.[0], atMs: clock.nowMs }),
        database.query(text, params, opts)
      ),
    };
    const dir = new DeviceDirectory(counting, () => clock.nowMs);
    // Two minutes of posts, every device once a second.
    for (let s = 0; s <= 120; s++) {
      clock.nowMs = 5_000_000 + s * 1000;
      for (const id of ids) expect((await dir.byId(id))?.deviceId).toBe(id);
    }
    // Every reload was by id, and no device was reloaded sooner than the shortest lifetime (0.8 × 30 s).
    expect(queries.every((q) => /where id = \$1/.test(q.text))).toBe(true);
    for (const id of ids) {
      const times = queries.filter((q) => q.param === id).map((q) => q.atMs);
      expect(times.length).toBeGreaterThanOrEqual(5); // 0 s and at least every 30 s after
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(24_000);
    }
  });
});
