// The Cron Trigger (every minute, wrangler.toml [triggers]): the jobs of the shared schedule table due at this minute
// (`dueJobs`, per school time zone), run as on Node through `runJob` — period jobs are claimed in job_runs, so a
// retried or overlapping invocation does nothing twice. The engine's clock ticks are not here: each bus object's
// alarm ticks its own bus (R7's deviceOffline job has no tick to call on Workers).
import { cronMatches } from '../../jobs/cron';
import { type JobOutcome, runJob } from '../../jobs/runner';
import { dueJobs } from '../../jobs/schedule';
import { jobConfig, type JobDeps } from '../../jobs/types';
import type { Logger } from '../../logging';
import type { Database } from '../../store/db';
import { schoolZones } from '../../store/repos/compliance-repo';

export async function runScheduled(
  deps: { database: Database; log: Logger; defaultTimeZone?: string },
  nowMs: number,
): Promise<JobOutcome[]> {
  const jobDeps: JobDeps = {
    database: deps.database,
    log: deps.log,
    config: deps.defaultTimeZone ? { defaultTimeZone: deps.defaultTimeZone } : undefined,
  };
  const cfg = jobConfig(jobDeps);
  const zones = (await schoolZones(deps.database.db)).map((s) => s.timeZone);
  const out: JobOutcome[] = [];
  for (const { entry, timeZone } of dueJobs(nowMs, zones, cfg.defaultTimeZone, cronMatches))
    out.push(...(await runJob(jobDeps, entry.job, { nowMs, timeZone })));
  return out;
}
