// What the lanes read and write around the engine, in bulk and through the raw client (no query builder in the hot
// path): one statement persists the engine output of every lane flushed together — violation episodes, stop events,
// trip lifecycle, checkpoints and drivers' continuous-driving blocks, one multi-row part per table, all idempotent
// on their keys — and the stored positions a restarted lane has not yet run through the engine are read back.
import type { StopEvent, ViolationEvent } from '../core/events';
import type { Fix, Protocol } from '../core/fix';
import type { FatigueCarry } from '../core/rules/fatigue';
import type { Database } from '../store/db';

export interface DriverCarryRow {
  driverId: number;
  /** YYYY-MM-DD, local date of carry.lastMs */
  serviceDay: string;
  tripId: number;
  carry: FatigueCarry;
}

/** One lane's engine output to persist (everything since its last successful write). */
export interface EngineWrite {
  busId: number;
  tripId: number;
  schoolId: number;
  violations: ViolationEvent[];
  stops: StopEvent[];
  startedMs?: number;
  endedMs?: number;
  /** serialized engine state (JSON text), when a checkpoint is due */
  checkpoint?: string;
  carries: DriverCarryRow[];
}

/**
 * The statement: data-modifying CTEs, so every table's rows of a flush commit together or not at all (a checkpoint
 * never gets ahead of the episodes and stop events it implies). Replaying the same output changes nothing: episodes
 * are upserted by their key (the newest snapshot wins), stop events and checkpoints are keyed, a driver's block only
 * replaces an older one, and a trip's start is recorded only while it is still planned.
 */
export const ENGINE_PERSIST_SQL = `with
v as (
  insert into violations (episode_key, kind, severity, school_id, bus_id, trip_id, route_id, driver_id, started_at,
                          ended_at, peak_value, limit_value, start_lat, start_lon, end_lat, end_lon, evidence)
  select k, kd, sv, sc, b, t, r, dr, to_timestamp(st / 1000.0), to_timestamp(en / 1000.0), pk, lm, sla, slo, ela, elo,
         coalesce(ev, '{}'::jsonb)
  from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[],
              $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[],
              $16::float8[],
              array(select e from jsonb_array_elements($17::text::jsonb) with ordinality as x(e, i) order by i))
    as u(k, kd, sv, sc, b, t, r, dr, st, en, pk, lm, sla, slo, ela, elo, ev)
  on conflict (episode_key) do update set
    severity = excluded.severity, kind = excluded.kind,
    driver_id = coalesce(excluded.driver_id, violations.driver_id),
    ended_at = excluded.ended_at, peak_value = excluded.peak_value, limit_value = excluded.limit_value,
    end_lat = excluded.end_lat, end_lon = excluded.end_lon, evidence = excluded.evidence, updated_at = now()
  returning 1),
s as (
  insert into stop_events (trip_id, stop_id, kind, time, dwell_s)
  select t, sp, kd, to_timestamp(tm / 1000.0), dw
  from unnest($18::int[], $19::int[], $20::text[], $21::float8[], $22::int[]) as u(t, sp, kd, tm, dw)
  on conflict do nothing
  returning 1),
tr as (
  update trips set
    status = case when u.en is not null then 'completed' else 'active' end,
    started_at = case when trips.status = 'planned' and u.st is not null then to_timestamp(u.st / 1000.0)
                      else trips.started_at end,
    ended_at = coalesce(to_timestamp(u.en / 1000.0), trips.ended_at),
    updated_at = now()
  from unnest($23::int[], $24::float8[], $25::float8[]) as u(id, st, en)
  where trips.id = u.id and (u.en is not null or (u.st is not null and trips.status = 'planned'))
  returning 1),
c as (
  insert into engine_checkpoints (bus_id, trip_id, state)
  select b, t, st
  from unnest($26::int[], $27::int[],
              array(select e from jsonb_array_elements($28::text::jsonb) with ordinality as x(e, i) order by i))
    as u(b, t, st)
  on conflict (trip_id) do update set bus_id = excluded.bus_id, state = excluded.state, updated_at = now()
  returning 1),
d as (
  insert into driver_accumulators (driver_id, service_day, state, last_at, trip_id)
  select dr, dy::date, st, to_timestamp(la / 1000.0), t
  from unnest($29::int[], $30::text[],
              array(select e from jsonb_array_elements($31::text::jsonb) with ordinality as x(e, i) order by i),
              $32::float8[], $33::int[]) as u(dr, dy, st, la, t)
  on conflict (driver_id, service_day) do update set
    state = excluded.state, last_at = excluded.last_at, trip_id = excluded.trip_id, updated_at = now()
    where driver_accumulators.last_at <= excluded.last_at
  returning 1)
select (select count(*) from v)::int as violations, (select count(*) from s)::int as stops,
       (select count(*) from tr)::int as trips, (select count(*) from c)::int as checkpoints,
       (select count(*) from d)::int as carries`;

