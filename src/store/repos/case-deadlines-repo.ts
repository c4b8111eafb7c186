// The store side of case deadlines: cases still without a due date, cases near or past it, the one-time claims
// of a reminder and an escalation (each with its trail entry), who is told, and the staff notices.
import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { schools, staffNotices, users, userSchools, violations } from '../schema';
import { appendCaseAction, type ViolationRow } from './violations-repo';

const active = ['open', 'acknowledged', 'rectifying'] as const;

export interface DeadlineRow {
  id: number;
  /** null: a district-level case */
  schoolId: number | null;
  kind: string;
  severity: 'critical' | 'major' | 'minor';
  status: ViolationRow['status'];
  ownerUserId: number | null;
  /** When the case opened: the start of its episode (the report, the alarm) on the service's clock. */
  startedAt: Date;
  dueAt: Date | null;
  remindedAt: Date | null;
  escalatedAt: Date | null;
  schoolRuleOverrides: Record<string, unknown> | null;
  timeZone: string | null;
}

const deadlineColumns = {
  id: violations.id,
  schoolId: violations.schoolId,
  kind: violations.kind,
  severity: violations.severity,
  status: violations.status,
  ownerUserId: violations.ownerUserId,
  startedAt: violations.startedAt,
  dueAt: violations.dueAt,
  remindedAt: violations.remindedAt,
  escalatedAt: violations.escalatedAt,
  schoolRuleOverrides: schools.ruleOverrides,
  timeZone: schools.timeZone,
};

/** Active cases with no due date yet (oldest first). */
export async function casesWithoutDueDate(db: DbOrTx, limit: number): Promise<DeadlineRow[]> {
  return db
    .select(deadlineColumns)
    .from(violations)
    .leftJoin(schools, eq(schools.id, violations.schoolId))
    .where(and(isNull(violations.dueAt), inArray(violations.status, [...active])))
    .orderBy(asc(violations.id))
    .limit(limit);
}

/** Active, not yet escalated cases due before `untilMs` (the reminder horizon). */
export async function casesDueBy(db: DbOrTx, untilMs: number, limit: number): Promise<DeadlineRow[]> {
  return db
    .select(deadlineColumns)
    .from(violations)
    .leftJoin(schools, eq(schools.id, violations.schoolId))
    .where(
      and(
        isNotNull(violations.dueAt),
        lte(violations.dueAt, new Date(untilMs)),
        isNull(violations.escalatedAt),
        inArray(violations.status, [...active]),
      ),
    )
    .orderBy(asc(violations.dueAt))
    .limit(limit);
}

/** The school overrides of every school (to find the longest reminder lead). */
export async function schoolOverrides(db: DbOrTx): Promise<Record<string, unknown>[]> {
  return (await db.select({ o: schools.ruleOverrides }).from(schools)).map((r) => r.o);
}

/** Sets the due date of a case that has none (a due date someone set meanwhile wins), with its trail entry. */
export async function assignDueDate(db: DbOrTx, id: number, dueAtMs: number, atMs: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(violations)
      .set({ dueAt: new Date(dueAtMs), updatedAt: new Date(atMs) })
      .where(and(eq(violations.id, id), isNull(violations.dueAt), inArray(violations.status, [...active])))
      .returning({ status: violations.status });
    if (!row) return false;
    await appendCaseAction(tx, {
      violationId: id,
      actorUserId: null,
      action: 'assign',
      fromStatus: row.status,
      toStatus: row.status,
      note: `due: none → ${new Date(dueAtMs).toISOString()} (deadline by severity)`,
      atMs,
    });
    return true;
  });
}

/** Marks the reminder as sent; false when it was sent already. */
export async function claimReminder(db: DbOrTx, id: number, atMs: number): Promise<boolean> {
  const rows = await db
    .update(violations)
    .set({ remindedAt: new Date(atMs) })
    .where(and(eq(violations.id, id), isNull(violations.remindedAt)))
    .returning({ id: violations.id });
  return rows.length > 0;
}

/**
 * Escalates an active case once (挂牌督办): sets escalated_at and appends an `escalate` action to the trail (the
 * actor is null for the deadline job). Returns the updated row, or undefined when it was escalated already or is
 * no longer active.
 */
