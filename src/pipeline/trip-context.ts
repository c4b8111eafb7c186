// Loads what the engine needs for a bus's current trip from the registry: the trip, its route geometry
// (prepared once per route version), the bus, the driver roster, the attendant and the merged rule config.
import { and, asc, eq, gte, inArray, lte } from 'drizzle-orm';
import type { DriverRecord, TripContext } from '../core/context';
import { CN_2012, mergeConfig, type ConfigOverride } from '../core/presets';
import { prepareRoute, type PreparedRoute } from '../core/route';
import { localDate, zoneOffsetMin } from '../core/time-zone';
import type { FatigueCarry } from '../core/rules/fatigue';
import { loadDriverCarries } from '../store/repos/engine-repo';
import type { Db } from '../store/db';
import { attendants, buses, drivers, routes, schools, speedZones, stops, studentStops, trips } from '../store/schema';

export interface LoadedTrip {
  ctx: TripContext;
  tripId: number;
  schoolId: number;
  routeId: number;
  timeZone: string;
  /** Scheduled seconds after local midnight per stop id (ETA and lateness read it). */
  stopSchedule: Map<string, number | null>;
  loadedMs: number;
}

const HOUR_MS = 3_600_000;

/** How far around the planned start a fix may be and still belong to a planned trip. */
export const TRIP_LOOKBACK_MS = 4 * HOUR_MS;
export const TRIP_LOOKAHEAD_MS = 1 * HOUR_MS;

const routeCache = new Map<
  number,
  { updatedMs: number; prepared: PreparedRoute; stopSchedule: Map<string, number | null> }
>();

export function dateAddYears(date: string, years: number): string {
  const [y, m, d] = date.split('-');
  return `${Number(y) + years}-${m}-${d}`;
}

/**
 * The trip a bus is on at `timeMs`: the active one, else the planned one whose start is nearest
 * (within 4 h before to 1 h after). Undefined when the bus has no trip now (positions are still stored).
 */
export async function findTripForBus(db: Db, busId: number, timeMs: number) {
  const active = await db
    .select()
    .from(trips)
    .where(and(eq(trips.busId, busId), eq(trips.status, 'active')))
    .orderBy(asc(trips.plannedStartAt))
    .limit(1);
  if (active[0]) return active[0];
  const candidates = await db
    .select()
    .from(trips)
    .where(
      and(
        eq(trips.busId, busId),
        eq(trips.status, 'planned'),
        gte(trips.plannedStartAt, new Date(timeMs - TRIP_LOOKBACK_MS)),
        lte(trips.plannedStartAt, new Date(timeMs + TRIP_LOOKAHEAD_MS)),
      ),
    );
  candidates.sort(
    (a, b) => Math.abs(a.plannedStartAt.getTime() - timeMs) - Math.abs(b.plannedStartAt.getTime() - timeMs),
  );
  return candidates[0];
}

