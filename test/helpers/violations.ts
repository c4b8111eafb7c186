// Violations and positions inserted straight into the database, fast: one statement for a whole batch.
import type { Database } from '../../src/store/db';

export interface SeedViolation {
  episodeKey: string;
  kind: string;
  severity: 'critical' | 'major' | 'minor';
  status?: 'open' | 'acknowledged' | 'rectifying' | 'closed' | 'dismissed';
  schoolId: number;
  busId?: number | null;
  driverId?: number | null;
  routeId?: number | null;
  tripId?: number | null;
  /** ISO instant (microseconds allowed). */
  startedAt: string;
  endedAt?: string | null;
  dueAt?: string | null;
  startLat?: number;
  startLon?: number;
  evidence?: Record<string, unknown>;
}

/** Inserts every row in one statement (jsonb_to_recordset) and returns episodeKey → id. */
export async function insertViolations(database: Database, rows: SeedViolation[]): Promise<Map<string, number>> {
  const json = JSON.stringify(
    rows.map((r) => ({
      episode_key: r.episodeKey,
      kind: r.kind,
      severity: r.severity,
      status: r.status ?? 'open',
      school_id: r.schoolId,
      bus_id: r.busId ?? null,
      driver_id: r.driverId ?? null,
      route_id: r.routeId ?? null,
      trip_id: r.tripId ?? null,
      started_at: r.startedAt,
      ended_at: r.endedAt ?? null,
      due_at: r.dueAt ?? null,
      start_lat: r.startLat ?? null,
      start_lon: r.startLon ?? null,
      evidence: r.evidence ?? {},
    })),
  );
  const out = await database.query<{ id: number; episode_key: string }>(
    `insert into violations (episode_key, kind, severity, status, school_id, bus_id, driver_id, route_id, trip_id, started_at, ended_at, due_at, start_lat, start_lon, evidence)
     select episode_key, kind, severity, status, school_id, bus_id, driver_id, route_id, trip_id, started_at, ended_at, due_at, start_lat, start_lon, evidence
     from jsonb_to_recordset($1::jsonb) as x(episode_key text, kind text, severity text, status text, school_id int, bus_id int, driver_id int, route_id int, trip_id int,
       started_at timestamptz, ended_at timestamptz, due_at timestamptz, start_lat float8, start_lon float8, evidence jsonb)
     returning id, episode_key`,
    [json],
  );
  return new Map(out.map((r) => [r.episode_key, Number(r.id)]));
}

export interface SeedPosition {
  busId: number;
  deviceId: number;
  timeMs: number;
  lat: number;
  lon: number;
  speedKph?: number;
}

export async function insertPositions(database: Database, rows: SeedPosition[]): Promise<void> {
  const json = JSON.stringify(
    rows.map((p) => ({
      bus_id: p.busId,
      device_id: p.deviceId,
      time: new Date(p.timeMs).toISOString(),
      lat: p.lat,
      lon: p.lon,
      speed_kph: p.speedKph ?? null,
    })),
  );
  await database.query(
    `insert into positions (bus_id, device_id, time, received_at, lat, lon, speed_kph)
     select bus_id, device_id, time, time, lat, lon, speed_kph from jsonb_to_recordset($1::jsonb) as x(bus_id int, device_id int, time timestamptz, lat float8, lon float8, speed_kph real)`,
    [json],
  );
}
