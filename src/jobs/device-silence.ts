// 应装未装 / 人为关闭 (Art. 21): before a bus's first trip of the day, a bus with no device mounted, or none heard in
// the preset's window (24 h), is flagged with a `deviceSilent` case, once per bus and day. Every five minutes, in
// each school's local day.
import { and, asc, eq, inArray } from 'drizzle-orm';
import { caseDeadlineConfig, dueAtFor } from '../core/case-deadlines';
import { CN_2012_REGISTRY } from '../core/presets/cn-2012';
import type { RegistryConfig } from '../core/presets/types';
import { deviceSilence, firstTripSoon } from '../core/registry-rules';
import { localDate } from '../core/time-zone';
import type { DbOrTx } from '../store/db';
import { buses, devices, schools, trips, violations } from '../store/schema';

export async function runDeviceSilence(
  db: DbOrTx,
  nowMs: number,
  cfg: RegistryConfig = CN_2012_REGISTRY,
): Promise<{ checked: number; flagged: number; busIds: number[] }> {
  const zones = await db
    .select({ id: schools.id, timeZone: schools.timeZone, ruleOverrides: schools.ruleOverrides })
    .from(schools);
  let checked = 0;
  const flaggedBuses: number[] = [];
  for (const school of zones) {
    const today = localDate(school.timeZone, nowMs);
    // Each bus's first trip of the day (cancelled trips left out), for buses in service.
    const rows = await db
      .select({ trip: trips, plate: buses.plate })
      .from(trips)
      .innerJoin(buses, eq(buses.id, trips.busId))
      .where(and(eq(trips.schoolId, school.id), eq(trips.serviceDate, today), eq(buses.status, 'active')))
      .orderBy(asc(trips.plannedStartAt), asc(trips.id));
    const first = new Map<number, (typeof rows)[number]>();
    for (const r of rows) if (r.trip.status !== 'cancelled' && !first.has(r.trip.busId)) first.set(r.trip.busId, r);
    const due = [...first.values()].filter(
      (r) => r.trip.status === 'planned' && firstTripSoon(r.trip.plannedStartAt.getTime(), nowMs, cfg),
    );
    if (!due.length) continue;
    const mounted = await db
      .select({ busId: devices.busId, lastSeenAt: devices.lastSeenAt })
      .from(devices)
      .where(
        inArray(
          devices.busId,
          due.map((r) => r.trip.busId),
        ),
      );
    const deadlines = caseDeadlineConfig(school.ruleOverrides);
    for (const r of due) {
      checked++;
      const seen = mounted.filter((d) => d.busId === r.trip.busId).map((d) => d.lastSeenAt?.getTime() ?? null);
      const reason = deviceSilence(seen, nowMs, cfg);
      if (!reason) continue;
      const lastSeen = seen.filter((x): x is number => x != null);
      const inserted = await db
        .insert(violations)
        .values({
          episodeKey: `deviceSilent:${r.trip.busId}:${today}`,
          kind: 'deviceSilent',
          severity: cfg.deviceSilentSeverity,
          status: 'open',
          schoolId: school.id,
          busId: r.trip.busId,
          tripId: r.trip.id,
          driverId: r.trip.driverId,
          routeId: r.trip.routeId,
          startedAt: new Date(nowMs),
          limitValue: cfg.deviceSilentAfterH,
          dueAt: new Date(dueAtFor(nowMs, cfg.deviceSilentSeverity, deadlines)),
          evidence: {
            reason,
            plate: r.plate,
            serviceDate: today,
            firstTripId: r.trip.id,
            plannedStartAt: r.trip.plannedStartAt.toISOString(),
            devices: seen.length,
            lastSeenAt: lastSeen.length ? new Date(Math.max(...lastSeen)).toISOString() : null,
            silentAfterH: cfg.deviceSilentAfterH,
          },
        })
        .onConflictDoNothing({ target: violations.episodeKey })
        .returning({ id: violations.id });
      if (inserted.length) flaggedBuses.push(r.trip.busId);
    }
  }
  return { checked, flagged: flaggedBuses.length, busIds: flaggedBuses };
}
