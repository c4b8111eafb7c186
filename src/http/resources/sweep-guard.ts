// The end-of-trip sweep waits for the end of the trip: the bus reached (or passed) the route's last stop, or the
// trip ended. Mid-route it is refused with `sweep_too_early` (409), so "bus is empty" cannot be confirmed — nor
// the trip ended — while children are still to get off.
import { finalStopReached } from '../../store/repos/trip-end-repo';
import type { DbOrTx } from '../../store/db';
import type { TripForAttendance } from '../../store/repos/attendance-repo';
import { AppError } from '../errors';

export async function assertSweepAllowed(db: DbOrTx, t: TripForAttendance, earlyEndReason?: string): Promise<void> {
  if (t.trip.status === 'completed' || earlyEndReason) return;
  const final = await finalStopReached(db, t.trip.id, t.trip.routeId);
  if (final.reachedAt || final.stopId == null) return;
  throw new AppError(
    'sweep_too_early',
    `The bus has not reached the last stop (${final.stopName ?? final.stopId}) yet: the sweep comes at the end of the trip`,
    { lastStopId: final.stopId, lastStopName: final.stopName, tripStatus: t.trip.status },
  );
}
