import { defineConfig } from 'vitest/config';

// `npm run e2e:workers`: the Workers runtime under `wrangler dev` (local mode) against the real PostgreSQL server
// (Hyperdrive has no embedded-database mode). Not part of vitest.config.ts: it starts workerd.
export default defineConfig({
  test: {
    include: ['test/workers/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    expect: { poll: { timeout: 20_000, interval: 200 } },
    env: {
      TEST_DB_KIND: 'postgres',
      TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
  },
});
