// The totals line of `npm test` (scripts/test-totals.mjs): a failing test, a file that did not load, a file whose
// afterAll threw while all its tests passed, and a run that exited non-zero with nothing failed in its report (an
// unhandled error) are each counted as failed, and the exit code says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function totals(report: object, vitestExit?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'busguard-totals-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'typecheck.json'), JSON.stringify({ numPassedTests: 1, numFailedTests: 0 }));
  writeFileSync(join(dir, 'lint.json'), JSON.stringify({ numPassedTests: 1, numFailedTests: 0 }));
  writeFileSync(join(dir, 'pglite.json'), JSON.stringify(report));
  if (vitestExit !== undefined) writeFileSync(join(dir, 'pglite.exit'), `${vitestExit}\n`);
  const env = { ...process.env };
  delete env.EXPECTED_REPORTS;
  delete env.EXPECT_POSTGRES_REPORT;
  delete env.EXPECT_WORKERS_REPORT;
  const r = spawnSync(process.execPath, ['scripts/test-totals.mjs', dir], { encoding: 'utf8', env });
  const lines = r.stdout.trim().split('\n');
  return { line: lines.at(-1), code: r.status, named: lines.slice(0, -1) };
}

const passing = { status: 'passed' };
describe('test totals', () => {
  it('all green: the sum and exit 0', () => {
    expect(
      totals({
        numPassedTests: 2,
        numFailedTests: 0,
        testResults: [{ status: 'passed', assertionResults: [passing, passing] }],
      }),
    ).toMatchObject({ line: '4 passed, 0 failed', code: 0 });
  });

  it('names each failing test and the first line of its message above the totals line', () => {
    const r = totals({
      numPassedTests: 1,
      numFailedTests: 1,
      testResults: [
        {
          name: '/tmp/ci/busguard/test/pages/map.test.ts',
          status: 'failed',
          assertionResults: [
            passing,
            {
              status: 'failed',
              fullName: 'map labels do not overlap',
              failureMessages: ['\nAssertionError: 2 > 0\n  at x'],
            },
          ],
        },
        {
          name: '/tmp/ci/busguard/test/live/a.test.ts',
          status: 'failed',
          message: 'afterAll hook timed out',
          assertionResults: [],
        },
      ],
    });
    expect(r.line).toBe('3 passed, 2 failed');
    expect(r.named).toEqual([
      'FAILED pglite.json: test/pages/map.test.ts > map labels do not overlap: AssertionError: 2 > 0',
      'FAILED pglite.json: test/live/a.test.ts (the file failed outside its tests): afterAll hook timed out',
    ]);
  });

  it('a first line that ends in a colon is followed by the next lines, so the reason is named', () => {
    const r = totals({
      numPassedTests: 0,
      numFailedTests: 1,
      testResults: [
        {
          name: '/tmp/ci/busguard/test/runtime/worker.test.ts',
          status: 'failed',
          assertionResults: [
            {
              status: 'failed',
              fullName: 'serves the API',
              failureMessages: ['AssertionError:\n wrangler dev exited (1):\n  Address already in use\n  at x\n'],
            },
          ],
        },
      ],
    });
    expect(r.named).toEqual([
      'FAILED pglite.json: test/runtime/worker.test.ts > serves the API: AssertionError: wrangler dev exited (1): Address already in use',
    ]);
  });

  it('names a test that passed only on its retry as flaky, and counts it as passed', () => {
    const r = totals({
      numPassedTests: 1,
      numFailedTests: 0,
      testResults: [
        {
          name: '/tmp/ci/busguard/test/pages/pwa.test.ts',
          status: 'passed',
          assertionResults: [{ status: 'passed', fullName: 'shows a push', failureMessages: ['Error: timed out'] }],
        },
      ],
    });
    expect(r).toMatchObject({ line: '3 passed, 0 failed', code: 0 });
    expect(r.named).toEqual([
      'FLAKY (passed on its retry) pglite.json: test/pages/pwa.test.ts > shows a push: Error: timed out',
    ]);
  });

  it('a file whose afterAll threw counts as a failure although its tests passed', () => {
    expect(
      totals({
        numPassedTests: 2,
        numFailedTests: 0,
        testResults: [{ status: 'failed', assertionResults: [passing, passing] }],
      }),
    ).toMatchObject({ line: '4 passed, 1 failed', code: 1 });
  });

  it('a file that did not load counts once; a failing test counts once, not twice', () => {
    expect(
      totals({
        numPassedTests: 1,
        numFailedTests: 1,
        testResults: [
          { status: 'failed', assertionResults: [] },
          { status: 'failed', assertionResults: [passing, { status: 'failed' }] },
        ],
      }),
    ).toMatchObject({ line: '3 passed, 2 failed', code: 1 });
  });

  it('a vitest run that exited non-zero with every test passed (an unhandled error) counts one failure', () => {
    const green = {
      numPassedTests: 2,
      numFailedTests: 0,
      testResults: [{ status: 'passed', assertionResults: [passing, passing] }],
    };
    expect(totals(green, 1)).toMatchObject({ line: '4 passed, 1 failed', code: 1 });
    expect(totals(green, 0)).toMatchObject({ line: '4 passed, 0 failed', code: 0 });
  });

  it('a non-zero exit that the report already explains (a failing test) is not counted again', () => {
    expect(
      totals(
        {
          numPassedTests: 1,
          numFailedTests: 1,
          testResults: [{ status: 'failed', assertionResults: [passing, { status: 'failed' }] }],
        },
        1,
      ),
    ).toMatchObject({ line: '3 passed, 1 failed', code: 1 });
  });
});
