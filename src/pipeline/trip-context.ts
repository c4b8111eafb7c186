// Loads what the engine needs for a bus's current trip from the registry: the trip, its route geometry
// (prepared once per route version), the bus, the driver roster, the attendant and the merged rule config.
import { and, asc, eq, gte, lte, or } from 'drizzle-orm';
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
  // One query for both kinds: the bus's active trips and its planned ones near `timeMs`.
  const rows = await db
    .select()
    .from(trips)
    .where(
      and(
        eq(trips.busId, busId),
        or(
          eq(trips.status, 'active'),
          and(
            eq(trips.status, 'planned'),
            gte(trips.plannedStartAt, new Date(timeMs - TRIP_LOOKBACK_MS)),
            lte(trips.plannedStartAt, new Date(timeMs + TRIP_LOOKAHEAD_MS)),
          ),
        ),
      ),
    );
  const active = rows.filter((r) => r.status === 'active');
  if (active.length) return active.reduce((a, b) => (b.plannedStartAt.getTime() < a.plannedStartAt.getTime() ? b : a));
  const distance = (r: (typeof rows)[number]) => Math.abs(r.plannedStartAt.getTime() - timeMs);
  return rows.reduce<(typeof rows)[number] | undefined>((a, b) => (a && distance(a) <= distance(b) ? a : b), undefined);
}

export async function loadTripContext(db: Db, trip: typeof trips.$inferSelect, nowMs: number): Promise<LoadedTrip> {
  // The route's geometry is read only when the cached version is not the current one (a trip start reads the
  // route's version, not its path).
  const [[route], [bus], [school]] = await Promise.all([
    db
      .select({
        id: routes.id,
        updatedAt: routes.updatedAt,
        period: routes.period,
        corridorWidthM: routes.corridorWidthM,
        ruleOverrides: routes.ruleOverrides,
      })
      .from(routes)
      .where(eq(routes.id, trip.routeId)),
    db.select().from(buses).where(eq(buses.id, trip.busId)),
    db.select().from(schools).where(eq(schools.id, trip.schoolId)),
  ]);
  if (!route || !bus || !school) throw new Error(`trip ${trip.id} refers to a missing route, bus or school`);

  let cached = routeCache.get(route.id);
  if (!cached || cached.updatedMs !== route.updatedAt.getTime()) {
    const [[geometry], stopRows, zoneRows] = await Promise.all([
      db.select({ path: routes.path, updatedAt: routes.updatedAt }).from(routes).where(eq(routes.id, route.id)),
      db.select().from(stops).where(eq(stops.routeId, route.id)).orderBy(asc(stops.sequence)),
      db.select().from(speedZones).where(eq(speedZones.routeId, route.id)),
    ]);
    if (!geometry) throw new Error(`trip ${trip.id} refers to a missing route`);
    const prepared = prepareRoute({
      id: String(route.id),
      path: geometry.path.coordinates,
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
      // the version the geometry was read at (an edit between the two reads is picked up by the next load)
      updatedMs: geometry.updatedAt.getTime(),
      prepared,
      stopSchedule: new Map(stopRows.map((s) => [String(s.id), s.scheduledS])),
    };
    routeCache.set(route.id, cached);
  }

  // Children assigned to each stop (a bus driving through such a stop is reported): read with every context load,
  // since assignments change without the route changing.
  const [roster, riderRows, [attendant]] = await Promise.all([
    db.select().from(drivers).where(eq(drivers.schoolId, trip.schoolId)),
    db
      .select({ studentId: studentStops.studentId, stopId: studentStops.stopId })
      .from(studentStops)
      .where(eq(studentStops.routeId, route.id)),
    trip.attendantId ? db.select().from(attendants).where(eq(attendants.id, trip.attendantId)) : [],
  ]);
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
