// job_runs: a job runs once per scope and period. A failed run may be retried; a run stuck in 'running'
// (the process died) is taken over after staleMs.
import { and, eq, lt, or } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { jobRuns } from '../schema';

export async function claimJobRun(
  db: DbOrTx,
  key: { job: string; scope: string; period: string },
  nowMs: number,
  staleMs = 3600_000,
): Promise<boolean> {
  const rows = await db
    .insert(jobRuns)
    .values({ ...key, status: 'running', startedAt: new Date(nowMs) })
    .onConflictDoUpdate({
      target: [jobRuns.job, jobRuns.scope, jobRuns.period],
      set: { status: 'running', startedAt: new Date(nowMs), finishedAt: null, error: null, result: null },
      setWhere: or(
        eq(jobRuns.status, 'failed'),
        and(eq(jobRuns.status, 'running'), lt(jobRuns.startedAt, new Date(nowMs - staleMs))),
      ),
    })
    .returning({ job: jobRuns.job });
  return rows.length > 0;
}

export async function finishJobRun(
  db: DbOrTx,
  key: { job: string; scope: string; period: string },
  nowMs: number,
  outcome: { result?: Record<string, unknown>; error?: string },
) {
  await db
    .update(jobRuns)
    .set({
      status: outcome.error ? 'failed' : 'succeeded',
      finishedAt: new Date(nowMs),
      result: outcome.result ?? null,
      error: outcome.error ?? null,
    })
    .where(and(eq(jobRuns.job, key.job), eq(jobRuns.scope, key.scope), eq(jobRuns.period, key.period)));
}

export async function jobRunsOf(db: DbOrTx, job: string) {
  return db.select().from(jobRuns).where(eq(jobRuns.job, job)).orderBy(jobRuns.scope, jobRuns.period);
}
