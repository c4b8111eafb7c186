// R9 end-of-trip sweep (Art. 38–39): a trip that reached its final stop needs the attendant's "no child left
// aboard" confirmation within a configurable time (default 10 min). Without it — or when the bus is not
// empty — a critical "child possibly left on board" alert goes to the school's managers, once per trip. It
// stays open until a manager or the attendant resolves it with a note.
//
// checkSweepDeadlines is the scheduled job (run every minute); raiseLeftOnBoardAlert is shared with the
// attendant's sweep endpoint.
import { eq } from 'drizzle-orm';
import { CN_2012 } from '../core/presets';
import type { LivePublisher } from '../live/messages';
import { schoolViolationsTopic } from '../live/topics';
import type { Logger } from '../logging';
import type { EngineRunner } from '../pipeline/engine-runner';
import type { Database } from '../store/db';
import { markTrip } from '../store/repos/engine-repo';
import {
  boardingTotals,
  claimSweepAlert,
  leftOnBoardAlerts,
  raiseManualViolation,
  releaseSweepAlert,
  type SweepRow,
  type TripRow,
  tripsAwaitingSweep,
} from '../store/repos/attendance-repo';
import { trips } from '../store/schema';

/** The preset's time to confirm the sweep after the arrival at the final stop (cn-2012: 10 min). */
export const DEFAULT_SWEEP_CONFIRM_WITHIN_MS = CN_2012.sweep.confirmWithinMin * 60_000;
/** Arrivals older than this are not looked at any more (no alert storm for history after a deployment). */
export const SWEEP_LOOKBACK_MS = 24 * 3_600_000;

export type SweepAlertReason = NonNullable<SweepRow['alertReason']>;

export interface LeftOnBoardAlert {
  type: 'alert.childLeftOnBoard';
  schoolId: number;
  tripId: number;
  busId: number;
  violationId: number;
  reason: SweepAlertReason;
  onboard: number;
  timeMs: number;
}

export interface SweepDeps {
  database: Database;
  log: Logger;
  /** Ends the trip in the engine (tripEnd), which raises the engine's childLeftOnBoard episode. */
  runner?: EngineRunner;
  /** Pushes the alert to the school's managers over the live channel (src/live), when wired. */
  publishAlert?: (alert: LeftOnBoardAlert) => unknown;
  /** Default time to confirm the sweep after arrival at the final stop (10 min). */
  sweepConfirmWithinMs?: number;
}

/** Publishes the alert as a `violation` message on the school's violations topic (`school:<id>:violations`). */
export function liveAlertPublisher(publisher: LivePublisher): (alert: LeftOnBoardAlert) => void {
  return (alert) =>
    publisher.publish(schoolViolationsTopic(alert.schoolId), 'violation', { event: alert.type, ...alert });
}

/** Per school: `ruleOverrides.sweep.confirmWithinMin`, else the deployment default. */
export function sweepConfirmWithinMs(
  schoolOverrides: Record<string, unknown> | null | undefined,
  fallbackMs = DEFAULT_SWEEP_CONFIRM_WITHIN_MS,
): number {
  const sweep = schoolOverrides?.sweep as { confirmWithinMin?: unknown } | undefined;
  const min = sweep?.confirmWithinMin;
  return typeof min === 'number' && Number.isFinite(min) && min > 0 ? min * 60_000 : fallbackMs;
}

/**
 * Raises the trip's critical alert unless it was raised already (or, with onlyUnconfirmed, the sweep was
 * confirmed meanwhile). With endTrip the engine gets tripEnd {sweepConfirmed: false} first, and its episode
 * is the alert; otherwise (or when the engine did not raise one) a violation with the stable key
 * `childLeftOnBoard:<tripId>` is written. Returns the violation id, or undefined when nothing was raised.
 */
