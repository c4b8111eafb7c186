// The queries behind the daily, weekly and monthly reports, and where reports are stored.
import { and, asc, count, desc, eq, gte, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import {
  boardingRecords,
  buses,
  caseActions,
  devices,
  drivers,
  positions,
  reports,
  routes,
  schools,
  stopEvents,
  stops,
  trips,
  users,
  violations,
} from '../schema';

const ids = (xs: number[]) => (xs.length ? xs : [-1]);

export interface ViolationGroupRow {
  kind: string;
  severity: string;
  busId: number | null;
  driverId: number | null;
  routeId: number | null;
  n: number;
}

/** Violations that started in [fromMs, toMs), grouped by every dimension a report breaks them down by. */
export async function violationGroups(
  db: DbOrTx,
  schoolIds: number[],
  fromMs: number,
  toMs: number,
): Promise<ViolationGroupRow[]> {
  const rows = await db
    .select({
      kind: violations.kind,
      severity: violations.severity,
      busId: violations.busId,
      driverId: violations.driverId,
      routeId: violations.routeId,
      n: count(),
    })
    .from(violations)
    .where(
      and(
        inArray(violations.schoolId, ids(schoolIds)),
        gte(violations.startedAt, new Date(fromMs)),
        lt(violations.startedAt, new Date(toMs)),
      ),
    )
    .groupBy(violations.kind, violations.severity, violations.busId, violations.driverId, violations.routeId);
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

export async function labels(db: DbOrTx, schoolIds: number[]) {
  const s = ids(schoolIds);
  const [b, d, r] = await Promise.all([
    db.select({ id: buses.id, label: buses.plate }).from(buses).where(inArray(buses.schoolId, s)),
    db.select({ id: drivers.id, label: drivers.name }).from(drivers).where(inArray(drivers.schoolId, s)),
    db.select({ id: routes.id, label: routes.name }).from(routes).where(inArray(routes.schoolId, s)),
  ]);
  const map = (xs: { id: number; label: string }[]) => new Map(xs.map((x) => [x.id, x.label]));
  return { buses: map(b), drivers: map(d), routes: map(r) };
}

export interface CaseFigures {
  opened: number;
  closed: number;
  dismissed: number;
  overdue: number;
  closedOfOpened: number;
  dismissedOfOpened: number;
  /** Cases escalated (挂牌督办) during the window. */
  escalated: number;
}

/**
 * Cases opened in the window; closures and dismissals recorded in the window (from the trail); cases overdue at the
 * window's end (due before it, not closed or dismissed before it); and how many of the window's cases were closed
 * or dismissed by its end.
 */
export async function caseFigures(
  db: DbOrTx,
  schoolIds: number[],
  fromMs: number,
  toMs: number,
  /** Overdue is counted as of this instant (the window's end, or now for a period still running). */
  asOfMs: number = toMs,
): Promise<CaseFigures> {
  const from = new Date(fromMs);
  const to = new Date(toMs);
  const asOf = new Date(Math.min(asOfMs, toMs));
  const inSchools = inArray(violations.schoolId, ids(schoolIds));
  const finishedBy = (status: 'closed' | 'dismissed' | 'any') =>
    sql`exists (select 1 from ${caseActions} ca where ca.violation_id = ${violations.id} and ca.action = 'transition' and ${
      status === 'any' ? sql`ca.to_status in ('closed', 'dismissed')` : sql`ca.to_status = ${status}`
    } and ca.created_at < ${(status === 'any' ? asOf : to).toISOString()}::timestamptz)`;
  const [opened] = await db
    .select({
      opened: count(),
      closedOfOpened: sql<number>`count(*) filter (where ${finishedBy('closed')})`,
      dismissedOfOpened: sql<number>`count(*) filter (where ${finishedBy('dismissed')})`,
    })
    .from(violations)
    .where(and(inSchools, gte(violations.startedAt, from), lt(violations.startedAt, to)));
  const moves = await db
    .select({ to: caseActions.toStatus, n: count() })
    .from(caseActions)
    .innerJoin(violations, eq(violations.id, caseActions.violationId))
    .where(
      and(
        inSchools,
        eq(caseActions.action, 'transition'),
        inArray(caseActions.toStatus, ['closed', 'dismissed']),
        gte(caseActions.at, from),
        lt(caseActions.at, to),
      ),
    )
    .groupBy(caseActions.toStatus);
  const [overdue] = await db
    .select({ n: count() })
    .from(violations)
    .where(
      and(
        inSchools,
        lt(violations.startedAt, asOf),
        isNotNull(violations.dueAt),
        lt(violations.dueAt, asOf),
        sql`not ${finishedBy('any')}`,
      ),
    );
  const [escalated] = await db
    .select({ n: count() })
    .from(violations)
    .where(and(inSchools, gte(violations.escalatedAt, from), lt(violations.escalatedAt, to)));
  const moved = (s: string) => Number(moves.find((m) => m.to === s)?.n ?? 0);
  return {
    opened: Number(opened?.opened ?? 0),
    closed: moved('closed'),
    dismissed: moved('dismissed'),
    overdue: Number(overdue?.n ?? 0),
    closedOfOpened: Number(opened?.closedOfOpened ?? 0),
    dismissedOfOpened: Number(opened?.dismissedOfOpened ?? 0),
    escalated: Number(escalated?.n ?? 0),
  };
}

export interface CaseListRow {
  id: number;
  /** null: a district-level case */
  schoolId: number | null;
  school: string | null;
  kind: string;
  severity: string;
  busId: number | null;
  bus: string | null;
  driverId: number | null;
  driver: string | null;
  openedAt: Date;
  ownerUserId: number | null;
  owner: string | null;
  dueAt: Date | null;
  status: string;
  escalatedAt: Date | null;
  closedAt: Date | null;
  closingNote: string | null;
  resolutionReason: string | null;
}

/**
 * Every case of a window (the monthly list, 清单): cases that started in it, and earlier cases not closed or
 * dismissed before it began (carried over). Oldest first, at most `limit` (+1 to tell a cut list).
 */
export async function caseListOf(
  db: DbOrTx,
  schoolIds: number[],
  fromMs: number,
  toMs: number,
  limit: number,
  /** the district's list also has the district-level cases (no school) */
  withDistrictCases = false,
): Promise<CaseListRow[]> {
  const from = new Date(fromMs).toISOString();
  const finishedBefore = sql`exists (select 1 from ${caseActions} ca where ca.violation_id = ${violations.id} and ca.action = 'transition' and ca.to_status in ('closed', 'dismissed') and ca.created_at < ${from}::timestamptz)`;
  const closing = sql`(select ca.created_at from ${caseActions} ca where ca.violation_id = ${violations.id} and ca.action = 'transition' and ca.to_status in ('closed', 'dismissed') order by ca.created_at desc, ca.id desc limit 1)`;
  const closingNote = sql`(select ca.note from ${caseActions} ca where ca.violation_id = ${violations.id} and ca.action = 'transition' and ca.to_status in ('closed', 'dismissed') order by ca.created_at desc, ca.id desc limit 1)`;
  const rows = await db
    .select({
      id: violations.id,
      schoolId: violations.schoolId,
      school: schools.name,
      kind: violations.kind,
      severity: violations.severity,
      busId: violations.busId,
      bus: buses.plate,
      driverId: violations.driverId,
      driver: drivers.name,
      openedAt: violations.startedAt,
      ownerUserId: violations.ownerUserId,
      owner: users.name,
      dueAt: violations.dueAt,
      status: violations.status,
      escalatedAt: violations.escalatedAt,
      closedAt: sql<string | null>`${closing}`,
      closingNote: sql<string | null>`${closingNote}`,
      resolutionReason: violations.resolutionReason,
    })
    .from(violations)
    .leftJoin(schools, eq(schools.id, violations.schoolId))
    .leftJoin(buses, eq(buses.id, violations.busId))
    .leftJoin(drivers, eq(drivers.id, violations.driverId))
    .leftJoin(users, eq(users.id, violations.ownerUserId))
    .where(
      and(
        withDistrictCases
          ? or(inArray(violations.schoolId, ids(schoolIds)), isNull(violations.schoolId))
          : inArray(violations.schoolId, ids(schoolIds)),
        lt(violations.startedAt, new Date(toMs)),
        sql`(${violations.startedAt} >= ${from}::timestamptz or not ${finishedBefore})`,
      ),
    )
    .orderBy(asc(violations.startedAt), asc(violations.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, closedAt: r.closedAt == null ? null : new Date(r.closedAt) }));
}

export interface TripRow {
  id: number;
  schoolId: number;
  routeId: number;
  busId: number;
  serviceDate: string;
  status: string;
  startedAt: Date | null;
  endedAt: Date | null;
}

/** Trips of the service dates [startDate, endDate) that were not cancelled. */
export async function tripsOfDates(
  db: DbOrTx,
  schoolIds: number[],
  startDate: string,
  endDate: string,
): Promise<TripRow[]> {
  return db
    .select({
      id: trips.id,
      schoolId: trips.schoolId,
      routeId: trips.routeId,
      busId: trips.busId,
      serviceDate: trips.serviceDate,
      status: trips.status,
      startedAt: trips.startedAt,
      endedAt: trips.endedAt,
    })
    .from(trips)
    .where(
      and(
        inArray(trips.schoolId, ids(schoolIds)),
        gte(trips.serviceDate, startDate),
        lt(trips.serviceDate, endDate),
        ne(trips.status, 'cancelled'),
      ),
    )
    .orderBy(asc(trips.id));
}

export async function scheduledStops(db: DbOrTx, routeIds: number[]) {
  return db
    .select({
      id: stops.id,
      routeId: stops.routeId,
      sequence: stops.sequence,
      name: stops.name,
      scheduledS: stops.scheduledS,
    })
    .from(stops)
    .where(and(inArray(stops.routeId, ids(routeIds)), isNotNull(stops.scheduledS)));
}

export async function stopEventsOf(db: DbOrTx, tripIds: number[]) {
  return db
    .select({ tripId: stopEvents.tripId, stopId: stopEvents.stopId, kind: stopEvents.kind, time: stopEvents.time })
    .from(stopEvents)
    .where(and(inArray(stopEvents.tripId, ids(tripIds)), inArray(stopEvents.kind, ['arrived', 'missed'])));
}

export async function ridership(db: DbOrTx, tripIds: number[]) {
  const rows = await db
    .select({
      tripId: boardingRecords.tripId,
      boarded: sql<number>`coalesce(sum(${boardingRecords.boarded}), 0)`,
      alighted: sql<number>`coalesce(sum(${boardingRecords.alighted}), 0)`,
    })
    .from(boardingRecords)
    .where(inArray(boardingRecords.tripId, ids(tripIds)))
    .groupBy(boardingRecords.tripId);
  const [students] = await db
    .select({ n: sql<number>`count(distinct ${boardingRecords.studentId})` })
    .from(boardingRecords)
    .where(
      and(
        inArray(boardingRecords.tripId, ids(tripIds)),
        eq(boardingRecords.kind, 'student'),
        sql`${boardingRecords.boarded} > 0`,
      ),
    );
  return {
    perTrip: rows.map((r) => ({ tripId: r.tripId, boarded: Number(r.boarded), alighted: Number(r.alighted) })),
    distinctStudents: Number(students?.n ?? 0),
  };
}

/** Per trip and device: fixes and distinct minutes with a fix inside the trip's active window [startedAt, end). */
export async function fixesDuringTrips(
  db: DbOrTx,
  tripWindows: { tripId: number; busId: number; fromMs: number; toMs: number }[],
) {
  if (!tripWindows.length) return [];
  const json = JSON.stringify(
    tripWindows.map((t) => ({
      trip_id: t.tripId,
      bus_id: t.busId,
      from_t: new Date(t.fromMs).toISOString(),
      to_t: new Date(t.toMs).toISOString(),
    })),
  );
  const rows = await db
    .select({
      tripId: sql<number>`w.trip_id`,
      deviceId: positions.deviceId,
      fixes: sql<number>`count(*)`,
      minutes: sql<number>`count(distinct date_trunc('minute', ${positions.time}))`,
    })
    .from(sql`jsonb_to_recordset(${json}::jsonb) as w(trip_id int, bus_id int, from_t timestamptz, to_t timestamptz)`)
    .innerJoin(
      positions,
      sql`${positions.busId} = w.bus_id and ${positions.time} >= w.from_t and ${positions.time} < w.to_t`,
    )
    .groupBy(sql`w.trip_id`, positions.deviceId);
  return rows.map((r) => ({
    tripId: Number(r.tripId),
    deviceId: r.deviceId,
    fixes: Number(r.fixes),
    minutes: Number(r.minutes),
  }));
}

export async function devicesOfBuses(db: DbOrTx, busIds: number[]) {
  return db
    .select({ id: devices.id, busId: devices.busId, identifier: devices.identifier })
    .from(devices)
    .where(inArray(devices.busId, ids(busIds)));
}

export type ReportRow = typeof reports.$inferSelect;

/** Stores a report; generating the same scope, kind and period again replaces it. */
export async function saveReport(
  db: DbOrTx,
  r: Omit<typeof reports.$inferInsert, 'id' | 'createdAt'>,
): Promise<ReportRow> {
  const [row] = await db
    .insert(reports)
    .values(r)
    .onConflictDoUpdate({
      target: [reports.scope, reports.kind, reports.periodKey],
      set: {
        data: r.data,
        generatedAt: r.generatedAt,
        source: r.source,
        requestedByUserId: r.requestedByUserId ?? null,
        timeZone: r.timeZone,
        periodStart: r.periodStart,
        periodEnd: r.periodEnd,
      },
    })
    .returning();
  return row!;
}

export async function getReport(db: DbOrTx, id: number): Promise<ReportRow | undefined> {
  const [row] = await db.select().from(reports).where(eq(reports.id, id));
  return row;
}

/** The language a school's reports are read in when the reader asks for none; undefined for an unknown school. */
export async function schoolLanguage(db: DbOrTx, schoolId: number): Promise<'zh-CN' | 'en' | undefined> {
  const [row] = await db.select({ language: schools.language }).from(schools).where(eq(schools.id, schoolId));
  return row?.language;
}

export async function listReports(
  db: DbOrTx,
  f: {
    schoolIds?: number[];
    includeDistrict: boolean;
    kind?: string;
    schoolId?: number;
    limit: number;
    cursor?: number;
  },
) {
  const conds = [];
  if (f.schoolId != null) conds.push(eq(reports.schoolId, f.schoolId));
  else if (f.schoolIds)
    conds.push(
      f.includeDistrict
        ? sql`(${reports.schoolId} is null or ${inArray(reports.schoolId, ids(f.schoolIds))})`
        : inArray(reports.schoolId, ids(f.schoolIds)),
    );
  if (f.kind) conds.push(eq(reports.kind, f.kind as never));
  if (f.cursor != null) conds.push(lt(reports.id, f.cursor));
  const rows = await db
    .select({
      id: reports.id,
      kind: reports.kind,
      schoolId: reports.schoolId,
      periodKey: reports.periodKey,
      periodStart: reports.periodStart,
      periodEnd: reports.periodEnd,
      timeZone: reports.timeZone,
      generatedAt: reports.generatedAt,
      source: reports.source,
    })
    .from(reports)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(reports.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  return { items: page, nextCursor: rows.length > f.limit ? page[page.length - 1]!.id : null };
}
