// Loads what the engine needs for a bus's current trip from the registry: the trip, its route geometry
// (prepared once per route version), the bus, the driver roster, the attendant and the merged rule config.
import type { DriverRecord, TripContext } from '../core/context';
import { CN_2012, mergeConfig, type ConfigOverride } from '../core/presets';
import { prepareRoute, type PreparedRoute } from '../core/route';
import { localDate, zoneOffsetMin } from '../core/time-zone';
import type { FatigueCarry } from '../core/rules/fatigue';
import type { Database } from '../store/db';
import type { trips } from '../store/schema';

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

/** A trips row as the lane reads it, timestamps as epoch ms (made Dates by `tripRow`). */
interface TripRowMs {
  id: number;
  schoolId: number;
  routeId: number;
  busId: number;
  driverId: number | null;
  attendantId: number | null;
  serviceDate: string;
  plannedStartMs: number;
  status: TripRow['status'];
  startedMs: number | null;
  endedMs: number | null;
  checkedInMs: number | null;
  createdMs: number;
  updatedMs: number;
}
type TripRow = typeof trips.$inferSelect;

const ms = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;
/** Every column of `trips`, for `tripRow`. */
const TRIP_ROW_COLUMNS = `id, school_id as "schoolId", route_id as "routeId", bus_id as "busId",
  driver_id as "driverId", attendant_id as "attendantId", service_date::text as "serviceDate",
  ${ms('planned_start_at')} as "plannedStartMs", status, ${ms('started_at')} as "startedMs",
  ${ms('ended_at')} as "endedMs", ${ms('attendant_checked_in_at')} as "checkedInMs",
  ${ms('created_at')} as "createdMs", ${ms('updated_at')} as "updatedMs"`;

const date = (v: number | null) => (v == null ? null : new Date(Number(v)));
function tripRow(r: TripRowMs): TripRow {
  return {
    id: r.id,
    schoolId: r.schoolId,
    routeId: r.routeId,
    busId: r.busId,
    driverId: r.driverId,
    attendantId: r.attendantId,
    serviceDate: r.serviceDate,
    plannedStartAt: new Date(Number(r.plannedStartMs)),
    status: r.status,
    startedAt: date(r.startedMs),
    endedAt: date(r.endedMs),
    attendantCheckedInAt: date(r.checkedInMs),
    createdAt: new Date(Number(r.createdMs)),
    updatedAt: new Date(Number(r.updatedMs)),
  };
}

/** The bus's active trips and its planned ones whose start is within [$2, $3] (ms), in one prepared statement. */
export const BUS_TRIPS_SQL = `select ${TRIP_ROW_COLUMNS} from trips
  where bus_id = $1 and (status = 'active' or (status = 'planned'
    and planned_start_at between to_timestamp($2::float8 / 1000) and to_timestamp($3::float8 / 1000)))`;

/**
 * The trip a bus is on at `timeMs`: the active one, else the planned one whose start is nearest
 * (within 4 h before to 1 h after). Undefined when the bus has no trip now (positions are still stored).
 * (Each lane asks this at every context refresh, so it is one prepared statement, not a query builder's.)
 */
export async function findTripForBus(database: Pick<Database, 'query'>, busId: number, timeMs: number) {
  const rows = (
    await database.query<TripRowMs>(BUS_TRIPS_SQL, [busId, timeMs - TRIP_LOOKBACK_MS, timeMs + TRIP_LOOKAHEAD_MS], {
      prepare: true,
    })
  ).map(tripRow);
  const active = rows.filter((r) => r.status === 'active');
  if (active.length) return active.reduce((a, b) => (b.plannedStartAt.getTime() < a.plannedStartAt.getTime() ? b : a));
  const distance = (r: TripRow) => Math.abs(r.plannedStartAt.getTime() - timeMs);
  return rows.reduce<TripRow | undefined>((a, b) => (a && distance(a) <= distance(b) ? a : b), undefined);
}

/** A trip by its id (a lane asked to run inputs for a trip it is not on). */
export async function tripById(database: Pick<Database, 'query'>, tripId: number): Promise<TripRow | undefined> {
  const [row] = await database.query<TripRowMs>(`select ${TRIP_ROW_COLUMNS} from trips where id = $1`, [tripId], {
    prepare: true,
  });
  return row && tripRow(row);
}

/**
 * What a trip start (and every context refresh, each 30 s per bus) reads from the registry, in one prepared statement:
 * the route's version and rule fields, the bus, the school, the school's driver roster, the children per stop, the
 * attendant and the roster's fatigue carries since `sinceDay`. (Read one table at a time, this was seven round trips
 * and as many drizzle result mappings per bus and refresh.)
 */
