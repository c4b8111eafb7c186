// What a guardian or attendant may read: ids derived from their links and trip assignments.
import { eq, inArray } from 'drizzle-orm';
import type { Principal } from '../../auth/principal';
import type { DbOrTx } from '../db';
import { devices, guardianStudents, studentStops, trips } from '../schema';

export interface VisibleIds {
  studentIds: Set<number>;
  routeIds: Set<number>;
  tripIds: Set<number>;
  busIds: Set<number>;
  attendantIds: Set<number>;
  guardianIds: Set<number>;
}

const uniq = (xs: number[]) => new Set(xs);

export async function visibleIdsFor(db: DbOrTx, p: Principal): Promise<VisibleIds> {
  const empty: VisibleIds = {
    studentIds: new Set(),
    routeIds: new Set(),
    tripIds: new Set(),
    busIds: new Set(),
    attendantIds: new Set(),
    guardianIds: new Set(),
  };
  if (p.role === 'guardian' && p.guardianId != null) {
    const kids = await db.select({ id: guardianStudents.studentId }).from(guardianStudents).where(eq(guardianStudents.guardianId, p.guardianId));
    const studentIds = kids.map((k) => k.id);
    const routeRows = studentIds.length
      ? await db.select({ id: studentStops.routeId }).from(studentStops).where(inArray(studentStops.studentId, studentIds))
      : [];
    const routeIds = [...uniq(routeRows.map((r) => r.id))];
    const tripRows = routeIds.length
      ? await db.select({ id: trips.id, busId: trips.busId }).from(trips).where(inArray(trips.routeId, routeIds))
      : [];
    return {
      ...empty,
      studentIds: uniq(studentIds),
      routeIds: uniq(routeIds),
      tripIds: uniq(tripRows.map((t) => t.id)),
      busIds: uniq(tripRows.map((t) => t.busId)),
      guardianIds: uniq([p.guardianId]),
    };
  }
  if (p.role === 'attendant' && p.attendantId != null) {
    const tripRows = await db
      .select({ id: trips.id, busId: trips.busId, routeId: trips.routeId })
      .from(trips)
      .where(eq(trips.attendantId, p.attendantId));
    const routeIds = [...uniq(tripRows.map((t) => t.routeId))];
    const riders = routeIds.length
      ? await db.select({ id: studentStops.studentId }).from(studentStops).where(inArray(studentStops.routeId, routeIds))
      : [];
    return {
      ...empty,
      tripIds: uniq(tripRows.map((t) => t.id)),
      busIds: uniq(tripRows.map((t) => t.busId)),
      routeIds: uniq(routeIds),
      studentIds: uniq(riders.map((r) => r.id)),
      attendantIds: uniq([p.attendantId]),
    };
  }
  if (p.role === 'device' && p.deviceId != null) {
    const [d] = await db.select({ busId: devices.busId }).from(devices).where(eq(devices.id, p.deviceId));
    return { ...empty, busIds: uniq(d?.busId != null ? [d.busId] : []) };
  }
  return empty;
}
