// Violations (one row per episode, updated in place) and their append-only case trail.
import { doublePrecision, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz, updatedAt } from './columns';
import { buses } from './buses';
import { routes } from './routes';
import { schools } from './schools';
import { drivers } from './staff';
import { trips } from './trips';
import { users } from './users';

export const severities = ['critical', 'major', 'minor'] as const;
export const caseStatuses = ['open', 'acknowledged', 'rectifying', 'closed', 'dismissed'] as const;

export const violations = pgTable(
  'violations',
  {
    id: id(),
    /** Stable episode id from the engine: replays and restarts update the same row. */
    episodeKey: text('episode_key').notNull().unique(),
    kind: text('kind').notNull(),
    severity: text('severity', { enum: severities }).notNull(),
    status: text('status', { enum: caseStatuses }).notNull().default('open'),
    /** The school that owns the case; null for a district-level case (a report about an unknown plate). */
    schoolId: integer('school_id').references(() => schools.id),
    busId: integer('bus_id').references(() => buses.id),
    tripId: integer('trip_id').references(() => trips.id, { onDelete: 'set null' }),
    driverId: integer('driver_id').references(() => drivers.id),
    routeId: integer('route_id').references(() => routes.id),
    startedAt: tsz('started_at').notNull(),
    endedAt: tsz('ended_at'),
    peakValue: doublePrecision('peak_value'),
    limitValue: doublePrecision('limit_value'),
    startLat: doublePrecision('start_lat'),
    startLon: doublePrecision('start_lon'),
    endLat: doublePrecision('end_lat'),
    endLon: doublePrecision('end_lon'),
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull().default({}),
    ownerUserId: integer('owner_user_id').references(() => users.id),
    dueAt: tsz('due_at'),
    resolutionReason: text('resolution_reason'),
    /** The reminder before the due date went out (once). */
    remindedAt: tsz('reminded_at'),
    /** Escalated (挂牌督办): overdue and still active, or escalated by hand; never cleared. */
    escalatedAt: tsz('escalated_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('violations_school_started_idx').on(t.schoolId, t.startedAt),
    index('violations_bus_started_idx').on(t.busId, t.startedAt),
    index('violations_status_idx').on(t.status),
    index('violations_due_idx').on(t.dueAt),
  ],
);

export const caseActions = pgTable(
  'case_actions',
  {
    id: id(),
    violationId: integer('violation_id')
      .notNull()
      .references(() => violations.id, { onDelete: 'cascade' }),
    actorUserId: integer('actor_user_id').references(() => users.id),
    action: text('action').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status'),
    note: text('note'),
    at: createdAt(),
  },
  (t) => [index('case_actions_violation_idx').on(t.violationId, t.at)],
);
