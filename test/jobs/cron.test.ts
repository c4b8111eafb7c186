// The schedule fires in each school's time zone: next run times from the table for a given instant and zone,
// the dispatch function, and node-cron agreeing with both.
import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronMatches, nextRuns, parseCron } from '../../src/jobs/cron';
import { dueJobs, schedule } from '../../src/jobs/schedule';
import { plannedTasks } from '../../src/runtime/node/scheduler';
import {
  lastCompletedPeriod,
  parsePeriodKey,
  periodContaining,
  periodWindow,
  previousPeriod,
} from '../../src/reports/period';

const entry = (job: string) => schedule.find((e) => e.job === job)!;
const iso = (ms: number) => new Date(ms).toISOString();

describe('cron expressions in a time zone', () => {
  it('runs the daily report at 00:15 Shanghai time, which is 16:15 UTC the day before', () => {
    const at = Date.UTC(2026, 8, 1, 12, 0, 0); // 20:00 in Shanghai
    expect(nextRuns(entry('dailyReport').cron, at, 'Asia/Shanghai', 3).map(iso)).toEqual([
      '2026-09-01T16:15:00.000Z',
      '2026-09-02T16:15:00.000Z',
      '2026-09-03T16:15:00.000Z',
    ]);
    // The same table entry for a school in Urumqi (UTC+6) runs two hours later in UTC.
    expect(nextRuns(entry('dailyReport').cron, at, 'Asia/Urumqi', 1).map(iso)).toEqual(['2026-09-01T18:15:00.000Z']);
  });

  it('runs the weekly report on Monday 00:30 local and the monthly one on the 1st at 00:45 local', () => {
    const at = Date.UTC(2026, 8, 2, 0, 0, 0); // Wed 2 Sep 2026, 08:00 Shanghai
    expect(nextRuns(entry('weeklyReport').cron, at, 'Asia/Shanghai', 2).map(iso)).toEqual([
      '2026-09-06T16:30:00.000Z',
      '2026-09-13T16:30:00.000Z',
    ]);
    expect(nextRuns(entry('monthlyReport').cron, at, 'Asia/Shanghai', 2).map(iso)).toEqual([
      '2026-09-30T16:45:00.000Z',
      '2026-10-31T16:45:00.000Z',
    ]);
  });

  it('follows daylight saving time where a zone has it', () => {
    // Sydney: AEST (+10) until 4 Oct 2026 02:00 local, then AEDT (+11): 06:00 moves from 20:00 to 19:00 UTC.
    const runs = nextRuns('0 6 * * *', Date.UTC(2026, 9, 2, 0, 0, 0), 'Australia/Sydney', 3).map(iso);
    expect(runs).toEqual(['2026-10-02T20:00:00.000Z', '2026-10-03T19:00:00.000Z', '2026-10-04T19:00:00.000Z']);
  });

  it('parses lists, ranges and steps, and refuses malformed expressions', () => {
    const c = parseCron('*/15 8-10,14 1 * 1-5');
    expect([...c.minute]).toEqual([0, 15, 30, 45]);
    expect([...c.hour]).toEqual([8, 9, 10, 14]);
    expect(c.dayOr).toBe(true);
    expect(parseCron('0 0 * * 7').dayOfWeek.has(0)).toBe(true);
    for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', 'a * * * *', '*/0 * * * *', '5-2 * * * *'])
      expect(() => parseCron(bad), bad).toThrow();
  });

  it('agrees with node-cron on every table entry in several zones', () => {
    const zones = ['Asia/Shanghai', 'Asia/Urumqi', 'Australia/Brisbane', 'Europe/Berlin'];
    const start = Date.UTC(2026, 8, 28, 0, 0, 0);
    for (const e of schedule) {
      if (e.cron === '* * * * *') continue;
      for (const zone of zones) {
        const task = cron.createTask(e.cron, () => {}, { timezone: zone });
        const runs = nextRuns(e.cron, start, zone, 3);
        for (const r of runs) expect(task.match(new Date(r)), `${e.job} ${zone} ${iso(r)}`).toBe(true);
        // …and the minutes between two runs do not match.
        expect(task.match(new Date(runs[0]! + 60_000))).toBe(false);
        void task.destroy();
      }
    }
  });
});

