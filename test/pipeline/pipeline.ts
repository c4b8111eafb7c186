// The pipeline as the server wires it, for pipeline tests: ingest (position writer committing after 1 ms) with the
// engine runner attached, on the test app's database (or `database`) and clock. The engine may run on another handle
// of the same database (one that slows or fails statements on demand, ../helpers/faults.ts), and the writers on a
// third, as the server gives them connections of their own.
import { silentLogger } from '../../src/logging';
import { createEngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest } from '../../src/pipeline/ingest';
import type { Database } from '../../src/store/db';
import type { TestApp } from '../helpers/app';

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
