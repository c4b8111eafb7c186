// Where a trip stands at its end: whether the bus reached the route's last stop (the end-of-trip sweep waits for
// it), and the bus's last stored position (an SOS without a phone position falls back to it).
import { and, desc, eq, inArray, max } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { positions, stopEvents, stops } from '../schema';

/** The route's last stop and, when the trip reached (or passed) it, when. */
export async function finalStopReached(
  db: DbOrTx,
  tripId: number,
  routeId: number,
): Promise<{ stopId: number | null; stopName: string | null; reachedAt: Date | null }> {
  const [last] = await db
    .select({ seq: max(stops.sequence) })
    .from(stops)
    .where(eq(stops.routeId, routeId));
  if (last?.seq == null) return { stopId: null, stopName: null, reachedAt: null };
  const [stop] = await db
    .select({ id: stops.id, name: stops.name })
    .from(stops)
    .where(and(eq(stops.routeId, routeId), eq(stops.sequence, last.seq)));
  if (!stop) return { stopId: null, stopName: null, reachedAt: null };
  const [ev] = await db
    .select({ time: stopEvents.time })
    .from(stopEvents)
    .where(
      and(
        eq(stopEvents.tripId, tripId),
        eq(stopEvents.stopId, stop.id),
        inArray(stopEvents.kind, ['arrived', 'departed', 'missed']),
      ),
    )
    .orderBy(stopEvents.time)
    .limit(1);
  return { stopId: stop.id, stopName: stop.name, reachedAt: ev?.time ?? null };
}

/** The bus's latest stored position (late fixes aside), or undefined. */
export async function lastBusPosition(
  db: DbOrTx,
  busId: number,
): Promise<{ lat: number; lon: number; timeMs: number } | undefined> {
  const [row] = await db
    .select({ lat: positions.lat, lon: positions.lon, time: positions.time })
    .from(positions)
    .where(and(eq(positions.busId, busId), eq(positions.late, false)))
    .orderBy(desc(positions.time))
    .limit(1);
  return row ? { lat: row.lat, lon: row.lon, timeMs: row.time.getTime() } : undefined;
}
