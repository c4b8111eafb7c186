// Dispatch: runs one scheduled job for one time zone at one instant. Per-school jobs run for the schools of that
// zone; runs that cover a period (compliance day, retention day, report period) are claimed in job_runs first,
// so a second run of the same period — a retry, an overlap, a second instance — does nothing.
import { localDate } from '../core/time-zone';
import { generateReport } from '../reports/generate';
import { lastCompletedPeriod, type PeriodKind } from '../reports/period';
import { schoolZones, type SchoolZone } from '../store/repos/compliance-repo';
import { claimJobRun, finishJobRun } from '../store/repos/job-runs-repo';
import { runCaseDeadlines } from './case-deadlines';
import { runComplianceExpiries } from './compliance-expiries';
import { runDeviceOffline } from './device-offline';
import { runDeviceSilence } from './device-silence';
import { noticeReportReady } from './report-notices';
import { runRetention } from './retention';
import type { JobName } from './schedule';
import { checkSweepDeadlines } from './sweep-deadlines';
import { runTripLateness } from './trip-lateness';
import { jobConfig, type JobDeps } from './types';

export interface JobOutcome {
  job: JobName;
  scope: string;
  period?: string;
  status: 'succeeded' | 'failed' | 'skipped';
  result?: Record<string, unknown>;
  error?: string;
}

const reportKinds: Partial<Record<JobName, PeriodKind>> = {
  dailyReport: 'daily',
  weeklyReport: 'weekly',
  monthlyReport: 'monthly',
};

/** Runs the body once for a (job, scope, period); a period already done (or running) is skipped. */
async function once(
  deps: JobDeps,
  job: JobName,
  scope: string,
  period: string,
  nowMs: number,
  body: () => Promise<Record<string, unknown>>,
): Promise<JobOutcome> {
  const db = deps.database.db;
  const key = { job, scope, period };
  if (!(await claimJobRun(db, key, nowMs))) return { job, scope, period, status: 'skipped' };
  try {
    const result = await body();
    await finishJobRun(db, key, nowMs, { result });
    deps.log.info('job done', { job, scope, period, ...result });
    return { job, scope, period, status: 'succeeded', result };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    deps.log.error('job failed', { job, scope, period, error });
    await finishJobRun(db, key, nowMs, { error }).catch(() => {});
    return { job, scope, period, status: 'failed', error };
  }
}

/** Jobs that run every minute with no period to claim: their own writes are idempotent. */
async function everyRun(
  deps: JobDeps,
  job: JobName,
  body: () => Promise<Record<string, unknown>>,
): Promise<JobOutcome> {
  try {
    return { job, scope: 'all', status: 'succeeded', result: await body() };
  } catch (err) {
    deps.log.error('job failed', { job, error: String(err) });
    return { job, scope: 'all', status: 'failed', error: String(err) };
  }
}

/** The schools whose time zone is `timeZone`. */
async function schoolsIn(deps: JobDeps, timeZone: string): Promise<SchoolZone[]> {
  return (await schoolZones(deps.database.db)).filter((s) => s.timeZone === timeZone);
}

export async function runJob(
  deps: JobDeps,
  job: JobName,
  at: { nowMs: number; timeZone: string },
): Promise<JobOutcome[]> {
  const cfg = jobConfig(deps);
  const db = deps.database.db;
  const { nowMs, timeZone } = at;
  switch (job) {
    case 'deviceOffline':
      return [await everyRun(deps, job, () => runDeviceOffline(deps, nowMs))];
    case 'sweepDeadlines':
      return [await everyRun(deps, job, async () => ({ ...(await checkSweepDeadlines(deps, nowMs)) }))];
    case 'caseDeadlines':
      return [await everyRun(deps, job, async () => ({ ...(await runCaseDeadlines(deps, nowMs)) }))];
    case 'deviceSilence':
      return [
        await everyRun(deps, job, async () => {
          const r = await runDeviceSilence(db, nowMs);
          return { checked: r.checked, flagged: r.flagged };
        }),
      ];
    case 'tripLateness':
      return [
        await everyRun(deps, job, async () => {
          const { lateTripIds, ...counts } = await runTripLateness(db, nowMs, cfg);
          for (const tripId of lateTripIds) await deps.onTripLate?.(tripId);
          return counts;
        }),
      ];
    case 'retention':
      return [
        await once(deps, job, 'all', localDate(timeZone, nowMs), nowMs, () => runRetention(deps.database, nowMs, cfg)),
      ];
    case 'complianceExpiries': {
      const out: JobOutcome[] = [];
      for (const school of await schoolsIn(deps, timeZone))
        out.push(
          await once(deps, job, `school:${school.id}`, localDate(timeZone, nowMs), nowMs, () =>
            runComplianceExpiries(db, school, nowMs, cfg.complianceWarnDays),
          ),
        );
      return out;
    }
    case 'dailyReport':
    case 'weeklyReport':
    case 'monthlyReport': {
      const kind = reportKinds[job]!;
      const period = lastCompletedPeriod(kind, nowMs, timeZone);
      const out: JobOutcome[] = [];
      const generate = (schoolId: number | null) => async () => {
        const { row, data } = await generateReport(db, {
          schoolId,
          period,
          nowMs,
          source: 'schedule',
          districtTimeZone: cfg.defaultTimeZone,
          options: cfg.report,
        });
        // Delivered to the supervisors overseeing it (a staff notice each).
        const told = await noticeReportReady(db, {
          id: row.id,
          kind: row.kind,
          periodKey: row.periodKey,
          schoolId,
          schoolName: data.scope.schools[0]?.name,
        });
        return { reportId: row.id, violations: data.violations.total, supervisorsTold: told };
      };
      for (const school of await schoolsIn(deps, timeZone))
        out.push(await once(deps, job, `school:${school.id}`, period.key, nowMs, generate(school.id)));
      // The district report goes with the default zone's run.
      if (timeZone === cfg.defaultTimeZone)
        out.push(await once(deps, job, 'district', period.key, nowMs, generate(null)));
      return out;
    }
  }
}
