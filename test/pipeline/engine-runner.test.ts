// Fixes in through the real pipeline, violations and stop events out in the database — across a restart.
import { describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { silentLogger } from '../../src/logging';
import type { EngineBatch } from '../../src/pipeline/engine-runner';
import { createIngest } from '../../src/pipeline/ingest';
import type { TestApp } from '../helpers/app';
import type { World } from '../helpers/world';
import { driveEast } from './drive';
import { lanePipeline, WORLD_TRIPS_START_MS, withPipelineWorld } from './pipeline';

let t: TestApp;
let w: World;
const START_MS = WORLD_TRIPS_START_MS;
withPipelineWorld((app, world) => ((t = app), (w = world)));

/** A drive east along 31.2°N from the route's first stop: speed per second given by `kphAt(s)`. */
const drive = (fromS: number, toS: number, kphAt: (s: number) => number, lon0: number): Fix[] =>
  driveEast({ deviceId: 'A-dev-1', startMs: START_MS + 60_000, lon0, fromS, toS, kphAt });

function pipeline() {
  const { ingest, runner } = lanePipeline(t);
  const seen: EngineBatch[] = [];
  runner.onEvents((b) => seen.push(b));
  return { ingest, runner, seen };
}

const speedProfile = (s: number) => (s < 20 ? 36 : s < 45 ? 75 : 30);

describe('engine runner', () => {
  it('opens one overspeed violation, continues it after a restart, and records trip progress', async () => {
    const lon0 = w.a.routes[0].path.coordinates[0][0];
    const device = (await createIngest({ database: t.database, log: silentLogger }).lookupDevice('json', 'A-dev-1'))!;
    expect(device.busId).toBe(w.a.buses[0].id);

    // First process: the first 30 s (the episode opens around 30 s: 10 s sustained above 60 km/h).
    const first = pipeline();
    for (const fix of drive(0, 30, speedProfile, lon0)) await first.ingest.submitFixes(device, [fix], t.clock.nowMs);
    await first.runner.idle();
    const opened = await t.database.query<{ id: number; episode_key: string; ended_at: Date | null; severity: string }>(
      "select id, episode_key, ended_at, severity from violations where kind = 'overspeed'",
    );
    expect(opened).toHaveLength(1);
    expect(opened[0]!.ended_at).toBeNull();
    expect(opened[0]!.severity).toBe('critical'); // 75 km/h is 25 % over 60
    const trip = await t.database.query<{ status: string }>('select status from trips where id = $1', [
      w.a.trips[0].id,
    ]);
    expect(trip[0]!.status).toBe('active');
    expect(first.seen.some((b) => b.events.some((e) => e.type === 'trip.started'))).toBe(true);
    await first.runner.close();
    await first.ingest.close();

    // Restart: a new pipeline continues from the checkpoint.
    const second = pipeline();
    for (const fix of drive(31, 60, speedProfile, lon0)) await second.ingest.submitFixes(device, [fix], t.clock.nowMs);
    await second.runner.idle();
    const rows = await t.database.query<{ id: number; episode_key: string; ended_at: Date | null; peak_value: number }>(
      "select id, episode_key, ended_at, peak_value from violations where kind = 'overspeed'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(opened[0]!.id);
    expect(rows[0]!.ended_at).not.toBeNull();
    expect(rows[0]!.peak_value).toBeCloseTo(75, 1);
    expect(second.seen.flatMap((b) => b.events).filter((e) => e.type === 'violation.opened')).toHaveLength(0);
    await second.runner.close();
    await second.ingest.close();
  });

  it('records the departure from the first stop', async () => {
    const rows = await t.database.query<{ kind: string; stop_id: number }>(
      'select kind, stop_id from stop_events where trip_id = $1',
      [w.a.trips[0].id],
    );
    expect(rows.map((r) => `${r.kind}:${r.stop_id}`)).toContain(`departed:${w.a.routes[0].stops[0].id}`);
  });

  it('ignores buses without a trip now (positions are still stored)', async () => {
    const p = pipeline();
    const device = (await p.ingest.lookupDevice('json', 'B-dev-1'))!;
    const far = START_MS + 10 * 3_600_000;
    t.clock.nowMs = far + 60_000;
    const r = await p.ingest.submitFixes(
      device,
      [
        {
          deviceId: 'B-dev-1',
          protocol: 'json',
          timeMs: far,
          lat: 31.2,
          lon: 121.6,
          speedKph: 90,
          valid: true,
          alarms: [],
          attributes: {},
        },
      ],
      t.clock.nowMs,
    );
    expect(r.outcomes[0]!.status).toBe('accepted');
    await p.runner.idle();
    expect(p.runner.stateOf(device.busId!)).toBeUndefined();
    expect(p.seen).toHaveLength(0);
    await p.ingest.close();
  });
});