const CONTEXT_SQL = `select
  (select json_build_object('updatedMs', floor(extract(epoch from r.updated_at) * 1000)::float8, 'period', r.period,
      'corridorWidthM', r.corridor_width_m, 'ruleOverrides', r.rule_overrides)
     from routes r where r.id = $1) as route,
  (select json_build_object('id', b.id, 'plate', b.plate, 'seats', b.seats, 'approvedCapacity', b.approved_capacity,
      'signValidUntil', b.sign_valid_until, 'inspectionValidUntil', b.inspection_valid_until)
     from buses b where b.id = $2) as bus,
  (select json_build_object('id', s.id, 'timeZone', s.time_zone, 'lowVisibility', s.low_visibility,
      'ruleOverrides', s.rule_overrides)
     from schools s where s.id = $3) as school,
  (select coalesce(json_agg(json_build_object('id', d.id, 'name', d.name, 'birthDate', d.birth_date,
      'licenceClass', d.licence_class, 'licenceFirstIssued', d.licence_first_issued,
      'licenceValidUntil', d.licence_valid_until,
      'schoolBusEndorsement', d.school_bus_endorsement, 'qualificationCertNo', d.qualification_cert_no,
      'qualificationCertExpiry', d.qualification_cert_expiry, 'lastAnnualReview', d.last_annual_review,
      'cardId', d.card_id) order by d.id), '[]'::json)
     from drivers d where d.school_id = $3) as drivers,
  (select coalesce(json_agg(json_build_array(ss.student_id, ss.stop_id)), '[]'::json)
     from student_stops ss where ss.route_id = $1) as riders,
  (select json_build_object('id', a.id, 'name', a.name) from attendants a where a.id = $4) as attendant,
  (select coalesce(json_agg(json_build_array(da.driver_id, da.service_day, da.state)), '[]'::json)
     from driver_accumulators da join drivers d on d.id = da.driver_id
     where d.school_id = $3 and da.service_day >= $5::date) as carries`;

/** A driver as CONTEXT_SQL returns it (dates as YYYY-MM-DD). */
export interface DriverRow {
  id: number;
  name: string;
  birthDate: string;
  licenceClass: string;
  licenceFirstIssued: string;
  licenceValidUntil: string | null;
  schoolBusEndorsement: boolean;
  qualificationCertNo: string | null;
  qualificationCertExpiry: string | null;
  lastAnnualReview: string | null;
  cardId: string | null;
}

interface ContextRow {
  route: {
    updatedMs: number;
    period: string;
    corridorWidthM: number;
    ruleOverrides: ConfigOverride | null;
  } | null;
  bus: {
    id: number;
    plate: string;
    seats: number | null;
    approvedCapacity: number;
    signValidUntil: string | null;
    inspectionValidUntil: string | null;
  } | null;
  school: { id: number; timeZone: string; lowVisibility: boolean; ruleOverrides: ConfigOverride | null } | null;
  drivers: DriverRow[];
  riders: [number, number][];
  attendant: { id: number; name: string } | null;
  carries: [number, string, FatigueCarry][];
}

/** The earliest UTC calendar day any time zone (UTC−12 … UTC+14) can call "yesterday" at `nowMs`. */
function earliestDayBefore(nowMs: number): string {
  return new Date(nowMs - 86_400_000 - 14 * HOUR_MS).toISOString().slice(0, 10);
}

export async function loadTripContext(
  database: Pick<Database, 'query' | 'db'>,
  trip: typeof trips.$inferSelect,
  nowMs: number,
): Promise<LoadedTrip> {
  const [row] = await database.query<ContextRow>(
    CONTEXT_SQL,
    [trip.routeId, trip.busId, trip.schoolId, trip.attendantId, earliestDayBefore(nowMs)],
    { prepare: true },
  );
  const route = row?.route;
  const bus = row?.bus;
  const school = row?.school;
  if (!row || !route || !bus || !school) throw new Error(`trip ${trip.id} refers to a missing route, bus or school`);

  // The route's geometry is read only when the cached version is not the current one.
  let cached = routeCache.get(trip.routeId);
  if (!cached || cached.updatedMs !== route.updatedMs) cached = await loadRouteGeometry(database, trip);

  // Children assigned to each stop (a bus driving through such a stop is reported): read with every context load,
  // since assignments change without the route changing.
  const riders = new Map<string, number>();
  const riderStops: Record<string, string> = {};
  for (const [studentId, stopIdNum] of row.riders) {
    const stopId = String(stopIdNum);
    riders.set(stopId, (riders.get(stopId) ?? 0) + 1);
    riderStops[String(studentId)] = stopId;
  }
  const preparedRoute = {
    ...cached.prepared,
    stops: cached.prepared.stops.map((s) => ({ ...s, riders: riders.get(s.id) ?? 0 })),
  };
  const config = mergeConfig(
    CN_2012,
    (school.ruleOverrides ?? {}) as ConfigOverride,
    (route.ruleOverrides ?? {}) as ConfigOverride,
    {
      deviation: { corridorM: route.corridorWidthM },
    } as ConfigOverride,
  );

  // R5: what the school's drivers drove earlier today (and late yesterday) on other trips and buses; the newest
  // carry per driver from the school's "yesterday" on.
  const dayBefore = localDate(school.timeZone, nowMs - 86_400_000);
  const fatigueCarry: Record<string, FatigueCarry> = {};
  for (const [driverId, serviceDay, carry] of row.carries) {
    if (serviceDay < dayBefore) continue;
    const have = fatigueCarry[String(driverId)];
    if (!have || have.lastMs < carry.lastMs) fatigueCarry[String(driverId)] = carry;
  }

  const schedule = [...cached.stopSchedule.values()].filter((v): v is number => v != null);
  const plannedStartMs = trip.plannedStartAt.getTime();
  const plannedEndMs =
    schedule.length >= 2 ? plannedStartMs + (Math.max(...schedule) - Math.min(...schedule)) * 1000 : undefined;

  const ctx: TripContext = {
    busId: bus.id,
    tripId: trip.id,
    routeId: trip.routeId,
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
    attendant: row.attendant
      ? { id: String(row.attendant.id), name: row.attendant.name, checkedIn: trip.attendantCheckedInAt != null }
      : null,
    drivers: row.drivers.map(driverRecord),
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
    routeId: trip.routeId,
    timeZone: school.timeZone,
    stopSchedule: cached.stopSchedule,
    loadedMs: nowMs,
  };
}

