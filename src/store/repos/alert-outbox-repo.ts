// The alert outbox: cases that must alert (found by kind, not yet enqueued for an endpoint), leases on due rows,
// and the outcome of each attempt.
import { and, asc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { alertOutbox, buses, schools, violations } from '../schema';

export type AlertOutboxRow = typeof alertOutbox.$inferSelect;

/** Cases of the alerting kinds created since `sinceMs` that have no outbox row for `endpoint` yet. */
export async function casesToAlert(
  db: DbOrTx,
  endpoint: string,
  kinds: readonly string[],
  sinceMs: number,
  limit: number,
) {
  return db
    .select({
      id: violations.id,
      kind: violations.kind,
      severity: violations.severity,
      status: violations.status,
      schoolId: violations.schoolId,
      school: schools.name,
      busId: violations.busId,
      plate: buses.plate,
      tripId: violations.tripId,
      startedAt: violations.startedAt,
      lat: violations.startLat,
      lon: violations.startLon,
      evidence: violations.evidence,
    })
    .from(violations)
    .leftJoin(schools, eq(schools.id, violations.schoolId))
    .leftJoin(buses, eq(buses.id, violations.busId))
    .where(
      and(
        gte(violations.createdAt, new Date(sinceMs)),
        or(
          inArray(violations.kind, [...kinds]),
          and(eq(violations.kind, 'hazardReport'), sql`${violations.evidence}->>'possibleUnlicensedBus' = 'true'`),
        ),
        sql`not exists (select 1 from ${alertOutbox} o where o.violation_id = ${violations.id} and o.endpoint = ${endpoint})`,
      ),
    )
    .orderBy(asc(violations.id))
    .limit(limit);
}

export async function enqueueAlerts(
  db: DbOrTx,
  rows: { endpoint: string; violationId: number; alertId: string; body: string; atMs: number }[],
): Promise<number> {
  if (!rows.length) return 0;
  const out = await db
    .insert(alertOutbox)
    .values(rows.map((r) => ({ ...r, nextAttemptAt: new Date(r.atMs), createdAt: new Date(r.atMs) })))
    .onConflictDoNothing()
    .returning({ id: alertOutbox.alertId });
  return out.length;
}

/**
 * Takes up to `limit` due rows of one endpoint for an attempt: each row's next attempt moves to now + leaseMs, so
 * another dispatcher (or this one after a restart) takes it again only once the lease has run out.
 */
export async function leaseDue(
  db: DbOrTx,
  endpoint: string,
  nowMs: number,
  leaseMs: number,
  limit: number,
): Promise<AlertOutboxRow[]> {
  const due = await db
    .select({ violationId: alertOutbox.violationId, nextAttemptAt: alertOutbox.nextAttemptAt })
    .from(alertOutbox)
    .where(
      and(
        eq(alertOutbox.endpoint, endpoint),
        isNull(alertOutbox.deliveredAt),
        lte(alertOutbox.nextAttemptAt, new Date(nowMs)),
      ),
    )
    .orderBy(asc(alertOutbox.nextAttemptAt), asc(alertOutbox.violationId))
    .limit(limit);
  const leased: AlertOutboxRow[] = [];
  for (const d of due) {
    const [row] = await db
      .update(alertOutbox)
      .set({ nextAttemptAt: new Date(nowMs + leaseMs), attempts: sql`${alertOutbox.attempts} + 1` })
      .where(
        and(
          eq(alertOutbox.endpoint, endpoint),
          eq(alertOutbox.violationId, d.violationId),
          isNull(alertOutbox.deliveredAt),
          eq(alertOutbox.nextAttemptAt, d.nextAttemptAt),
        ),
      )
      .returning();
    if (row) leased.push(row);
  }
  return leased;
}

export async function markDelivered(db: DbOrTx, endpoint: string, violationId: number, atMs: number, status: number) {
  await db
    .update(alertOutbox)
    .set({ deliveredAt: new Date(atMs), lastStatus: status, lastError: null })
    .where(and(eq(alertOutbox.endpoint, endpoint), eq(alertOutbox.violationId, violationId)));
}

export async function markFailed(
  db: DbOrTx,
  a: { endpoint: string; violationId: number; retryAtMs: number; status: number | null; error: string },
) {
  await db
    .update(alertOutbox)
    .set({ nextAttemptAt: new Date(a.retryAtMs), lastStatus: a.status, lastError: a.error.slice(0, 500) })
    .where(
      and(
        eq(alertOutbox.endpoint, a.endpoint),
        eq(alertOutbox.violationId, a.violationId),
        isNull(alertOutbox.deliveredAt),
      ),
    );
}

/**
 * Hands leased rows back at once (a graceful stop): the next process sends them without waiting for the lease to
 * run out. `untried` rows were leased but never sent, so their attempt is not counted.
 */
export async function releaseLeases(
  db: DbOrTx,
  endpoint: string,
  rows: { violationId: number; untried: boolean }[],
  atMs: number,
) {
  for (const r of rows) {
    await db
      .update(alertOutbox)
      .set({
        nextAttemptAt: new Date(atMs),
        ...(r.untried ? { attempts: sql`greatest(${alertOutbox.attempts} - 1, 0)` } : {}),
      })
      .where(
        and(
          eq(alertOutbox.endpoint, endpoint),
          eq(alertOutbox.violationId, r.violationId),
          isNull(alertOutbox.deliveredAt),
        ),
      );
  }
}