export async function raiseLeftOnBoardAlert(
  deps: SweepDeps,
  a: {
    trip: TripRow;
    reason: SweepAlertReason;
    onboard: number;
    atMs: number;
    endTrip: boolean;
    onlyUnconfirmed: boolean;
  },
): Promise<number | undefined> {
  const db = deps.database.db;
  const claimed = await claimSweepAlert(db, {
    tripId: a.trip.id,
    atMs: a.atMs,
    reason: a.reason,
    onlyUnconfirmed: a.onlyUnconfirmed,
  });
  if (!claimed) return undefined;
  try {
    if (a.endTrip && deps.runner && a.trip.status === 'active') {
      try {
        await deps.runner.submitToTrip(a.trip.id, a.trip.busId, [
          { type: 'tripEnd', timeMs: a.atMs, sweepConfirmed: false },
        ]);
      } catch (err) {
        deps.log.error('engine did not take the trip end; the alert is written directly', {
          tripId: a.trip.id,
          error: String(err),
        });
      }
    }
    const existing = (await leftOnBoardAlerts(db, a.trip.id)).find(
      (v) => v.status === 'open' || v.status === 'acknowledged' || v.status === 'rectifying',
    );
    const violationId =
      existing?.id ??
      (
        await raiseManualViolation(db, {
          episodeKey: `childLeftOnBoard:${a.trip.id}`,
          kind: 'childLeftOnBoard',
          severity: 'critical',
          trip: a.trip,
          atMs: a.atMs,
          peakValue: a.onboard,
          limitValue: 0,
          evidence: { reason: a.reason, onboard: a.onboard, unit: 'persons', source: 'sweep' },
        })
      ).id;
    if (a.endTrip) {
      // A trip the engine never started (or without a runner) still ends here.
      const [row] = await db.select({ status: trips.status }).from(trips).where(eq(trips.id, a.trip.id));
      if (row && row.status !== 'completed' && row.status !== 'cancelled')
        await markTrip(db, a.trip.id, { endedMs: a.atMs });
    }
    const alert: LeftOnBoardAlert = {
      type: 'alert.childLeftOnBoard',
      schoolId: a.trip.schoolId,
      tripId: a.trip.id,
      busId: a.trip.busId,
      violationId,
      reason: a.reason,
      onboard: a.onboard,
      timeMs: a.atMs,
    };
    deps.log.warn('child possibly left on board', { ...alert });
    try {
      await deps.publishAlert?.(alert);
    } catch (err) {
      deps.log.error('alert not published on the live channel', { tripId: a.trip.id, error: String(err) });
    }
    return violationId;
  } catch (err) {
    // Give the claim back so the next run raises it.
    await releaseSweepAlert(db, a.trip.id).catch(() => {});
    throw err;
  }
}

export interface SweepCheckResult {
  /** trips that arrived at their final stop without a sweep confirmation (inside the lookback) */
  awaiting: number;
  /** trips alerted by this run */
  alertedTripIds: number[];
}

/** The job: schedule every minute. Raises the alert for every trip whose sweep deadline passed at nowMs. */
export async function checkSweepDeadlines(deps: SweepDeps, nowMs: number): Promise<SweepCheckResult> {
  const db = deps.database.db;
  const awaiting = await tripsAwaitingSweep(db, nowMs - SWEEP_LOOKBACK_MS, nowMs);
  const alertedTripIds: number[] = [];
  for (const t of awaiting) {
    const withinMs = sweepConfirmWithinMs(t.schoolRuleOverrides, deps.sweepConfirmWithinMs);
    if (t.arrivedAt.getTime() + withinMs > nowMs) continue;
    try {
      const [trip] = await db.select().from(trips).where(eq(trips.id, t.tripId));
      if (!trip) continue;
      const { onboard } = await boardingTotals(db, t.tripId);
      const id = await raiseLeftOnBoardAlert(deps, {
        trip,
        reason: onboard !== 0 ? 'onboard_not_zero' : 'no_confirmation',
        onboard,
        atMs: nowMs,
        endTrip: true,
        onlyUnconfirmed: true,
      });
      if (id !== undefined) alertedTripIds.push(t.tripId);
    } catch (err) {
      deps.log.error('sweep deadline check failed for a trip', { tripId: t.tripId, error: String(err) });
    }
  }
  return { awaiting: awaiting.length, alertedTripIds };
}
