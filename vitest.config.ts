import { defineConfig } from 'vitest/config';

// Three projects (README "Tests"): `unit` is pure (no database, no sockets, no child processes) and runs once;
// `db` runs in-process against a database; `e2e` starts servers, opens sockets, drives the browser or runs the
// CLIs. `db` and `e2e` run on PGlite, then again on the real PostgreSQL (scripts/test.sh). A new test file that
// matches neither list below lands in `e2e`, the project that runs everywhere.
const unit = [
  'test/core/!(munich-replay).test.ts',
  'test/ingest/*.test.ts',
  'test/ingest/!(scripts)/**/*.test.ts',
  'test/live/eta.test.ts',
  'test/live/notice-rules.test.ts',
  'test/live/latest-progress.test.ts',
  'test/live/sequencer.test.ts',
  'test/jobs/cron.test.ts',
  'test/scripts/eta-floor.test.ts',
  'test/runtime/config.test.ts',
  'test/runtime/event-loop-metrics.test.ts',
  'test/auth/**/*.test.ts',
  'test/lint/**/*.test.ts',
];
const db = [
  'test/http/**/*.test.ts',
  'test/jobs/jobs.test.ts',
  'test/pipeline/**/*.test.ts',
  'test/store/**/*.test.ts',
  'test/demo/seed.test.ts',
  'test/reports/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Eventual checks (pages, live delivery) get time on a loaded 2-core machine; a passing poll returns at once.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    projects: [
      { extends: true, test: { name: 'unit', include: unit } },
      { extends: true, test: { name: 'db', include: db } },
      // test/workers starts wrangler/workerd: `npm run e2e:workers` (vitest.workers.config.ts) runs it.
      // e2e tests (browsers, sockets, child processes on a loaded 2-core machine) get one retry. A test that needed it
      // is listed as FLAKY, with its first failure, above the totals line (scripts/test-totals.mjs): seen, not hidden.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: [...unit, ...db, 'test/workers/**'],
          retry: 1,
        },
      },
    ],
  },
});
