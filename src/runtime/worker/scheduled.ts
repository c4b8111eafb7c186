// The Cron Trigger (every minute, wrangler.toml [triggers]): the jobs of the shared schedule table due at this minute
// (`dueJobs`, per school time zone), run as on Node through `runJob` — period jobs are claimed in job_runs, so a
// retried or overlapping invocation does nothing twice. The engine's clock ticks are not here: each bus object's
// alarm ticks its own bus (R7's deviceOffline job has no tick to call on Workers; without an engine runner the sweep
// job writes its alert itself and ends the trip in storage).
//
// What the jobs push live goes where Node's server.ts sends it, through the objects that own the topics:
// - the child-left-on-board alert (sweep job) and case reminders/escalations (case job) → the school's object
//   (`school:<id>`), which stamps them in `school:<id>:violations`'s sequence (SchoolTopicPublisher under Node's
//   liveAlertPublisher / liveCaseEventPublisher);
// - a late trip's "not started" notices (lateness job) → the object of the trip's bus, whose live side stores them
//   and publishes them on `trip:<id>` in that topic's sequence (BusObject.noticeTripNotStarted).
// The invocation lasts until every push was handed over.
import { eq } from 'drizzle-orm';
import { cronMatches } from '../../jobs/cron';
import { type JobOutcome, runJob } from '../../jobs/runner';
import { dueJobs } from '../../jobs/schedule';
import { jobConfig, type JobDeps } from '../../jobs/types';
import type { Logger } from '../../logging';
import type { Database } from '../../store/db';
import { schoolZones } from '../../store/repos/compliance-repo';
import { trips } from '../../store/schema';
import { type BusObjectRpc, busObjectName } from './bus-object-rpc';
import type { DurableObjectNamespace } from './cf';
import { SchoolTopicPublisher, schoolTopicHooks } from './school-topics';

export interface ScheduledDeps {
  database: Database;
  log: Logger;
  /** the BusObject namespace (env.BUS): bus objects and school objects */
  bus: DurableObjectNamespace<BusObjectRpc>;
  defaultTimeZone?: string;
}

/** The lateness job's hook: the trip's bus object tells the trip's guardians (stored once per guardian and trip). */
function tripLateNotices(deps: ScheduledDeps): (tripId: number) => Promise<void> {
  return async (tripId) => {
    const [trip] = await deps.database.db.select({ busId: trips.busId }).from(trips).where(eq(trips.id, tripId));
    if (!trip) return;
    const stub = deps.bus.get(deps.bus.idFromName(busObjectName(trip.busId)));
    try {
      const told = await stub.noticeTripNotStarted(trip.busId, tripId);
      if (told) deps.log.info('trip not started: guardians told', { tripId, busId: trip.busId, notices: told });
    } catch (err) {
      // The other late trips still get theirs; the next run tries this one again (notices are stored once).
      deps.log.error('trip not started notices failed', { tripId, busId: trip.busId, error: String(err) });
    }
  };
}

export async function runScheduled(deps: ScheduledDeps, nowMs: number): Promise<JobOutcome[]> {
  const schoolTopics = new SchoolTopicPublisher(deps.bus, deps.log);
  const jobDeps: JobDeps = {
    database: deps.database,
    log: deps.log,
    ...schoolTopicHooks(schoolTopics),
    onTripLate: tripLateNotices(deps),
    config: deps.defaultTimeZone ? { defaultTimeZone: deps.defaultTimeZone } : undefined,
  };
  const cfg = jobConfig(jobDeps);
  const zones = (await schoolZones(deps.database.db)).map((s) => s.timeZone);
  const out: JobOutcome[] = [];
  try {
    for (const { entry, timeZone } of dueJobs(nowMs, zones, cfg.defaultTimeZone, cronMatches))
      out.push(...(await runJob(jobDeps, entry.job, { nowMs, timeZone })));
  } finally {
    await schoolTopics.settled();
  }
  return out;
}
