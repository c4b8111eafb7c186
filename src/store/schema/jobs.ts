// Scheduled job bookkeeping: one row per job, scope and period, so a re-run of the same period does nothing.
import { index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { tsz } from './columns';

export const jobRunStatuses = ['running', 'succeeded', 'failed'] as const;

export const jobRuns = pgTable(
  'job_runs',
  {
    /** Job name from the schedule table (dailyReport, complianceExpiries…). */
    job: text('job').notNull(),
    /** 'school:<id>', 'district' or 'all'. */
    scope: text('scope').notNull(),
    /** The period the run covers, in the scope's time zone: 2026-09-01, 2026-W36, 2026-09. */
    period: text('period').notNull(),
    status: text('status', { enum: jobRunStatuses }).notNull(),
    startedAt: tsz('started_at').notNull(),
    finishedAt: tsz('finished_at'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    error: text('error'),
  },
  (t) => [
    primaryKey({ name: 'job_runs_pk', columns: [t.job, t.scope, t.period] }),
    index('job_runs_started_idx').on(t.startedAt),
  ],
);
