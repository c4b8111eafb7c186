// Attendant work on a trip: the trip with what scope checks need, boarding records (idempotent by client id),
// counts, rider assignments, the minor wrong-bus/wrong-stop violations, and the end-of-trip sweep.
import { and, asc, desc, eq, gt, inArray, isNull, lte, max, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import {
  boardingRecords,
  buses,
  routes,
  schools,
  stopEvents,
  stops,
  students,
  trips,
  tripSweeps,
  violations,
} from '../schema';

export type TripRow = typeof trips.$inferSelect;
export type BoardingRow = typeof boardingRecords.$inferSelect;
export type SweepRow = typeof tripSweeps.$inferSelect;
export type StopRow = typeof stops.$inferSelect;

export interface TripForAttendance {
  trip: TripRow;
  timeZone: string;
  approvedCapacity: number;
  plate: string;
  routePeriod: 'morning' | 'afternoon' | 'other';
  schoolRuleOverrides: Record<string, unknown>;
}

export async function tripForAttendance(db: DbOrTx, tripId: number): Promise<TripForAttendance | undefined> {
  const [row] = await db
    .select({
      trip: trips,
      timeZone: schools.timeZone,
      approvedCapacity: buses.approvedCapacity,
      plate: buses.plate,
      routePeriod: routes.period,
      schoolRuleOverrides: schools.ruleOverrides,
    })
    .from(trips)
    .innerJoin(schools, eq(schools.id, trips.schoolId))
    .innerJoin(buses, eq(buses.id, trips.busId))
    .innerJoin(routes, eq(routes.id, trips.routeId))
    .where(eq(trips.id, tripId));
  return row;
}

/** Sets the attendant's check-in time once; returns the stored time (the first check-in wins). */
export async function checkInAttendant(db: DbOrTx, tripId: number, atMs: number): Promise<Date> {
  const [set] = await db
    .update(trips)
    .set({ attendantCheckedInAt: new Date(atMs), updatedAt: sql`now()` })
    .where(and(eq(trips.id, tripId), isNull(trips.attendantCheckedInAt)))
    .returning({ at: trips.attendantCheckedInAt });
  if (set?.at) return set.at;
  const [row] = await db.select({ at: trips.attendantCheckedInAt }).from(trips).where(eq(trips.id, tripId));
  return row!.at!;
}

export async function routeStops(db: DbOrTx, routeId: number): Promise<StopRow[]> {
  return db.select().from(stops).where(eq(stops.routeId, routeId)).orderBy(asc(stops.sequence));
}

export async function schoolStudentsByIds(db: DbOrTx, schoolId: number, ids: number[]) {
  if (!ids.length) return [];
  return db
    .select({ id: students.id, name: students.name, cardId: students.cardId })
    .from(students)
    .where(and(eq(students.schoolId, schoolId), inArray(students.id, ids)));
}

export async function schoolStudentsByCards(db: DbOrTx, schoolId: number, cardIds: string[]) {
  if (!cardIds.length) return [];
  return db
    .select({ id: students.id, name: students.name, cardId: students.cardId })
    .from(students)
    .where(and(eq(students.schoolId, schoolId), inArray(students.cardId, cardIds)));
}

/** The stop each student uses on the route (students without a row are not assigned to it). */
export type NewBoardingRecord = Omit<typeof boardingRecords.$inferInsert, 'id' | 'createdAt'>;

/** Inserts the records not yet known for the trip; returns the client ids actually inserted. */
export async function insertBoardingRecords(db: DbOrTx, rows: NewBoardingRecord[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const inserted = await db
    .insert(boardingRecords)
    .values(rows)
    .onConflictDoNothing({ target: [boardingRecords.tripId, boardingRecords.clientId] })
    .returning({ clientId: boardingRecords.clientId });
  return new Set(inserted.map((r) => r.clientId));
}

export async function listBoardingRecords(db: DbOrTx, tripId: number): Promise<BoardingRow[]> {
  return db
    .select()
    .from(boardingRecords)
    .where(eq(boardingRecords.tripId, tripId))
    .orderBy(asc(boardingRecords.recordedAt), asc(boardingRecords.clientId));
}

export interface BoardingTotals {
  records: number;
  boarded: number;
  alighted: number;
  /** boarded − got off over every record of the trip */
  onboard: number;
}

export async function boardingTotals(db: DbOrTx, tripId: number): Promise<BoardingTotals> {
  const [row] = await db
    .select({
      records: sql<number>`count(*)::int`,
      boarded: sql<number>`coalesce(sum(${boardingRecords.boarded}), 0)::int`,
      alighted: sql<number>`coalesce(sum(${boardingRecords.alighted}), 0)::int`,
    })
    .from(boardingRecords)
    .where(eq(boardingRecords.tripId, tripId));
  const boarded = Number(row?.boarded ?? 0);
  const alighted = Number(row?.alighted ?? 0);
  return { records: Number(row?.records ?? 0), boarded, alighted, onboard: boarded - alighted };
}

/** A violation the attendant screen raises itself (not an engine episode): one row per stable key. */
export interface ManualViolation {
  episodeKey: string;
  kind: string;
  severity: 'critical' | 'major' | 'minor';
  trip: TripRow;
  atMs: number;
  lat?: number | null;
  lon?: number | null;
  peakValue?: number | null;
  limitValue?: number | null;
  evidence: Record<string, unknown>;
}

/** Inserts the violation unless its key exists; returns the row id and whether it is new. */
export async function raiseManualViolation(db: DbOrTx, v: ManualViolation): Promise<{ id: number; created: boolean }> {
  const at = new Date(v.atMs);
  const [row] = await db
    .insert(violations)
    .values({
      episodeKey: v.episodeKey,
      kind: v.kind,
      severity: v.severity,
      schoolId: v.trip.schoolId,
      busId: v.trip.busId,
      tripId: v.trip.id,
      routeId: v.trip.routeId,
      driverId: v.trip.driverId,
      startedAt: at,
      endedAt: at,
      peakValue: v.peakValue ?? null,
      limitValue: v.limitValue ?? null,
      startLat: v.lat ?? null,
      startLon: v.lon ?? null,
      evidence: { ...v.evidence, episodeStatus: 'closed', lastMs: v.atMs },
    })
    .onConflictDoNothing({ target: violations.episodeKey })
    .returning({ id: violations.id });
  if (row) return { id: row.id, created: true };
  const [existing] = await db
    .select({ id: violations.id })
    .from(violations)
    .where(eq(violations.episodeKey, v.episodeKey));
  return { id: existing!.id, created: false };
}

export async function tripViolations(db: DbOrTx, tripId: number, kinds: string[]) {
  return db
    .select()
    .from(violations)
    .where(and(eq(violations.tripId, tripId), inArray(violations.kind, kinds)))
    .orderBy(asc(violations.id));
}

/** The trip's child-left-on-board alerts, newest first. */
export async function leftOnBoardAlerts(db: DbOrTx, tripId: number) {
  return db
    .select()
    .from(violations)
    .where(and(eq(violations.tripId, tripId), eq(violations.kind, 'childLeftOnBoard')))
    .orderBy(desc(violations.id));
}

export async function getSweep(db: DbOrTx, tripId: number): Promise<SweepRow | undefined> {
  const [row] = await db.select().from(tripSweeps).where(eq(tripSweeps.tripId, tripId));
  return row;
}

/** Records the sweep confirmation unless one exists; returns the row when this call recorded it. */
export async function claimSweepConfirmation(
  db: DbOrTx,
  s: { tripId: number; atMs: number; userId: number; confirmedEmpty: boolean; onboard: number; note?: string },
): Promise<SweepRow | undefined> {
  const values = {
    tripId: s.tripId,
    confirmedAt: new Date(s.atMs),
    confirmedByUserId: s.userId,
    confirmedEmpty: s.confirmedEmpty,
    onboardAtConfirm: s.onboard,
    note: s.note ?? null,
  };
  const [row] = await db
    .insert(tripSweeps)
    .values(values)
    .onConflictDoUpdate({
      target: tripSweeps.tripId,
      set: {
        confirmedAt: values.confirmedAt,
        confirmedByUserId: s.userId,
        confirmedEmpty: s.confirmedEmpty,
        onboardAtConfirm: s.onboard,
        note: values.note,
        updatedAt: sql`now()`,
      },
      setWhere: isNull(tripSweeps.confirmedAt),
    })
    .returning();
  return row;
}

/**
 * Marks the trip's alert as raised unless it already was. With `onlyUnconfirmed` (the deadline job) it also
 * yields when a confirmation arrived meanwhile. Returns true when this call claimed the alert.
 */
export async function claimSweepAlert(
  db: DbOrTx,
  a: { tripId: number; atMs: number; reason: SweepRow['alertReason']; onlyUnconfirmed: boolean },
): Promise<boolean> {
  const at = new Date(a.atMs);
  const rows = await db
    .insert(tripSweeps)
    .values({ tripId: a.tripId, alertRaisedAt: at, alertReason: a.reason })
    .onConflictDoUpdate({
      target: tripSweeps.tripId,
      set: { alertRaisedAt: at, alertReason: a.reason, updatedAt: sql`now()` },
      setWhere: a.onlyUnconfirmed
        ? and(isNull(tripSweeps.alertRaisedAt), isNull(tripSweeps.confirmedAt))
        : isNull(tripSweeps.alertRaisedAt),
    })
    .returning({ tripId: tripSweeps.tripId });
  return rows.length > 0;
}

/** Gives back a claimed alert whose raising failed, so the next deadline check raises it. */
export async function releaseSweepAlert(db: DbOrTx, tripId: number): Promise<void> {
  await db
    .update(tripSweeps)
    .set({ alertRaisedAt: null, alertReason: null, updatedAt: sql`now()` })
    .where(eq(tripSweeps.tripId, tripId));
}

export interface AwaitingSweep {
  tripId: number;
  busId: number;
  schoolId: number;
  status: TripRow['status'];
  arrivedAt: Date;
  schoolRuleOverrides: Record<string, unknown>;
}

/**
 * Trips that arrived at their route's final stop in (sinceMs, untilMs] and have neither a sweep confirmation
 * nor a raised alert.
 */
export async function tripsAwaitingSweep(db: DbOrTx, sinceMs: number, untilMs: number): Promise<AwaitingSweep[]> {
  const lastSeq = db
    .select({ routeId: stops.routeId, seq: max(stops.sequence).as('last_seq') })
    .from(stops)
    .groupBy(stops.routeId)
    .as('last_stop');
  const rows = await db
    .select({
      tripId: trips.id,
      busId: trips.busId,
      schoolId: trips.schoolId,
      status: trips.status,
      arrivedAt: stopEvents.time,
      schoolRuleOverrides: schools.ruleOverrides,
      confirmedAt: tripSweeps.confirmedAt,
      alertRaisedAt: tripSweeps.alertRaisedAt,
    })
    .from(trips)
    .innerJoin(schools, eq(schools.id, trips.schoolId))
    .innerJoin(lastSeq, eq(lastSeq.routeId, trips.routeId))
    .innerJoin(stops, and(eq(stops.routeId, trips.routeId), eq(stops.sequence, lastSeq.seq)))
    .innerJoin(
      stopEvents,
      and(eq(stopEvents.tripId, trips.id), eq(stopEvents.stopId, stops.id), eq(stopEvents.kind, 'arrived')),
    )
    .leftJoin(tripSweeps, eq(tripSweeps.tripId, trips.id))
    .where(
      and(
        inArray(trips.status, ['active', 'completed']),
        gt(stopEvents.time, new Date(sinceMs)),
        lte(stopEvents.time, new Date(untilMs)),
      ),
    );
  return rows
    .filter((r) => r.confirmedAt == null && r.alertRaisedAt == null)
    .map(({ confirmedAt: _c, alertRaisedAt: _a, ...r }) => r);
}