/** The statement's parameters for a set of lane writes (deduplicated on every key, newest wins). */
export function persistParams(writes: EngineWrite[]): unknown[] {
  const episodes = new Map<string, { e: ViolationEvent; schoolId: number }>();
  const stops: StopRow[] = [];
  const tripsChanged = new Map<number, { st: number | null; en: number | null }>();
  const checkpoints = new Map<number, { busId: number; state: string }>();
  const carries = new Map<string, DriverCarryRow>();
  for (const w of writes) {
    for (const e of w.violations) episodes.set(e.id, { e, schoolId: w.schoolId });
    for (const s of w.stops) stops.push(stopRow(w.tripId, s));
    if (w.startedMs != null || w.endedMs != null) {
      const t = tripsChanged.get(w.tripId) ?? { st: null, en: null };
      if (w.startedMs != null) t.st ??= w.startedMs;
      if (w.endedMs != null) t.en = w.endedMs;
      tripsChanged.set(w.tripId, t);
    }
    if (w.checkpoint !== undefined) checkpoints.set(w.tripId, { busId: w.busId, state: w.checkpoint });
    for (const r of w.carries) {
      const key = `${r.driverId}/${r.serviceDay}`;
      const have = carries.get(key);
      if (!have || have.carry.lastMs <= r.carry.lastMs) carries.set(key, r);
    }
  }
  const v = [...episodes.values()];
  const num = (x: number | null | undefined) => (x == null || !Number.isFinite(x) ? null : x);
  return [
    v.map(({ e }) => e.id),
    v.map(({ e }) => e.kind),
    v.map(({ e }) => e.severity),
    v.map(({ schoolId }) => schoolId),
    v.map(({ e }) => Number(e.busId)),
    v.map(({ e }) => Number(e.tripId)),
    v.map(({ e }) => Number(e.routeId)),
    v.map(({ e }) => (e.driverId != null && /^\d+$/.test(e.driverId) ? Number(e.driverId) : null)),
    v.map(({ e }) => e.startMs),
    v.map(({ e }) => e.endMs ?? null),
    v.map(({ e }) => num(e.peakValue)),
    v.map(({ e }) => num(e.limit)),
    v.map(({ e }) => e.startPosition?.lat ?? null),
    v.map(({ e }) => e.startPosition?.lon ?? null),
    v.map(({ e }) => e.endPosition?.lat ?? null),
    v.map(({ e }) => e.endPosition?.lon ?? null),
    JSON.stringify(
      v.map(({ e }) => ({ ...e.evidence, unit: e.unit ?? null, episodeStatus: e.status, lastMs: e.lastMs })),
    ),
    stops.map((s) => s.tripId),
    stops.map((s) => s.stopId),
    stops.map((s) => s.kind),
    stops.map((s) => s.timeMs),
    stops.map((s) => s.dwellS),
    [...tripsChanged.keys()],
    [...tripsChanged.values()].map((t) => t.st),
    [...tripsChanged.values()].map((t) => t.en),
    [...checkpoints.values()].map((c) => c.busId),
    [...checkpoints.keys()],
    `[${[...checkpoints.values()].map((c) => c.state).join(',')}]`,
    [...carries.values()].map((r) => r.driverId),
    [...carries.values()].map((r) => r.serviceDay),
    JSON.stringify([...carries.values()].map((r) => r.carry)),
    [...carries.values()].map((r) => r.carry.lastMs),
    [...carries.values()].map((r) => r.tripId),
  ];
}

