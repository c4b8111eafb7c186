// bench:workers end to end on a tiny fleet: Node (`npm start` wiring) and the local Worker with its bus objects, one
// after the other against the same PostgreSQL server; every acknowledged fix is checked stored by the bench itself.
// Its last line is the JSON the closing notes quote. (It broke once without a word when trips began to need an
// approved route: this keeps it running.)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run bench:workers (tiny)', () => {
  it('drives the JSON workload through Node and through the Worker and prints both figures', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/bench-workers.ts', '--devices', '2', '--fixes', '40', '--batch', '20'],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL },
        timeout: 170_000,
      },
    );
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      workload: { devices: number; fixesPerDevice: number };
      node: { fixesPerS: number };
      workers: { fixesPerS: number };
    };
    expect(figures.workload).toMatchObject({ devices: 2, fixesPerDevice: 40 });
    expect(figures.node.fixesPerS).toBeGreaterThan(0);
    expect(figures.workers.fixesPerS).toBeGreaterThan(0);
  }, 180_000);
});
