// The lane across a graceful restart and across a crash between the position commit and the engine write: the
// episodes and stop events in the database are the same as those of a run that never stopped, with no duplicates.
// Each run has a database of its own (the same world, so the same ids); the runs are compared row for row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { silentLogger } from '../../src/logging';
import { createEngineRunner } from '../../src/pipeline/engine-runner';
import { ENGINE_PERSIST_SQL } from '../../src/pipeline/engine-store';
import { createIngest } from '../../src/pipeline/ingest';
import type { Database } from '../../src/store/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, type World } from '../helpers/world';
import { driveEast } from './drive';

const START_MS = Date.parse('2026-09-01T07:00:00+08:00');
/** 36 km/h, then 75 km/h from 20 s to 45 s (an overspeed episode opens near 30 s and closes after 45 s), then 30. */
const kphAt = (s: number) => (s < 20 ? 36 : s < 45 ? 75 : 30);

interface Run {
  t: TestApp;
  w: World;
}
const runs: Run[] = [];

async function newRun(): Promise<Run> {
  const t = await createTestApp(START_MS + 3_600_000);
  const w = await buildWorld(t);
  const run = { t, w };
  runs.push(run);
  return run;
}

afterAll(async () => {
  for (const r of runs) await r.t.close();
});

function drive(run: Run, fromS: number, toS: number): Fix[] {
  const lon0 = run.w.a.routes[0].path.coordinates[0][0];
  return driveEast({ deviceId: 'A-dev-1', startMs: START_MS + 60_000, lon0, fromS, toS, kphAt });
}

/** A process: ingest with the engine attached, on `database`. */
function processOn(run: Run, database: Database) {
  const ingest = createIngest({ database, log: silentLogger, now: () => run.t.clock.nowMs, writer: { maxDelayMs: 1 } });
  const runner = createEngineRunner({ database, log: silentLogger, now: () => run.t.clock.nowMs });
  runner.attach(ingest);
  return { ingest, runner };
}

async function feed(run: Run, p: ReturnType<typeof processOn>, fromS: number, toS: number) {
  const device = (await p.ingest.lookupDevice('json', 'A-dev-1'))!;
  for (const fix of drive(run, fromS, toS)) {
    const r = await p.ingest.submitFixes(device, [fix], run.t.clock.nowMs);
    expect(r.outcomes[0]).toMatchObject({ status: 'accepted' });
  }
  await p.runner.idle();
}

/** What the engine left in the database, comparable across runs. */
async function outcome(run: Run) {
  const violations = await run.t.database.query<Record<string, unknown>>(
    `select episode_key, kind, severity, extract(epoch from started_at)::float8 as started,
            extract(epoch from ended_at)::float8 as ended, peak_value, limit_value
     from violations order by episode_key`,
  );
  const stops = await run.t.database.query<Record<string, unknown>>(
    `select trip_id, stop_id, kind, extract(epoch from time)::float8 as at from stop_events
     order by trip_id, stop_id, kind`,
  );
  const trips = await run.t.database.query<Record<string, unknown>>(
    'select id, status, extract(epoch from started_at)::float8 as started from trips order by id',
  );
  const positions = await run.t.database.query<{ n: number; distinct: number }>(
    'select count(*)::int as n, count(distinct (device_id, time))::int as distinct from positions',
  );
  return { violations, stops, trips, positions: positions[0] };
}

let reference: Awaited<ReturnType<typeof outcome>>;

beforeAll(async () => {
  const run = await newRun();
  const p = processOn(run, run.t.database);
  await feed(run, p, 0, 60);
  await p.runner.close();
  await p.ingest.close();
  reference = await outcome(run);
  // The reference itself has the episode this is about, and the stop departure.
  expect(reference.violations.filter((v) => v.kind === 'overspeed')).toHaveLength(1);
  expect(reference.violations.find((v) => v.kind === 'overspeed')!.ended).not.toBeNull();
  expect(reference.stops.some((s) => s.kind === 'departed')).toBe(true);
}, 120_000);

describe('bus lane across restarts', () => {
  it('a graceful restart in the middle of an episode continues it: the same rows as a run that never stopped', async () => {
    const run = await newRun();
    const first = processOn(run, run.t.database);
    await feed(run, first, 0, 35); // the overspeed episode is open
    const open = await run.t.database.query<{ ended_at: Date | null }>(
      "select ended_at from violations where kind = 'overspeed'",
    );
    expect(open).toHaveLength(1);
    expect(open[0]!.ended_at).toBeNull();
    await first.runner.close();
    await first.ingest.close();

    const second = processOn(run, run.t.database);
    await feed(run, second, 36, 60);
    await second.runner.close();
    await second.ingest.close();
    expect(await outcome(run)).toEqual(reference);
  }, 120_000);

  it('a crash between the position commit and the engine write: the restarted lane replays the stored fixes, same rows, no duplicates', async () => {
    const run = await newRun();
    // The engine's writes fail from 21 s on (the positions still commit and are acknowledged); then the process
    // dies without closing anything.
    let engineWritesFail = false;
    let refusedEngineWrites = 0;
    const flaky: Database = {
      ...run.t.database,
      query: async (text, params) => {
        if (engineWritesFail && text === ENGINE_PERSIST_SQL) {
          refusedEngineWrites++;
          throw Object.assign(new Error('connection terminated'), { code: '57P01' });
        }
        return run.t.database.query(text, params);
      },
    };
    const crashed = processOn(run, flaky);
    await feed(run, crashed, 0, 20);
    engineWritesFail = true;
    await feed(run, crashed, 21, 40); // acknowledged, stored; the episode opened only in memory
    expect(refusedEngineWrites).toBeGreaterThan(0);
    const lost = await run.t.database.query("select 1 from violations where kind = 'overspeed'");
    expect(lost).toHaveLength(0);

    const restarted = processOn(run, run.t.database);
    await feed(run, restarted, 41, 60);
    await restarted.runner.close();
    await restarted.ingest.close();
    const after = await outcome(run);
    expect(after).toEqual(reference);
    expect(after.positions!.n).toBe(after.positions!.distinct);
  }, 120_000);
});
