// `npm run eval:eta -- --quick` as a child process: it prints the table and ends with one JSON line whose figures
// are sane, and the three baselines and the estimator come out different (a shared leak — the truth, or one
// method's answer reused for another — would make them agree); the floor (which knows the day) is below them all.
// A bad option is a usage error (exit 2).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/eval-eta.ts', ...args],
      { cwd: root, timeout: 120_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const KEYS = [
  'bench',
  'estimatorMaeS',
  'estimatorMaeSdS',
  'estimatorMaeMinS',
  'estimatorMaeMaxS',
  'estimatorNoHistoryMaeS',
  'estimatorNoHistoryMaeSdS',
  'timetableMaeS',
  'timetableMaeSdS',
  'timetableDelayMaeS',
  'timetableDelayMaeSdS',
  'positionSpeedMaeS',
  'positionSpeedMaeSdS',
  'improvementVsDelayPct',
  'improvementVsDelayMinPct',
  'improvementVsDelayMaxPct',
  'floorMaeS',
  'floorMaeSdS',
  'floorImprovementVsDelayPct',
  'estimatorShareOfFloorGainPct',
  'floorFutures',
  'targetsMet',
  'predictions',
  'seeds',
  'daysPerRoute',
  'historyDays',
  'noiseM',
  'everyS',
  'leadS',
  'windowS',
  'loadStart',
  'loadEnd',
  'elapsedS',
];

describe('npm run eval:eta', () => {
  it('--quick prints the table and one JSON line of sane figures; the methods differ', async () => {
    const r = await run(['--quick']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const json = JSON.parse(lines.at(-1)!) as Record<string, number | string | boolean>;
    expect(Object.keys(json)).toEqual(KEYS);
    expect(json.bench).toBe('eval:eta');
    expect(json.seeds).toBe(5);
    expect(json.noiseM).toBe(30);
    expect(json.everyS).toBe(15);
    expect(json.leadS).toBe(300);
    expect(json.predictions as number).toBeGreaterThan(1000);
    const maes = [
      'estimatorMaeS',
      'estimatorNoHistoryMaeS',
      'timetableMaeS',
      'timetableDelayMaeS',
      'positionSpeedMaeS',
    ].map((k) => json[k] as number);
    for (const m of maes) {
      expect(m).toBeGreaterThan(5); // nobody sees the future
      expect(m).toBeLessThan(600);
    }
    for (let i = 0; i < maes.length; i++)
      for (let j = i + 1; j < maes.length; j++) expect(Math.abs(maes[i]! - maes[j]!)).toBeGreaterThan(0.5);
    // The spread is over seeds that differ.
    expect(json.estimatorMaeMaxS as number).toBeGreaterThan(json.estimatorMaeMinS as number);
    expect(json.estimatorMaeSdS as number).toBeGreaterThan(0);
    // The published timetable knows nothing of today; adding the current delay must help.
    expect(json.timetableMaeS as number).toBeGreaterThan(json.timetableDelayMaeS as number);
    const improvement = (1 - (json.estimatorMaeS as number) / (json.timetableDelayMaeS as number)) * 100;
    expect(json.improvementVsDelayPct as number).toBeCloseTo(improvement, 0);
    expect(json.loadStart as number).toBeGreaterThanOrEqual(0);
    // The floor knows the day (not what is ahead): above zero, below every method that must infer the day.
    expect(json.floorFutures).toBe(51);
    expect(json.floorMaeS as number).toBeGreaterThan(5);
    for (const m of maes) expect(json.floorMaeS as number).toBeLessThan(m);
    const floorImprovement = (1 - (json.floorMaeS as number) / (json.timetableDelayMaeS as number)) * 100;
    expect(json.floorImprovementVsDelayPct as number).toBeCloseTo(floorImprovement, 0);
    expect(r.stdout).toContain('floor: knows the day');
    // The readable table names every method.
    for (const label of [
      'live estimator',
      'timetable as published',
      'timetable + current delay',
      'position + timetable speeds',
    ])
      expect(r.stdout).toContain(label);
  }, 150_000);

  it('a bad option is a usage error (exit 2)', async () => {
    const r = await run(['--seeds', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--seeds must be a number[\s\S]*usage:/);
  }, 60_000);
});
