// Sums the JSON reports of a test run and prints "N passed, N failed"; exits non-zero on any failure.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-artifacts';
let passed = 0;
let failed = 0;
// What failed, by name, printed just above the totals line: the tail of a CI log is often all one gets to see.
const failures = [];
const flaky = [];
// EXPECTED_REPORTS (comma-separated) names the reports of a run other than `npm test` (e.g. npm run e2e:workers).
// Otherwise the reports of `npm test`: EXPECT_POSTGRES_REPORT and EXPECT_WORKERS_REPORT add its later passes.
const named = process.env.EXPECTED_REPORTS?.split(',');
const expected = named ?? ['typecheck.json', 'lint.json', 'pglite.json'];
if (!named && process.env.EXPECT_POSTGRES_REPORT === '1') expected.push('postgres.json');
if (!named && process.env.EXPECT_WORKERS_REPORT === '1') expected.push('workers.json');
const present = new Set(readdirSync(dir));
for (const name of expected) {
  if (!present.has(name)) {
    console.error(`missing report ${name}: that run did not finish`);
    failed += 1;
  }
}
for (const name of [...present].filter((f) => f.endsWith('.json'))) {
  const r = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  const failedBefore = failed;
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  // A file that failed without a failing test (it did not load, or its beforeAll/afterAll threw) counts as one
  // failure: its passing tests must not hide it.
  for (const f of r.testResults ?? []) {
    const file = String(f.name ?? '').replace(/^.*?\/(test\/)/, '$1');
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'failed') failures.push(`${name}: ${file} > ${a.fullName}: ${firstLine(a.failureMessages)}`);
      // passed on its retry (e2e tests get one): counted as passed, and named with the failure of its first try
      else if (a.status === 'passed' && a.failureMessages?.length)
        flaky.push(`${name}: ${file} > ${a.fullName}: ${firstLine(a.failureMessages)}`);
    }
    if (f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')) {
      failed += 1;
      failures.push(`${name}: ${file} (the file failed outside its tests): ${firstLine([f.message])}`);
    }
  }
  // vitest exits non-zero for errors its JSON report does not show (an unhandled rejection or exception, even after
  // every test passed): the run's exit code, written beside the report as NAME.exit, makes them one failure.
  const exitFile = name.replace(/\.json$/, '.exit');
  const code = present.has(exitFile) ? Number(readFileSync(join(dir, exitFile), 'utf8').trim()) : 0;
  if (code !== 0 && failed === failedBefore) {
    console.error(`${name}: vitest exited ${code} without a failing test (unhandled errors): counted as one failure`);
    failed += 1;
  }
}
for (const line of flaky) console.log(`FLAKY (passed on its retry) ${line}`);
for (const line of failures) console.log(`FAILED ${line}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

// The first line of a failure, with the next ones while it ends in ':' (e.g. "AssertionError:" with its text below).
function firstLine(messages) {
  const text = (messages ?? []).find((m) => typeof m === 'string' && m.trim()) ?? '';
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let line = lines[0] ?? '';
  for (let i = 1; i < lines.length && line.endsWith(':') && line.length < 300; i++) line += ` ${lines[i]}`;
  return line.slice(0, 300);
}
