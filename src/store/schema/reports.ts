// Generated reports (daily, weekly, monthly; per school or for the district), stored when generated.
import { date, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { schools } from './schools';
import { users } from './users';

export const reportKinds = ['daily', 'weekly', 'monthly', 'halfYear', 'yearly'] as const;

export const reports = pgTable(
  'reports',
  {
    id: id(),
    kind: text('kind', { enum: reportKinds }).notNull(),
    /** The school, or null for the district (every school). */
    schoolId: integer('school_id').references(() => schools.id, { onDelete: 'cascade' }),
    /** 'school:<id>' or 'district': one report per scope, kind and period (regenerating replaces it). */
    scope: text('scope').notNull(),
    /** 2026-09-01 (daily), 2026-W36 (ISO week), 2026-09 (month), 2026-H1 (half year, term), 2026 (year). */
    periodKey: text('period_key').notNull(),
    /** Local dates in the report's time zone; the period is [periodStart, periodEnd). */
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    timeZone: text('time_zone').notNull(),
    generatedAt: tsz('generated_at').notNull(),
    /** 'schedule', 'api' or 'cli'. */
    source: text('source').notNull(),
    requestedByUserId: integer('requested_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('reports_scope_kind_period_uq').on(t.scope, t.kind, t.periodKey),
    index('reports_school_idx').on(t.schoolId, t.periodStart),
  ],
);
