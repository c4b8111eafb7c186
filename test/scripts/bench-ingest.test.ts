// Smoke test of `npm run bench:ingest -- --quick`: the benchmark runs end to end in both configurations (bare and
// wired: engine + live hub + rate limits, buses on Cairns trips) against the real PostgreSQL server, loses and
// duplicates nothing, and ends with one JSON line carrying its figures. Needs a PostgreSQL server on loopback
// (TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test); skipped, saying so, when none answers.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';

const url = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const reachable = await (async () => {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    console.warn(`bench:ingest smoke test skipped: no PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//…@')}`);
    return false;
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
})();

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('bench:ingest --quick', () => {
  it.skipIf(!reachable)(
    'runs both configurations and ends with a JSON line of its figures',
    async () => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          [
            '--import',
            'tsx',
            'scripts/bench-ingest.ts',
            '--quick',
            '--fixes',
            '1200',
            '--connections',
            '12',
            '--many',
            '30',
            '--runs',
            '2',
          ],
          { cwd: root, env: { ...process.env, BENCH_DATABASE_URL: url }, timeout: 280_000, maxBuffer: 1 << 24 },
          (err, stdout, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr.slice(-2000)}`)) : resolve(stdout),
        );
      });
      const lines = out.trim().split('\n');
      expect(out).toMatch(/\| bare +\| JT\/T 808, 12 conns, window 50/);
      expect(out).toMatch(/\| wired +\| JT\/T 808, 30 conns, window 50/);
      expect(out).toMatch(/uptime before: .*load average/);
      const figures = JSON.parse(lines.at(-1)!);
      expect(figures).toMatchObject({
        bench: 'ingest',
        quick: true,
        runs: 2,
        fixesPerMeasurement: 1200,
        connections: 12,
        many: 30,
        window: 50,
        compareWindow: 10,
      });
      expect(figures.raw.unnestFixesPerS).toBeGreaterThan(0);
      expect(figures.raw.unnestDbCpuUsPerFix).toBeGreaterThanOrEqual(0);
      expect(figures.loadAverage.start).toHaveLength(3);
      expect(Object.keys(figures.configs).sort()).toEqual(['bare', 'wired']);
      for (const config of ['bare', 'wired']) {
        expect(Object.keys(figures.configs[config]).sort()).toEqual(['json', 'jt808', 'jt808Many', 'jt808Small']);
        for (const m of Object.values<any>(figures.configs[config])) {
          expect(m).toMatchObject({ lost: 0, duplicated: 0, errors: 0, fixes: expect.any(Number) });
          expect(m.fixes).toBeGreaterThanOrEqual(1200);
          expect(m.sent).toBeGreaterThanOrEqual(m.fixes);
          for (const k of ['fixesPerS', 'cpuUsPerFix', 'peakRssMb', 'ratioToRaw']) expect(m[k], k).toBeGreaterThan(0);
          // PostgreSQL's and the load generator's CPU (from /proc and the child): numbers, never missing.
          for (const k of ['dbCpuUsPerFix', 'clientCpuUsPerFix']) expect(m[k], k).toBeGreaterThanOrEqual(0);
          expect(m.cpuBoundFixesPerS).toBeGreaterThan(0);
        }
      }
      // Wired: the engine found the buses' trips and started them, in every JT/T 808 measurement of every run (each
      // run's trips are planned for its own fixes; the quick JSON devices send a minute each, which may all fall on a
      // bus still standing at its first stop: JSON only has to start some); bare has no engine and starts none.
      for (const k of ['json', 'jt808', 'jt808Small', 'jt808Many']) {
        const runs: number[] = figures.configs.wired[k].tripsStartedRuns;
        expect(runs, k).toHaveLength(2);
        if (k === 'json') expect(runs[0]! + runs[1]!).toBeGreaterThan(0);
        else for (const n of runs) expect(n, k).toBeGreaterThan(0);
        expect(figures.configs.bare[k].tripsStartedRuns, k).toEqual([0, 0]);
      }
    },
    300_000,
  );
});
