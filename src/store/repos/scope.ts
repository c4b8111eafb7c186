// The store's half of the authorization policy (src/auth/policy.ts): the facts about one object that the
// decision needs, and the SQL filter that limits a list to what the policy lets the caller read.
//
// Facts are loaded as far as they concern the caller: a guardian's facts name only their own family and their
// children's trips, an attendant's only the trips assigned to them, a device's only itself. Leaving out facts
// can only refuse more, never allow more. The list filters follow the same grants, and "today" is computed
// with the same function the decision uses (localDate in each trip's school time zone).
import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import {
  type Action,
  type Grant,
  listScope,
  type ObjectFacts,
  type ObjectKind,
  type TripFacts,
} from '../../auth/policy';
import type { Principal } from '../../auth/principal';
import { localDate } from '../../core/time-zone';
import type { DbOrTx } from '../db';
import {
  attendants,
  buses,
  busInspections,
  devices,
  drivers,
  guardians,
  guardianStudents,
  reports,
  routes,
  schools,
  students,
  studentStops,
  trips,
  violations,
} from '../schema';

type Owned = PgTable & { id: PgColumn; schoolId: PgColumn };

/** The table behind each kind of object ('compliance' is about a school: its id is the school's). */
const tables: Record<Exclude<ObjectKind, 'school' | 'compliance'>, Owned> = {
  bus: buses as Owned,
  device: devices as Owned,
  driver: drivers as Owned,
  attendant: attendants as Owned,
  route: routes as Owned,
  student: students as Owned,
  guardian: guardians as Owned,
  trip: trips as Owned,
  violation: violations as Owned,
  report: reports as Owned,
  inspection: busInspections as Owned,
};

/** Routes ridden by a guardian's children. */
const familyRoutes = (db: DbOrTx, guardianId: number) =>
  db
    .select({ id: studentStops.routeId })
    .from(studentStops)
    .innerJoin(guardianStudents, eq(guardianStudents.studentId, studentStops.studentId))
    .where(eq(guardianStudents.guardianId, guardianId));

/** Whether one of a guardian's children rides a route. */
async function ridesRoute(db: DbOrTx, guardianId: number, routeId: number): Promise<boolean> {
  const rows = await db
    .select({ id: studentStops.routeId })
    .from(studentStops)
    .innerJoin(guardianStudents, eq(guardianStudents.studentId, studentStops.studentId))
    .where(and(eq(guardianStudents.guardianId, guardianId), eq(studentStops.routeId, routeId)))
    .limit(1);
  return rows.length > 0;
}

const guardianOf = (p: Principal) => (p.role === 'guardian' ? p.guardianId : undefined);
const attendantOf = (p: Principal) => (p.role === 'attendant' ? p.attendantId : undefined);

/** The facts about one object for the policy, or undefined when there is no such object. */
export async function loadFacts<K extends ObjectKind>(
  db: DbOrTx,
  p: Principal,
  kind: K,
  id: number,
): Promise<ObjectFacts<K> | undefined> {
  const base = await baseFacts(db, kind, id);
  if (!base) return undefined;
  const facts: ObjectFacts<K> = { kind, ...base };
  const g = guardianOf(p);
  const a = attendantOf(p);
  switch (kind) {
    case 'guardian':
      facts.family = [id];
      break;
    case 'attendant':
      facts.attendantId = id;
      break;
    case 'trip': {
      const [t] = await db
        .select({ attendantId: trips.attendantId, serviceDate: trips.serviceDate, routeId: trips.routeId })
        .from(trips)
        .where(eq(trips.id, id));
      if (!t) return undefined; // deleted meanwhile
      const family = g != null && (await ridesRoute(db, g, t.routeId)) ? [g] : [];
      facts.family = family;
      facts.trips = [{ attendantId: t.attendantId, serviceDate: t.serviceDate, family }];
      break;
    }
    case 'bus':
    case 'route':
    case 'student': {
      const column = kind === 'bus' ? trips.busId : trips.routeId;
      const own =
        kind === 'student'
          ? inArray(
              trips.routeId,
              db.select({ id: studentStops.routeId }).from(studentStops).where(eq(studentStops.studentId, id)),
            )
          : eq(column, id);
      if (g != null) {
        if (kind === 'student') {
          const link = await db
            .select({ g: guardianStudents.guardianId })
            .from(guardianStudents)
            .where(and(eq(guardianStudents.guardianId, g), eq(guardianStudents.studentId, id)))
            .limit(1);
          facts.family = link.length ? [g] : [];
        } else {
          const mine = await tripFacts(db, and(own, inArray(trips.routeId, familyRoutes(db, g)))!, [g]);
          facts.trips = mine;
          if (kind === 'route') {
            facts.family = (await ridesRoute(db, g, id)) ? [g] : [];
          } else facts.family = mine.length ? [g] : [];
        }
      }
      if (a != null) facts.trips = await tripFacts(db, and(own, eq(trips.attendantId, a))!, []);
      if (kind === 'bus' && p.role === 'device' && p.deviceId != null) {
        const mounted = await db
          .select({ id: devices.id })
          .from(devices)
          .where(and(eq(devices.id, p.deviceId), eq(devices.busId, id)));
        facts.deviceIds = mounted.map((d) => d.id);
      }
      break;
    }
  }
  return facts;
}

