// What a lane's engine reads from PostgreSQL: the bus's trip, the trip's context, its checkpoint and the positions
// stored after it. The same statements on Node (lanes.ts) and in a bus's Durable Object (object-lane-env.ts).
import type { Database } from '../store/db';
import type { LaneEngineEnv } from './bus-lane';
import { storedFixesAfter } from './engine-store';
import { findTripForBus, loadCheckpointText, loadTripContext, tripById } from './trip-context';

export type EngineReads = Pick<
  LaneEngineEnv,
  'findTrip' | 'tripById' | 'loadContext' | 'loadCheckpoint' | 'storedFixesAfter'
>;

export function engineReads(database: Database): EngineReads {
  return {
    findTrip: (busId, atMs) => findTripForBus(database, busId, atMs),
    tripById: (tripId) => tripById(database, tripId),
    loadContext: (row, nowMs) => loadTripContext(database, row, nowMs),
    loadCheckpoint: (tripId) => loadCheckpointText(database, tripId),
    storedFixesAfter: (busId, afterMs, receivedBeforeMs) =>
      storedFixesAfter(database, busId, afterMs, receivedBeforeMs),
  };
}
