// The pipeline as the server wires it, for pipeline tests: ingest (position writer committing after 1 ms) with the
// engine runner attached, on the test app's database (or `database`) and clock. The engine may run on another handle
// of the same database (one that slows or fails statements on demand, ../helpers/faults.ts), and the writers on a
// third, as the server gives them connections of their own.
import { silentLogger } from '../../src/logging';
import { createEngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest } from '../../src/pipeline/ingest';
import type { Database } from '../../src/store/db';
import { afterAll, beforeAll } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, type World } from '../helpers/world';

export function lanePipeline(
  t: TestApp,
  o: { database?: Database; engineDatabase?: Database; writerDatabase?: Database; contextTtlMs?: number } = {},
) {
  const ingest = createIngest({
    database: o.database ?? t.database,
    writerDatabase: o.writerDatabase,
    log: silentLogger,
    now: () => t.clock.nowMs,
    writer: { maxDelayMs: 1 },
  });
  const runner = createEngineRunner({
    database: o.engineDatabase ?? o.database ?? t.database,
    writerDatabase: o.writerDatabase,
    log: silentLogger,
    now: () => t.clock.nowMs,
    contextTtlMs: o.contextTtlMs,
  });
  runner.attach(ingest);
  return {
    ingest,
    runner,
    close: async () => {
      await runner.close();
      await ingest.close();
    },
  };
}

/** The world's trips start at 07:00 +08:00 on 2026-09-01. */
export const WORLD_TRIPS_START_MS = Date.parse('2026-09-01T07:00:00+08:00');

/**
 * For a pipeline test file: before its tests, the test app (its clock an hour into the world's trips) and the
 * two-school world, handed to `use`; after them, the app closed.
 */
export function withPipelineWorld(use: (t: TestApp, w: World) => void): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await createTestApp(WORLD_TRIPS_START_MS + 3_600_000);
    use(app, await buildWorld(app));
  });
  afterAll(() => app?.close());
}