export async function escalateCase(
  db: DbOrTx,
  a: { violationId: number; actorUserId: number | null; note: string; atMs: number },
): Promise<ViolationRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(violations)
      .set({ escalatedAt: new Date(a.atMs), updatedAt: new Date(a.atMs) })
      .where(
        and(eq(violations.id, a.violationId), isNull(violations.escalatedAt), inArray(violations.status, [...active])),
      )
      .returning();
    if (!row) return undefined;
    await appendCaseAction(tx, {
      violationId: row.id,
      actorUserId: a.actorUserId,
      action: 'escalate',
      fromStatus: row.status,
      toStatus: row.status,
      note: a.note,
      atMs: a.atMs,
    });
    return row;
  });
}

/**
 * Enabled managers of a school, and supervisors overseeing it (listed, or over every school). A district-level
 * case (schoolId null) is for the district supervisors and the admins (listed as its managers).
 */
export async function schoolStaff(
  db: DbOrTx,
  schoolId: number | null,
): Promise<{ managers: number[]; supervisors: number[] }> {
  if (schoolId == null) {
    const rows = await db
      .select({ id: users.id, role: users.role })
      .from(users)
      .where(
        and(
          eq(users.disabled, false),
          or(eq(users.role, 'admin'), and(eq(users.role, 'supervisor'), eq(users.allSchools, true))),
        ),
      )
      .orderBy(asc(users.id));
    return {
      managers: rows.filter((r) => r.role === 'admin').map((r) => r.id),
      supervisors: rows.filter((r) => r.role === 'supervisor').map((r) => r.id),
    };
  }
  const listed = db.select({ id: userSchools.userId }).from(userSchools).where(eq(userSchools.schoolId, schoolId));
  const rows = await db
    .select({ id: users.id, role: users.role })
    .from(users)
    .where(
      and(
        eq(users.disabled, false),
        or(
          and(eq(users.role, 'manager'), inArray(users.id, listed)),
          and(eq(users.role, 'supervisor'), or(eq(users.allSchools, true), inArray(users.id, listed))),
        ),
      ),
    )
    .orderBy(asc(users.id));
  return {
    managers: rows.filter((r) => r.role === 'manager').map((r) => r.id),
    supervisors: rows.filter((r) => r.role === 'supervisor').map((r) => r.id),
  };
}

export type NewStaffNotice = typeof staffNotices.$inferInsert;
export type StaffNoticeRow = typeof staffNotices.$inferSelect;

/** Stores notices; one already stored (same dedupe key) is left as it is. Returns the ids of new ones. */
export async function insertStaffNotices(db: DbOrTx, rows: NewStaffNotice[]): Promise<number[]> {
  if (!rows.length) return [];
  const out = await db
    .insert(staffNotices)
    .values(rows)
    .onConflictDoNothing({ target: staffNotices.dedupeKey })
    .returning({ id: staffNotices.id });
  return out.map((r) => r.id);
}

/** A user's notices, newest first, keyset by id. */
export async function listStaffNotices(
  db: DbOrTx,
  userId: number,
  opts: { limit: number; beforeId?: number; unread?: boolean },
): Promise<StaffNoticeRow[]> {
  return db
    .select()
    .from(staffNotices)
    .where(
      and(
        eq(staffNotices.userId, userId),
        opts.beforeId != null ? sql`${staffNotices.id} < ${opts.beforeId}` : undefined,
        opts.unread ? isNull(staffNotices.readAt) : undefined,
      ),
    )
    .orderBy(desc(staffNotices.id))
    .limit(opts.limit);
}

/** Marks one of the user's notices read; false when it is not theirs (or unknown). */
export async function markStaffNoticeRead(db: DbOrTx, userId: number, id: number, atMs: number): Promise<boolean> {
  const rows = await db
    .update(staffNotices)
    .set({ readAt: sql`coalesce(${staffNotices.readAt}, ${new Date(atMs).toISOString()}::timestamptz)` })
    .where(and(eq(staffNotices.id, id), eq(staffNotices.userId, userId)))
    .returning({ id: staffNotices.id });
  return rows.length > 0;
}

export async function staffNoticeExists(db: DbOrTx, id: number): Promise<boolean> {
  return (await db.select({ id: staffNotices.id }).from(staffNotices).where(eq(staffNotices.id, id))).length > 0;
}