interface StopRow {
  tripId: number;
  stopId: number;
  kind: 'arrived' | 'departed' | 'missed';
  timeMs: number;
  dwellS: number | null;
}

function stopRow(tripId: number, s: StopEvent): StopRow {
  return {
    tripId,
    stopId: Number(s.stopId),
    kind: s.type === 'stop.arrived' ? 'arrived' : s.type === 'stop.departed' ? 'departed' : 'missed',
    timeMs: stopEventMs(s),
    dwellS: s.dwellS == null ? null : Math.round(s.dwellS),
  };
}

/** When a stop event happened: the (possibly inferred) arrival or departure, not the fix that revealed it. */
export function stopEventMs(s: StopEvent): number {
  if (s.type === 'stop.arrived') return s.arrivedMs ?? s.timeMs;
  if (s.type === 'stop.departed') return s.departedMs ?? s.timeMs;
  return s.timeMs;
}

export async function persistEngineWrites(database: Database, writes: EngineWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await database.query(ENGINE_PERSIST_SQL, persistParams(writes), { prepare: true });
}

/** The most positions a restarted lane reads back to catch its engine up (a few hours of one bus at 1 Hz). */
export const MAX_CATCH_UP_FIXES = 20_000;

/**
 * Positions of a bus stored after `afterMs` (device time) and received before `receivedBeforeMs`, oldest first:
 * what was stored (and acknowledged) but not yet run through the engine when the process stopped.
 */
export async function storedFixesAfter(
  database: Database,
  busId: number,
  afterMs: number,
  receivedBeforeMs: number,
): Promise<{ fix: Fix; late: boolean }[]> {
  const rows = await database.query<{
    device_id: number;
    identifier: string | null;
    protocol: string | null;
    t: number;
    r: number;
    lat: number;
    lon: number;
    speed_kph: number | null;
    heading_deg: number | null;
    altitude_m: number | null;
    accuracy_m: number | null;
    satellites: number | null;
    alarms: string[] | null;
    acc: boolean | null;
    door_open: boolean | null;
    late: boolean;
    blind_area: boolean;
  }>(
    `select p.device_id, d.identifier, d.protocol,
            extract(epoch from p.time)::float8 * 1000 as t, extract(epoch from p.received_at)::float8 * 1000 as r,
            p.lat, p.lon, p.speed_kph, p.heading_deg, p.altitude_m, p.accuracy_m, p.satellites, p.alarms, p.acc,
            p.door_open, p.late, p.blind_area
     from positions p left join devices d on d.id = p.device_id
     where p.bus_id = $1 and p.time > to_timestamp($2 / 1000.0) and p.received_at < to_timestamp($3 / 1000.0)
     order by p.time, p.device_id
     limit ${MAX_CATCH_UP_FIXES}`,
    [busId, afterMs, receivedBeforeMs],
  );
  return rows.map((r) => {
    const fix: Fix = {
      deviceId: r.identifier ?? String(r.device_id),
      protocol: (r.protocol ?? 'json') as Protocol,
      busId,
      timeMs: Math.round(Number(r.t)),
      receivedMs: Math.round(Number(r.r)),
      lat: r.lat,
      lon: r.lon,
      valid: true,
      alarms: r.alarms ?? [],
      attributes: {},
    };
    if (r.speed_kph != null) fix.speedKph = r.speed_kph;
    if (r.heading_deg != null) fix.headingDeg = r.heading_deg;
    if (r.altitude_m != null) fix.altitudeM = r.altitude_m;
    if (r.accuracy_m != null) fix.accuracyM = r.accuracy_m;
    if (r.satellites != null) fix.satellites = r.satellites;
    if (r.acc != null) fix.acc = r.acc;
    if (r.door_open != null) fix.doorOpen = r.door_open;
    if (r.blind_area) fix.blindArea = true;
    return { fix, late: r.late };
  });
}