/** A route's path and version with its stops (in order) and speed zones, in one prepared statement. */
const ROUTE_GEOMETRY_SQL = `select r.path, ${ms('r.updated_at')} as "updatedMs",
  (select coalesce(json_agg(json_build_object('id', s.id, 'sequence', s.sequence, 'name', s.name, 'lat', s.lat,
      'lon', s.lon, 'radiusM', s.radius_m, 'scheduledS', s.scheduled_s) order by s.sequence), '[]'::json)
     from stops s where s.route_id = r.id) as stops,
  (select coalesce(json_agg(json_build_object('id', z.id, 'name', z.name, 'polygon', z.polygon,
      'roadClass', z.road_class, 'postedLimitKph', z.posted_limit_kph, 'hazard', z.hazard) order by z.id), '[]'::json)
     from speed_zones z where z.route_id = r.id) as zones
  from routes r where r.id = $1`;

interface RouteGeometryRow {
  path: { coordinates: [number, number][] };
  updatedMs: number;
  stops: {
    id: number;
    sequence: number;
    name: string;
    lat: number;
    lon: number;
    radiusM: number;
    scheduledS: number | null;
  }[];
  zones: {
    id: number;
    name: string | null;
    polygon: { coordinates: [number, number][][] };
    roadClass: string;
    postedLimitKph: number | null;
    hazard: boolean;
  }[];
}

/** Reads and prepares a route's geometry, stops and zones (once per route version), and caches it. */
async function loadRouteGeometry(database: Pick<Database, 'query'>, trip: TripRow) {
  const [geometry] = await database.query<RouteGeometryRow>(ROUTE_GEOMETRY_SQL, [trip.routeId], { prepare: true });
  if (!geometry) throw new Error(`trip ${trip.id} refers to a missing route`);
  const prepared = prepareRoute({
    id: String(trip.routeId),
    path: geometry.path.coordinates,
    stops: geometry.stops.map((s) => ({
      id: String(s.id),
      sequence: s.sequence,
      name: s.name,
      lat: s.lat,
      lon: s.lon,
      radiusM: s.radiusM,
    })),
    zones: geometry.zones.map((z) => ({
      id: String(z.id),
      name: z.name ?? undefined,
      polygon: z.polygon.coordinates[0]!,
      roadClass: z.roadClass === 'expressway' ? 'expressway' : 'other',
      postedLimitKph: z.postedLimitKph ?? undefined,
      hazard: z.hazard,
    })),
  });
  const cached = {
    // the version the geometry was read at (an edit between the two reads is picked up by the next load)
    updatedMs: Number(geometry.updatedMs),
    prepared,
    stopSchedule: new Map(geometry.stops.map((s) => [String(s.id), s.scheduledS])),
  };
  routeCache.set(trip.routeId, cached);
  return cached;
}

export function driverRecord(d: DriverRow): DriverRecord {
  return {
    id: String(d.id),
    name: d.name,
    birthDate: d.birthDate,
    licenceClass: d.licenceClass,
    licensedSince: d.licenceFirstIssued,
    licenceValidUntil: d.licenceValidUntil ?? undefined,
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

/** A trip's engine checkpoint as the JSON text the lane deserializes (read as text: no parse and re-stringify). */
export async function loadCheckpointText(
  database: Pick<Database, 'query'>,
  tripId: number,
): Promise<string | undefined> {
  const [row] = await database.query<{ state: string }>(
    'select state::text as state from engine_checkpoints where trip_id = $1',
    [tripId],
    { prepare: true },
  );
  return row?.state;
}
