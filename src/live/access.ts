// Who may subscribe to (or read over REST) which topic. Unknown objects answer 404; objects out of scope 403.
// - trip:<id>: managers of its school, guardians of a child riding its route, the trip's attendant;
// - bus:<id>: managers of its school, attendants of one of its trips today, guardians whose child rides it today;
// - school:<id>:violations: managers of the school.
import { and, eq, inArray } from 'drizzle-orm';
import type { Principal } from '../auth/principal';
import { localDate } from '../core/time-zone';
import type { DbOrTx } from '../store/db';
import { visibleIdsFor } from '../store/repos/visibility';
import { buses, schools, trips } from '../store/schema';
import type { Authorization } from './hub';
import type { Topic } from './topics';

const OK: Authorization = { ok: true };
const forbidden = (message = 'Out of your scope'): Authorization => ({ ok: false, status: 403, code: 'forbidden', message });
const notFound = (what: string): Authorization => ({ ok: false, status: 404, code: 'not_found', message: `${what} not found` });

const manages = (p: Principal, schoolId: number) => p.role === 'admin' || (p.role === 'manager' && p.schoolIds.includes(schoolId));

export async function authorizeTopic(db: DbOrTx, p: Principal, topic: Topic, nowMs: number): Promise<Authorization> {
  if (topic.kind === 'schoolViolations') {
    const [s] = await db.select({ id: schools.id }).from(schools).where(eq(schools.id, topic.schoolId));
    if (!s) return notFound('School');
    return manages(p, s.id) ? OK : forbidden('School violations are for the school’s managers');
  }
  if (topic.kind === 'trip') {
    const [t] = await db.select({ id: trips.id, schoolId: trips.schoolId, attendantId: trips.attendantId }).from(trips).where(eq(trips.id, topic.tripId));
    if (!t) return notFound('Trip');
    if (manages(p, t.schoolId)) return OK;
    if (p.role === 'attendant') return p.attendantId != null && t.attendantId === p.attendantId ? OK : forbidden();
    if (p.role === 'guardian') return (await visibleIdsFor(db, p)).tripIds.has(t.id) ? OK : forbidden();
    return forbidden();
  }
  const [b] = await db.select({ id: buses.id, schoolId: buses.schoolId, timeZone: schools.timeZone }).from(buses).innerJoin(schools, eq(schools.id, buses.schoolId)).where(eq(buses.id, topic.busId));
  if (!b) return notFound('Bus');
  if (manages(p, b.schoolId)) return OK;
  const today = localDate(b.timeZone, nowMs);
  if (p.role === 'attendant' && p.attendantId != null) {
    const rows = await db.select({ id: trips.id }).from(trips).where(and(eq(trips.busId, b.id), eq(trips.attendantId, p.attendantId), eq(trips.serviceDate, today))).limit(1);
    return rows.length ? OK : forbidden('Only the attendant of one of this bus’s trips today');
  }
  if (p.role === 'guardian') {
    const visible = await visibleIdsFor(db, p);
    if (visible.tripIds.size === 0) return forbidden();
    const rows = await db
      .select({ id: trips.id })
      .from(trips)
      .where(and(eq(trips.busId, b.id), eq(trips.serviceDate, today), inArray(trips.id, [...visible.tripIds])))
      .limit(1);
    return rows.length ? OK : forbidden('Not a bus your child rides today');
  }
  return forbidden();
}