async function baseFacts(
  db: DbOrTx,
  kind: ObjectKind,
  id: number,
): Promise<{ schoolId: number | null; timeZone?: string } | undefined> {
  if (kind === 'school' || kind === 'compliance') {
    const [s] = await db.select({ id: schools.id, timeZone: schools.timeZone }).from(schools).where(eq(schools.id, id));
    return s && { schoolId: s.id, timeZone: s.timeZone };
  }
  const t = tables[kind];
  const [row] = (await db
    .select({ schoolId: t.schoolId, timeZone: schools.timeZone })
    .from(t as never)
    .leftJoin(schools, eq(schools.id, t.schoolId))
    .where(eq(t.id, id))) as { schoolId: number | null; timeZone: string | null }[];
  if (!row) return undefined;
  return { schoolId: row.schoolId, timeZone: row.timeZone ?? undefined };
}

async function tripFacts(db: DbOrTx, where: SQL, family: number[]): Promise<TripFacts[]> {
  const rows = await db
    .selectDistinct({ attendantId: trips.attendantId, serviceDate: trips.serviceDate })
    .from(trips)
    .where(where);
  return rows.map((r) => ({ ...r, family }));
}

/** The list filter: `{ where }` (undefined: every row) or `{ none }` when the caller may not list this kind at all. */
export type ListWhere = { where: SQL | undefined } | { none: string };

/** Turns the policy's list scope for a principal into the SQL filter on the kind's table. */
export async function listWhere(
  db: DbOrTx,
  p: Principal,
  kind: Exclude<ObjectKind, 'compliance'>,
  nowMs: number,
  action: Action = 'read',
): Promise<ListWhere> {
  const scope = listScope(p, kind, action);
  if ('none' in scope) return scope;
  if ('all' in scope) return { where: undefined };
  const idCol = kind === 'school' ? schools.id : tables[kind].id;
  const schoolCol = kind === 'school' ? schools.id : tables[kind].schoolId;
  const nothing = sql`false`;
  if ('schoolIds' in scope) return { where: scope.schoolIds.length ? inArray(schoolCol, scope.schoolIds) : nothing };
  return { where: await grantWhere(db, p, kind, scope.grant, idCol, schoolCol, nowMs) };
}

async function grantWhere(
  db: DbOrTx,
  p: Principal,
  kind: ObjectKind,
  grant: Grant,
  idCol: PgColumn,
  schoolCol: PgColumn,
  nowMs: number,
): Promise<SQL> {
  const nothing = sql`false`;
  const g = guardianOf(p);
  const a = attendantOf(p);
  switch (grant) {
    case 'member':
      return p.schoolIds.length ? inArray(schoolCol, p.schoolIds) : nothing;
    case 'self':
      return kind === 'attendant' && a != null ? eq(idCol, a) : nothing;
    case 'mounted':
      return kind === 'bus' && p.role === 'device' && p.deviceId != null
        ? inArray(idCol, db.select({ id: devices.busId }).from(devices).where(eq(devices.id, p.deviceId)))
        : nothing;
    case 'family':
    case 'familyToday': {
      if (g == null) return nothing;
      if (kind === 'guardian') return eq(idCol, g);
      if (kind === 'student')
        return inArray(
          idCol,
          db
            .select({ id: guardianStudents.studentId })
            .from(guardianStudents)
            .where(eq(guardianStudents.guardianId, g)),
        );
      const onFamilyRoutes = inArray(trips.routeId, familyRoutes(db, g));
      if (kind === 'route') return inArray(idCol, familyRoutes(db, g));
      const tripsOf =
        grant === 'familyToday' ? and(onFamilyRoutes, await onTheirDay(db, onFamilyRoutes, nowMs))! : onFamilyRoutes;
      return tripsWhere(db, kind, idCol, tripsOf);
    }
    case 'assignedToday': {
      if (a == null) return nothing;
      const assigned = eq(trips.attendantId, a);
      return tripsWhere(db, kind, idCol, and(assigned, await onTheirDay(db, assigned, nowMs))!);
    }
  }
}

/** Objects of `kind` reached through the trips matching `tripsOf`. */
function tripsWhere(db: DbOrTx, kind: ObjectKind, idCol: PgColumn, tripsOf: SQL): SQL {
  switch (kind) {
    case 'trip':
      return tripsOf;
    case 'bus':
      return inArray(idCol, db.select({ id: trips.busId }).from(trips).where(tripsOf));
    case 'route':
      return inArray(idCol, db.select({ id: trips.routeId }).from(trips).where(tripsOf));
    case 'student':
      return inArray(
        idCol,
        db
          .select({ id: studentStops.studentId })
          .from(studentStops)
          .where(inArray(studentStops.routeId, db.select({ id: trips.routeId }).from(trips).where(tripsOf))),
      );
    default:
      return sql`false`;
  }
}

/**
 * "On the trip's day" for the trips matching `tripsOf`: their service date is today in their school's time
 * zone. The schools of those trips are read first and "today" computed here, as the decision computes it.
 */
async function onTheirDay(db: DbOrTx, tripsOf: SQL, nowMs: number): Promise<SQL> {
  const zones = await db
    .selectDistinct({ schoolId: trips.schoolId, timeZone: schools.timeZone })
    .from(trips)
    .innerJoin(schools, eq(schools.id, trips.schoolId))
    .where(tripsOf);
  const byDate = new Map<string, number[]>();
  for (const z of zones) {
    const today = localDate(z.timeZone, nowMs);
    byDate.set(today, [...(byDate.get(today) ?? []), z.schoolId]);
  }
  if (!byDate.size) return sql`false`;
  return or(
    ...[...byDate].map(([date, schoolIds]) => and(eq(trips.serviceDate, date), inArray(trips.schoolId, schoolIds))),
  )!;
}
