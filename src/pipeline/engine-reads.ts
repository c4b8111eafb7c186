// What a lane's engine reads from PostgreSQL: the bus's trip, the trip's context, its checkpoint and the positions
// stored after it. The same statements on Node (lanes.ts) and in a bus's Durable Object (object-lane-env.ts).
import { eq } from 'drizzle-orm';
import type { Database } from '../store/db';
import { trips } from '../store/schema';
import type { LaneEngineEnv } from './bus-lane';
import { storedFixesAfter } from './engine-store';
import { findTripForBus, loadCheckpointText, loadTripContext } from './trip-context';

export type EngineReads = Pick<
  LaneEngineEnv,
  'findTrip' | 'tripById' | 'loadContext' | 'loadCheckpoint' | 'storedFixesAfter'
>;

export function engineReads(database: Database): EngineReads {
  return {
    findTrip: (busId, atMs) => findTripForBus(database.db, busId, atMs),
    tripById: async (tripId) => (await database.db.select().from(trips).where(eq(trips.id, tripId)))[0],
    loadContext: (row, nowMs) => loadTripContext(database, row, nowMs),
    loadCheckpoint: (tripId) => loadCheckpointText(database, tripId),
    storedFixesAfter: (busId, afterMs, receivedBeforeMs) =>
      storedFixesAfter(database, busId, afterMs, receivedBeforeMs),
  };
}
