// Trips not started lateAfterMin after their planned start: one tripLate violation per trip (episode key
// tripLate:<tripId>, so re-runs update the same row); the episode ends when the trip starts or is cancelled.
import { and, eq, gt, isNull, lte, or, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../store/db';
import { trips, violations } from '../store/schema';

export const tripLateKind = 'tripLate';

export async function runTripLateness(
  db: DbOrTx,
  nowMs: number,
  cfg: { lateAfterMin: number; lateLookbackH: number },
): Promise<{ late: number; resolved: number; lateTripIds: number[] }> {
  const now = new Date(nowMs);
  const lateAfterMs = cfg.lateAfterMin * 60_000;
  const late = await db
    .select()
    .from(trips)
    .where(
      and(
        eq(trips.status, 'planned'),
        isNull(trips.startedAt),
        lte(trips.plannedStartAt, new Date(nowMs - lateAfterMs)),
        gt(trips.plannedStartAt, new Date(nowMs - cfg.lateLookbackH * 3600_000)),
      ),
    );
  if (late.length) {
    await db
      .insert(violations)
      .values(
        late.map((t) => {
          const lateByMin = Math.floor((nowMs - t.plannedStartAt.getTime()) / 60_000);
          return {
            episodeKey: `${tripLateKind}:${t.id}`,
            kind: tripLateKind,
            severity: 'minor' as const,
            schoolId: t.schoolId,
            busId: t.busId,
            tripId: t.id,
            routeId: t.routeId,
            driverId: t.driverId,
            // The episode starts when the trip became late, so every run computes the same start.
            startedAt: new Date(t.plannedStartAt.getTime() + lateAfterMs),
            peakValue: lateByMin,
            limitValue: cfg.lateAfterMin,
            evidence: { plannedStartAt: t.plannedStartAt.toISOString(), lateByMin, checkedAt: now.toISOString() },
          };
        }),
      )
      .onConflictDoUpdate({
        target: violations.episodeKey,
        set: { peakValue: sql`excluded.peak_value`, evidence: sql`excluded.evidence`, updatedAt: now },
        setWhere: isNull(violations.endedAt),
      });
  }
  // Started (or cancelled) since: close the episode with the real lateness.
  const resolved = await db
    .update(violations)
    .set({
      endedAt: sql`coalesce(${trips.startedAt}, ${now.toISOString()}::timestamptz)`,
      peakValue: sql`case when ${trips.startedAt} is null then ${violations.peakValue} else floor(extract(epoch from (${trips.startedAt} - ${trips.plannedStartAt})) / 60) end`,
      updatedAt: now,
    })
    .from(trips)
    .where(
      and(
        eq(violations.kind, tripLateKind),
        isNull(violations.endedAt),
        eq(violations.tripId, trips.id),
        or(isNotNull(trips.startedAt), eq(trips.status, 'cancelled')),
      ),
    )
    .returning({ id: violations.id });
  return { late: late.length, resolved: resolved.length, lateTripIds: late.map((t) => t.id).sort((x, y) => x - y) };
}
