// What the engine produces, persisted: one violation row per episode (updated in place), stop events,
// trip lifecycle and the per-bus checkpoint.
import { and, eq, sql } from 'drizzle-orm';
import type { ViolationEvent } from '../../core/events';
import type { FatigueCarry } from '../../core/rules/fatigue';
import type { DbOrTx } from '../db';
import { driverAccumulators, engineCheckpoints, stopEvents, trips, violations } from '../schema';

export async function upsertViolations(db: DbOrTx, schoolId: number, events: ViolationEvent[]): Promise<void> {
  // The latest snapshot of each episode wins.
  const latest = new Map<string, ViolationEvent>();
  for (const e of events) latest.set(e.id, e);
  if (latest.size === 0) return;
  const rows = [...latest.values()].map((e) => ({
    episodeKey: e.id,
    kind: e.kind,
    severity: e.severity,
    schoolId,
    busId: Number(e.busId),
    tripId: Number(e.tripId),
    routeId: Number(e.routeId),
    driverId: e.driverId != null && /^\d+$/.test(e.driverId) ? Number(e.driverId) : null,
    startedAt: new Date(e.startMs),
    endedAt: e.endMs != null ? new Date(e.endMs) : null,
    peakValue: e.peakValue ?? null,
    limitValue: e.limit ?? null,
    startLat: e.startPosition?.lat ?? null,
    startLon: e.startPosition?.lon ?? null,
    endLat: e.endPosition?.lat ?? null,
    endLon: e.endPosition?.lon ?? null,
    evidence: { ...e.evidence, unit: e.unit ?? null, episodeStatus: e.status, lastMs: e.lastMs },
  }));
  await db
    .insert(violations)
    .values(rows)
    .onConflictDoUpdate({
      target: violations.episodeKey,
      set: {
        severity: sql`excluded.severity`,
        kind: sql`excluded.kind`,
        driverId: sql`coalesce(excluded.driver_id, ${violations.driverId})`,
        endedAt: sql`excluded.ended_at`,
        peakValue: sql`excluded.peak_value`,
        limitValue: sql`excluded.limit_value`,
        endLat: sql`excluded.end_lat`,
        endLon: sql`excluded.end_lon`,
        evidence: sql`excluded.evidence`,
        updatedAt: sql`now()`,
      },
    });
}

export async function recordStopEvents(
  db: DbOrTx,
  rows: { tripId: number; stopId: number; kind: 'arrived' | 'departed' | 'missed'; timeMs: number; dwellS?: number }[],
) {
  if (!rows.length) return;
  await db
    .insert(stopEvents)
    .values(
      rows.map((r) => ({
        tripId: r.tripId,
        stopId: r.stopId,
        kind: r.kind,
        time: new Date(r.timeMs),
        dwellS: r.dwellS ?? null,
      })),
    )
    .onConflictDoNothing();
}

export async function markTrip(db: DbOrTx, tripId: number, change: { startedMs?: number; endedMs?: number }) {
  if (change.startedMs != null)
    await db
      .update(trips)
      .set({ status: 'active', startedAt: new Date(change.startedMs), updatedAt: sql`now()` })
      .where(and(eq(trips.id, tripId), eq(trips.status, 'planned')));
  if (change.endedMs != null)
    await db
      .update(trips)
      .set({ status: 'completed', endedAt: new Date(change.endedMs), updatedAt: sql`now()` })
      .where(eq(trips.id, tripId));
}

export async function saveCheckpoint(db: DbOrTx, busId: number, tripId: number, state: string) {
  await db
    .insert(engineCheckpoints)
    .values({ busId, tripId, state: JSON.parse(state) })
    .onConflictDoUpdate({
      target: engineCheckpoints.tripId,
      set: { busId, state: JSON.parse(state), updatedAt: sql`now()` },
    });
}

export async function loadCheckpoint(db: DbOrTx, tripId: number): Promise<unknown | undefined> {
  const [row] = await db.select().from(engineCheckpoints).where(eq(engineCheckpoints.tripId, tripId));
  return row?.state;
}

export interface DriverCarryRow {
  driverId: number;
  /** YYYY-MM-DD, local date of carry.lastMs */
  serviceDay: string;
  tripId: number;
  carry: FatigueCarry;
}

/** Upserts drivers' continuous-driving blocks; an older block never replaces a newer one (replays are harmless). */
export async function saveDriverCarries(db: DbOrTx, rows: DriverCarryRow[]): Promise<void> {
  const latest = new Map<string, DriverCarryRow>();
  for (const r of rows) {
    const key = `${r.driverId}/${r.serviceDay}`;
    const have = latest.get(key);
    if (!have || have.carry.lastMs <= r.carry.lastMs) latest.set(key, r);
  }
  if (!latest.size) return;
  await db
    .insert(driverAccumulators)
    .values(
      [...latest.values()].map((r) => ({
        driverId: r.driverId,
        serviceDay: r.serviceDay,
        state: r.carry,
        lastAt: new Date(r.carry.lastMs),
        tripId: r.tripId,
      })),
    )
    .onConflictDoUpdate({
      target: [driverAccumulators.driverId, driverAccumulators.serviceDay],
      set: {
        state: sql`excluded.state`,
        lastAt: sql`excluded.last_at`,
        tripId: sql`excluded.trip_id`,
        updatedAt: sql`now()`,
      },
      setWhere: sql`${driverAccumulators.lastAt} <= excluded.last_at`,
    });
}