export async function loadTripContext(db: Db, trip: typeof trips.$inferSelect, nowMs: number): Promise<LoadedTrip> {
  const [route] = await db.select().from(routes).where(eq(routes.id, trip.routeId));
  const [bus] = await db.select().from(buses).where(eq(buses.id, trip.busId));
  const [school] = await db.select().from(schools).where(eq(schools.id, trip.schoolId));
  if (!route || !bus || !school) throw new Error(`trip ${trip.id} refers to a missing route, bus or school`);

  let cached = routeCache.get(route.id);
  if (!cached || cached.updatedMs !== route.updatedAt.getTime()) {
    const [stopRows, zoneRows] = await Promise.all([
      db.select().from(stops).where(eq(stops.routeId, route.id)).orderBy(asc(stops.sequence)),
      db.select().from(speedZones).where(eq(speedZones.routeId, route.id)),
    ]);
    const prepared = prepareRoute({
      id: String(route.id),
      path: route.path.coordinates,
      stops: stopRows.map((s) => ({
        id: String(s.id),
        sequence: s.sequence,
        name: s.name,
        lat: s.lat,
        lon: s.lon,
        radiusM: s.radiusM,
      })),
      zones: zoneRows.map((z) => ({
        id: String(z.id),
        name: z.name ?? undefined,
        polygon: z.polygon.coordinates[0]!,
        roadClass: z.roadClass === 'expressway' ? 'expressway' : 'other',
        postedLimitKph: z.postedLimitKph ?? undefined,
        hazard: z.hazard,
      })),
    });
    cached = {
      updatedMs: route.updatedAt.getTime(),
      prepared,
      stopSchedule: new Map(stopRows.map((s) => [String(s.id), s.scheduledS])),
    };
    routeCache.set(route.id, cached);
  }

  const roster = await db.select().from(drivers).where(eq(drivers.schoolId, trip.schoolId));
  // Children assigned to each stop (a bus driving through such a stop is reported): read with every context load,
  // since assignments change without the route changing.
  const riderRows = await db
    .select({ studentId: studentStops.studentId, stopId: studentStops.stopId })
    .from(studentStops)
    .where(eq(studentStops.routeId, route.id));
  const riders = new Map<string, number>();
  const riderStops: Record<string, string> = {};
  for (const r of riderRows) {
    const stopId = String(r.stopId);
    riders.set(stopId, (riders.get(stopId) ?? 0) + 1);
    riderStops[String(r.studentId)] = stopId;
  }
  const preparedRoute = {
    ...cached.prepared,
    stops: cached.prepared.stops.map((s) => ({ ...s, riders: riders.get(s.id) ?? 0 })),
  };
  const attendant = trip.attendantId
    ? (
        await db
          .select()
          .from(attendants)
          .where(inArray(attendants.id, [trip.attendantId]))
      )[0]
    : undefined;
  const config = mergeConfig(
    CN_2012,
    school.ruleOverrides as ConfigOverride,
    route.ruleOverrides as ConfigOverride,
    {
      deviation: { corridorM: route.corridorWidthM },
    } as ConfigOverride,
  );

  // R5: what the school's drivers drove earlier today (and late yesterday) on other trips and buses.
  const dayBefore = localDate(school.timeZone, nowMs - 86_400_000);
  const carries = await loadDriverCarries(
    db,
    roster.map((d) => d.id),
    dayBefore,
  );
  const fatigueCarry: Record<string, FatigueCarry> = {};
  for (const [driverId, carry] of carries) fatigueCarry[String(driverId)] = carry;

  const schedule = [...cached.stopSchedule.values()].filter((v): v is number => v != null);
  const plannedStartMs = trip.plannedStartAt.getTime();
  const plannedEndMs =
    schedule.length >= 2 ? plannedStartMs + (Math.max(...schedule) - Math.min(...schedule)) * 1000 : undefined;

  const ctx: TripContext = {
    busId: bus.id,
    tripId: trip.id,
    routeId: route.id,
    schoolId: school.id,
    route: preparedRoute,
    bus: {
      id: bus.id,
      plate: bus.plate,
      seats: bus.seats ?? bus.approvedCapacity,
      approvedCapacity: bus.approvedCapacity,
      signValidUntil: bus.signValidUntil ?? undefined,
      inspectionValidUntil: bus.inspectionValidUntil ?? undefined,
    },
    assignedDriverId: trip.driverId != null ? String(trip.driverId) : undefined,
    attendant: attendant
      ? { id: String(attendant.id), name: attendant.name, checkedIn: trip.attendantCheckedInAt != null }
      : null,
    drivers: roster.map(driverRecord),
    config,
    lowVisibility: school.lowVisibility,
    plannedStartMs,
    plannedEndMs,
    utcOffsetMin: zoneOffsetMin(school.timeZone, nowMs),
    fatigueCarry,
    riderStops,
    schoolStopIds: schoolStops(cached.prepared.stops, route.period),
  };
  return {
    ctx,
    tripId: trip.id,
    schoolId: school.id,
    routeId: route.id,
    timeZone: school.timeZone,
    stopSchedule: cached.stopSchedule,
    loadedMs: nowMs,
  };
}

export function driverRecord(d: typeof drivers.$inferSelect): DriverRecord {
  return {
    id: String(d.id),
    name: d.name,
    birthDate: d.birthDate,
    licenceClass: d.licenceClass,
    licensedSince: d.licenceFirstIssued,
    schoolBusEndorsement: d.schoolBusEndorsement,
    qualificationCertificateNo: d.qualificationCertNo ?? undefined,
    qualificationExpiry: d.qualificationCertExpiry ?? undefined,
    // The review is annual: due one year after the last one (overdue when never held).
    annualReviewDue: d.lastAnnualReview ? dateAddYears(d.lastAnnualReview, 1) : undefined,
    idCardNo: d.cardId ?? undefined,
  };
}

/** The school's stops on a route: the last in the morning, the first in the afternoon, both otherwise. */
export function schoolStops(stopList: ReadonlyArray<{ id: string }>, period: string): string[] {
  const first = stopList[0]?.id;
  const last = stopList[stopList.length - 1]?.id;
  const ids = period === 'morning' ? [last] : period === 'afternoon' ? [first] : [first, last];
  return ids.filter((x): x is string => x != null);
}
