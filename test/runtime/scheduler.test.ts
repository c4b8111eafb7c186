// The Node scheduler: node-cron tasks per job and school time zone, next runs as the schedule table says, stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextRuns } from '../../src/jobs/cron';
import { silentLogger } from '../../src/logging';
import { startScheduler } from '../../src/runtime/node/scheduler';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.query(
    `insert into schools (name, time_zone) values ('East', 'Asia/Shanghai'), ('West', 'Asia/Urumqi')`,
  );
});
afterAll(() => database.close());

describe('startScheduler', () => {
  it('schedules every job in each school’s zone, with node-cron agreeing on the next run', async () => {
    const s = startScheduler({ database, log: silentLogger });
    await s.ready;
    try {
      const names = s
        .tasks()
        .map((x) => `${x.job}@${x.timeZone}`)
        .sort();
      expect(names).toContain('dailyReport@Asia/Urumqi');
      expect(names).toContain('dailyReport@Asia/Shanghai');
      expect(names.filter((n) => n.startsWith('tripLateness'))).toEqual(['tripLateness@Asia/Shanghai']);
      expect(names).toHaveLength(6 + 4 * 2);
      for (const x of s.tasks()) {
        const before = Date.now();
        const next = x.task.getNextRun()!.getTime();
        // Computed from the same instant (allowing for a minute boundary passing in between).
        const mine = [
          nextRuns(x.cron, before - 1000, x.timeZone, 1)[0],
          nextRuns(x.cron, Date.now(), x.timeZone, 1)[0],
        ];
        expect(mine, `${x.job}@${x.timeZone}`).toContain(next);
      }
    } finally {
      await s.stop();
    }
    expect(s.tasks()).toEqual([]);
  });
});
