// Runs the schedule table with node-cron: one task per (job, time zone), in each school's zone, never overlapping
// itself. Jobs get the clock from deps.now; what they do is in src/jobs.
import cron, { type ScheduledTask } from 'node-cron';
import { runJob } from '../../jobs/runner';
import { schedule, type ScheduleEntry } from '../../jobs/schedule';
import { jobConfig, type JobDeps } from '../../jobs/types';
import { schoolZones } from '../../store/repos/compliance-repo';

export interface SchedulerDeps extends JobDeps {
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
  /** How often new school time zones are picked up (default 10 min). */
  zoneRefreshMs?: number;
  table?: readonly ScheduleEntry[];
}

export interface Scheduler {
  stop(): Promise<void>;
  /** Resolves once the tasks for the current schools are scheduled. */
  ready: Promise<void>;
  tasks(): { job: string; timeZone: string; cron: string; task: ScheduledTask }[];
}

/** The (entry, zone) pairs to schedule: per-school jobs in every zone, global jobs in the default zone. */
export function plannedTasks(
  table: readonly ScheduleEntry[],
  zones: string[],
  defaultZone: string,
): { entry: ScheduleEntry; timeZone: string }[] {
  const all = [...new Set([defaultZone, ...zones])].sort();
  return table.flatMap((entry) =>
    entry.scope === 'global' ? [{ entry, timeZone: defaultZone }] : all.map((timeZone) => ({ entry, timeZone })),
  );
}

export function startScheduler(deps: SchedulerDeps): Scheduler {
  const now = deps.now ?? Date.now;
  const cfg = jobConfig(deps);
  const table = deps.table ?? schedule;
  const running = new Map<string, { job: string; timeZone: string; cron: string; task: ScheduledTask }>();
  let stopped = false;

  const sync = async () => {
    const zones = (await schoolZones(deps.database.db)).map((s) => s.timeZone);
    if (stopped) return;
    for (const { entry, timeZone } of plannedTasks(table, zones, cfg.defaultTimeZone)) {
      const name = `${entry.job}@${timeZone}`;
      if (running.has(name)) continue;
      const task = cron.schedule(
        entry.cron,
        async () => {
          await runJob(deps, entry.job, { nowMs: now(), timeZone });
        },
        { timezone: timeZone, name, noOverlap: true },
      );
      running.set(name, { job: entry.job, timeZone, cron: entry.cron, task });
    }
  };

  const ready = sync().catch((err) =>
    deps.log.error('scheduler could not load school time zones', { error: String(err) }),
  );
  const refresh = setInterval(
    () => void sync().catch((err) => deps.log.warn('scheduler zone refresh failed', { error: String(err) })),
    deps.zoneRefreshMs ?? 600_000,
  );
  refresh.unref();

  return {
    ready: ready.then(() => undefined),
    tasks: () => [...running.values()],
    async stop() {
      stopped = true;
      clearInterval(refresh);
      await ready;
      for (const t of running.values()) await t.task.destroy();
      running.clear();
    },
  };
}