describe('dispatch', () => {
  const zones = ['Asia/Shanghai', 'Asia/Urumqi'];
  const due = (ms: number) =>
    dueJobs(ms, zones, 'Asia/Shanghai', cronMatches).map((d) => `${d.entry.job}@${d.timeZone}`);

  it('gives the minute jobs every minute, once, in the default zone', () => {
    expect(due(Date.UTC(2026, 8, 1, 3, 7, 0))).toEqual([
      'deviceOffline@Asia/Shanghai',
      'tripLateness@Asia/Shanghai',
      'sweepDeadlines@Asia/Shanghai',
      'caseDeadlines@Asia/Shanghai',
    ]);
  });

  it('gives each zone its daily jobs at its own local time', () => {
    // 2026-09-01 16:15 UTC = 00:15 on 2 Sep in Shanghai (18:15 is 00:15 in Urumqi).
    expect(due(Date.UTC(2026, 8, 1, 16, 15, 30))).toContain('dailyReport@Asia/Shanghai');
    expect(due(Date.UTC(2026, 8, 1, 16, 15, 30))).not.toContain('dailyReport@Asia/Urumqi');
    expect(due(Date.UTC(2026, 8, 1, 18, 15, 0))).toContain('dailyReport@Asia/Urumqi');
    expect(due(Date.UTC(2026, 8, 1, 22, 0, 0))).toEqual([
      'deviceOffline@Asia/Shanghai',
      'tripLateness@Asia/Shanghai',
      'sweepDeadlines@Asia/Shanghai',
      'caseDeadlines@Asia/Shanghai',
      'deviceSilence@Asia/Shanghai',
      'complianceExpiries@Asia/Shanghai',
    ]);
    expect(due(Date.UTC(2026, 8, 1, 19, 30, 0))).toContain('retention@Asia/Shanghai');
  });

  it('plans one node-cron task per per-school job and zone, and one per global job', () => {
    const planned = plannedTasks(schedule, ['Asia/Urumqi', 'Asia/Shanghai', 'Asia/Urumqi'], 'Asia/Shanghai').map(
      (p) => `${p.entry.job}@${p.timeZone}`,
    );
    expect(planned.filter((p) => p.startsWith('dailyReport'))).toEqual([
      'dailyReport@Asia/Shanghai',
      'dailyReport@Asia/Urumqi',
    ]);
    expect(planned.filter((p) => p.startsWith('retention'))).toEqual(['retention@Asia/Shanghai']);
    expect(planned).toHaveLength(6 + 4 * 2);
  });
});

describe('report periods', () => {
  it('parses day, ISO week and month keys', () => {
    expect(parsePeriodKey('2026-09-01')).toEqual({
      kind: 'daily',
      key: '2026-09-01',
      startDate: '2026-09-01',
      endDate: '2026-09-02',
    });
    expect(parsePeriodKey('2026-W36')).toEqual({
      kind: 'weekly',
      key: '2026-W36',
      startDate: '2026-08-31',
      endDate: '2026-09-07',
    });
    expect(parsePeriodKey('2026-W01')!.startDate).toBe('2025-12-29');
    expect(parsePeriodKey('2020-W53')!.startDate).toBe('2020-12-28');
    expect(parsePeriodKey('2026-12')).toEqual({
      kind: 'monthly',
      key: '2026-12',
      startDate: '2026-12-01',
      endDate: '2027-01-01',
    });
    expect(parsePeriodKey('2026-H1')).toEqual({
      kind: 'halfYear',
      key: '2026-H1',
      startDate: '2026-01-01',
      endDate: '2026-07-01',
    });
    expect(parsePeriodKey('2026-H2')).toMatchObject({ startDate: '2026-07-01', endDate: '2027-01-01' });
    expect(parsePeriodKey('2026')).toEqual({
      kind: 'yearly',
      key: '2026',
      startDate: '2026-01-01',
      endDate: '2027-01-01',
    });
    expect(previousPeriod(parsePeriodKey('2026-H1')!).key).toBe('2025-H2');
    expect(previousPeriod(parsePeriodKey('2026')!).key).toBe('2025');
    for (const bad of ['2026-02-30', '2026-W54', '2025-W53', '2026-13', 'yesterday', '2026-H3', '2026-H0', '20266'])
      expect(parsePeriodKey(bad), bad).toBeUndefined();
  });

  it('finds the last completed period in the zone and its window', () => {
    const at = Date.UTC(2026, 8, 1, 16, 15, 0); // 00:15 on 2 Sep in Shanghai, still 1 Sep in UTC
    expect(lastCompletedPeriod('daily', at, 'Asia/Shanghai').key).toBe('2026-09-01');
    expect(lastCompletedPeriod('daily', at, 'UTC').key).toBe('2026-08-31');
    expect(lastCompletedPeriod('weekly', Date.UTC(2026, 8, 6, 16, 30), 'Asia/Shanghai').key).toBe('2026-W36');
    expect(lastCompletedPeriod('monthly', Date.UTC(2026, 8, 30, 16, 45), 'Asia/Shanghai').key).toBe('2026-09');
    const w = periodWindow(periodContaining('daily', '2026-09-01'), 'Asia/Shanghai');
    expect([iso(w.fromMs), iso(w.toMs)]).toEqual(['2026-08-31T16:00:00.000Z', '2026-09-01T16:00:00.000Z']);
    expect(previousPeriod(parsePeriodKey('2026-01')!).key).toBe('2025-12');
    expect(previousPeriod(parsePeriodKey('2026-W01')!).key).toBe('2025-W52');
  });
});
