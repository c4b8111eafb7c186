// The manager's home view and the header search, computed in SQL: today's fleet of one school (in service, late,
// offline), its open cases by kind and severity, the open SOS and child-left-aboard alarms and a per-day trend
// over the last days, all with "today" taken in the school's time zone; the registry rows whose plate or name
// matches a search, under the caller's list scope; and who may own a case.
import { and, asc, desc, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import { localDate } from '../../core/time-zone';
import type { DbOrTx } from '../db';
import { buses, caseActions, drivers, positions, students, trips, userSchools, users, violations } from '../schema';

const activeStatuses = ['open', 'acknowledged', 'rectifying'] as const;
/** The kinds that sound the managers' alarm (src/pages/manager/alarm.ts). */
export const alarmKinds = ['emergency', 'childLeftOnBoard'] as const;

export interface DashboardOptions {
  schoolId: number;
  timeZone: string;
  nowMs: number;
  /** A planned trip not started this long after its planned start is late. */
  lateAfterMin: number;
  /** A bus on an active trip without a fix for this long is offline. */
  offlineAfterS: number;
  /** Days of the trend, today included. */
  trendDays: number;
}

export interface DashboardFigures {
  date: string;
  fleet: {
    buses: number;
    tripsToday: number;
    inService: number;
    late: number;
    offline: number;
    lateBuses: { busId: number; plate: string }[];
    offlineBuses: { busId: number; plate: string }[];
  };
  cases: {
    active: number;
    overdue: number;
    escalated: number;
    byKind: { kind: string; severity: string; count: number; overdue: number }[];
  };
  alarms: { id: number; kind: string; busId: number | null; plate: string | null; startedAt: Date }[];
  trend: { date: string; opened: number; critical: number; closed: number }[];
}

/** YYYY-MM-DD `days` before a YYYY-MM-DD date (calendar arithmetic, no time zone involved). */
function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

const plates = (xs: unknown) =>
  ((xs as { busId: number; plate: string }[] | null) ?? []).sort((a, b) => a.plate.localeCompare(b.plate));

export async function schoolDashboard(db: DbOrTx, o: DashboardOptions): Promise<DashboardFigures> {
  const now = new Date(o.nowMs);
  const date = localDate(o.timeZone, o.nowMs);
  const firstDay = daysBefore(date, o.trendDays - 1);
  const since = sql`(${firstDay}::date::timestamp at time zone ${o.timeZone})`;

  const lastFix = sql`(select max(${positions.time}) from ${positions} where ${positions.busId} = ${trips.busId})`;
  const isLate = sql`${trips.status} = 'planned' and ${trips.plannedStartAt} < ${now.toISOString()}::timestamptz - make_interval(mins => ${o.lateAfterMin}::int)`;
  const isOffline = sql`${trips.status} = 'active' and coalesce(${lastFix}, '-infinity'::timestamptz) < ${now.toISOString()}::timestamptz - make_interval(secs => ${o.offlineAfterS}::int)`;
  const busJson = sql`json_build_object('busId', ${buses.id}, 'plate', ${buses.plate})`;
  const [fleetRow] = await db
    .select({
      tripsToday: sql<number>`count(*)::int`,
      inService: sql<number>`count(distinct ${trips.busId}) filter (where ${trips.status} = 'active')::int`,
      late: sql<number>`count(distinct ${trips.busId}) filter (where ${isLate})::int`,
      offline: sql<number>`count(distinct ${trips.busId}) filter (where ${isOffline})::int`,
      lateBuses: sql<unknown>`json_agg(distinct ${busJson}::jsonb) filter (where ${isLate})`,
      offlineBuses: sql<unknown>`json_agg(distinct ${busJson}::jsonb) filter (where ${isOffline})`,
    })
    .from(trips)
    .innerJoin(buses, eq(buses.id, trips.busId))
    .where(and(eq(trips.schoolId, o.schoolId), sql`${trips.serviceDate} = ${date}::date`));
  const [busCount] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(buses)
    .where(and(eq(buses.schoolId, o.schoolId), eq(buses.status, 'active')));

  const overdue = sql`${violations.dueAt} is not null and ${violations.dueAt} < ${now.toISOString()}::timestamptz`;
  const caseRows = await db
    .select({
      kind: violations.kind,
      severity: violations.severity,
      count: sql<number>`count(*)::int`,
      overdue: sql<number>`count(*) filter (where ${overdue})::int`,
      escalated: sql<number>`count(*) filter (where ${violations.escalatedAt} is not null)::int`,
    })
    .from(violations)
    .where(and(eq(violations.schoolId, o.schoolId), inArray(violations.status, [...activeStatuses])))
    .groupBy(violations.kind, violations.severity)
    .orderBy(
      desc(sql`count(*)`),
      asc(violations.kind),
      sql`case ${violations.severity} when 'critical' then 0 when 'major' then 1 else 2 end`,
    );

  const alarms = await db
    .select({
      id: violations.id,
      kind: violations.kind,
      busId: violations.busId,
      plate: buses.plate,
      startedAt: violations.startedAt,
    })
    .from(violations)
    .leftJoin(buses, eq(buses.id, violations.busId))
    .where(
      and(
        eq(violations.schoolId, o.schoolId),
        inArray(violations.kind, [...alarmKinds]),
        eq(violations.status, 'open'),
      ),
    )
    .orderBy(desc(violations.startedAt), desc(violations.id))
    .limit(50);

  const localDay = (col: SQL) => sql`(${col} at time zone ${o.timeZone})::date::text`;
  const opened = await db
    .select({
      date: sql<string>`${localDay(sql`${violations.startedAt}`)}`,
      opened: sql<number>`count(*)::int`,
      critical: sql<number>`count(*) filter (where ${violations.severity} = 'critical')::int`,
    })
    .from(violations)
    .where(
      and(
        eq(violations.schoolId, o.schoolId),
        sql`${violations.startedAt} >= ${since}`,
        sql`${violations.startedAt} <= ${now.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(sql`1`);
  const closed = await db
    .select({ date: sql<string>`${localDay(sql`${caseActions.at}`)}`, closed: sql<number>`count(*)::int` })
    .from(caseActions)
    .innerJoin(violations, eq(violations.id, caseActions.violationId))
    .where(
      and(
        eq(violations.schoolId, o.schoolId),
        eq(caseActions.toStatus, 'closed'),
        sql`${caseActions.fromStatus} is distinct from 'closed'`,
        sql`${caseActions.at} >= ${since}`,
      ),
    )
    .groupBy(sql`1`);

  const trend = Array.from({ length: o.trendDays }, (_, i) => {
    const d = daysBefore(date, o.trendDays - 1 - i);
    const op = opened.find((r) => r.date === d);
    return {
      date: d,
      opened: Number(op?.opened ?? 0),
      critical: Number(op?.critical ?? 0),
      closed: Number(closed.find((r) => r.date === d)?.closed ?? 0),
    };
  });
  const byKind = caseRows.map((r) => ({
    kind: r.kind,
    severity: r.severity,
    count: Number(r.count),
    overdue: Number(r.overdue),
  }));
  const f = fleetRow!;
  return {
    date,
    fleet: {
      buses: Number(busCount?.n ?? 0),
      tripsToday: Number(f.tripsToday),
      inService: Number(f.inService),
      late: Number(f.late),
      offline: Number(f.offline),
      lateBuses: plates(f.lateBuses),
      offlineBuses: plates(f.offlineBuses),
    },
    cases: {
      active: byKind.reduce((n, r) => n + r.count, 0),
      overdue: byKind.reduce((n, r) => n + r.overdue, 0),
      escalated: caseRows.reduce((n, r) => n + Number(r.escalated), 0),
      byKind,
    },
    alarms,
    trend,
  };
}

// ── search ─────────────────────────────────────────────────────────────────────────────────────────────────
export interface SearchHits {
  buses: { id: number; schoolId: number; plate: string; status: string }[];
  drivers: { id: number; schoolId: number; name: string; phone: string | null }[];
  students: { id: number; schoolId: number; name: string; grade: string | null }[];
}

/**
 * Buses by plate, drivers by name (or phone), students by name, each under its list scope: `undefined` every
 * row, an SQL filter the caller's rows, `null` none (the caller may not read that kind). Case-insensitive
 * substring match; `%`, `_` and `\` in the text match themselves.
 */
export async function searchRegistry(
  db: DbOrTx,
  text: string,
  scope: { bus: SQL | undefined | null; driver: SQL | undefined | null; student: SQL | undefined | null },
  limit: number,
): Promise<SearchHits> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = (match: SQL, s: SQL | undefined) => (s ? and(match, s) : match);
  const [b, d, st] = await Promise.all([
    scope.bus === null
      ? []
      : db
          .select({ id: buses.id, schoolId: buses.schoolId, plate: buses.plate, status: buses.status })
          .from(buses)
          .where(where(ilike(buses.plate, pattern), scope.bus))
          .orderBy(asc(buses.plate))
          .limit(limit),
    scope.driver === null
      ? []
      : db
          .select({ id: drivers.id, schoolId: drivers.schoolId, name: drivers.name, phone: drivers.phone })
          .from(drivers)
          .where(where(or(ilike(drivers.name, pattern), ilike(drivers.phone, pattern))!, scope.driver))
          .orderBy(asc(drivers.name), asc(drivers.id))
          .limit(limit),
    scope.student === null
      ? []
      : db
          .select({ id: students.id, schoolId: students.schoolId, name: students.name, grade: students.grade })
          .from(students)
          .where(where(ilike(students.name, pattern), scope.student))
          .orderBy(asc(students.name), asc(students.id))
          .limit(limit),
  ]);
  return { buses: b, drivers: d, students: st };
}

// ── case owners ────────────────────────────────────────────────────────────────────────────────────────────
/** Who may own a case of a school: enabled admins and the school's enabled managers (admins only for null). */
export async function caseOwnerCandidates(
  db: DbOrTx,
  schoolId: number | null,
): Promise<{ id: number; name: string; role: string }[]> {
  const managerOfSchool =
    schoolId == null
      ? sql`false`
      : and(
          eq(users.role, 'manager'),
          sql`exists (select 1 from ${userSchools} where ${userSchools.userId} = ${users.id} and ${userSchools.schoolId} = ${schoolId})`,
        )!;
  return db
    .select({ id: users.id, name: users.name, role: users.role })
    .from(users)
    .where(and(eq(users.disabled, false), or(eq(users.role, 'admin'), managerOfSchool)))
    .orderBy(sql`case ${users.role} when 'manager' then 0 else 1 end`, asc(users.name), asc(users.id));
}
