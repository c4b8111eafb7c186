import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Eventual checks (pages, live delivery) get time on a loaded 2-core machine; a passing poll returns at once.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
