// R10 registry dates per school, and the compliance cases the daily job keeps in the violations table.
import { and, eq, inArray, isNull, like, max, notInArray, sql } from 'drizzle-orm';
import { complianceItems, type ComplianceItem, type ComplianceRegistry } from '../../core/compliance';
import { CN_2012_REGISTRY } from '../../core/presets/cn-2012';
import { localDate } from '../../core/time-zone';
import type { DbOrTx } from '../db';
import { attendants, buses, drivers, driverTrainings, schools, violations } from '../schema';

export interface SchoolZone {
  id: number;
  name: string;
  timeZone: string;
}

export async function schoolZones(db: DbOrTx, schoolIds?: number[]): Promise<SchoolZone[]> {
  return db
    .select({ id: schools.id, name: schools.name, timeZone: schools.timeZone })
    .from(schools)
    .where(schoolIds ? inArray(schools.id, schoolIds.length ? schoolIds : [-1]) : undefined)
    .orderBy(schools.id);
}

export async function loadComplianceRegistry(db: DbOrTx, schoolIds: number[]): Promise<ComplianceRegistry> {
  const ids = schoolIds.length ? schoolIds : [-1];
  const [d, b, a, tr] = await Promise.all([
    db.select().from(drivers).where(inArray(drivers.schoolId, ids)),
    db.select().from(buses).where(inArray(buses.schoolId, ids)),
    db.select().from(attendants).where(inArray(attendants.schoolId, ids)),
    db
      .select({ driverId: driverTrainings.driverId, last: max(driverTrainings.heldOn) })
      .from(driverTrainings)
      .where(inArray(driverTrainings.schoolId, ids))
      .groupBy(driverTrainings.driverId),
  ]);
  const lastTraining = new Map(tr.map((x) => [x.driverId, x.last]));
  return {
    drivers: d.map((x) => ({
      id: x.id,
      schoolId: x.schoolId,
      name: x.name,
      licenceValidUntil: x.licenceValidUntil,
      schoolBusEndorsement: x.schoolBusEndorsement,
      lastAnnualReview: x.lastAnnualReview,
      qualificationCertExpiry: x.qualificationCertExpiry,
      lastTrainingOn: lastTraining.get(x.id) ?? null,
    })),
    buses: b.map((x) => ({
      id: x.id,
      schoolId: x.schoolId,
      plate: x.plate,
      status: x.status,
      signValidUntil: x.signValidUntil,
      inspectionValidUntil: x.inspectionValidUntil,
      insuranceValidUntil: x.insuranceValidUntil,
    })),
    attendants: a.map((x) => ({
      id: x.id,
      schoolId: x.schoolId,
      name: x.name,
      trainingValidUntil: x.trainingValidUntil,
    })),
  };
}

/** Expired, expiring (within warnDays) and missing items of each school, each judged on the school's local date. */
export async function complianceForSchools(
  db: DbOrTx,
  zones: SchoolZone[],
  nowMs: number,
  warnDays: number,
): Promise<{ today: Record<number, string>; items: ComplianceItem[] }> {
  const reg = await loadComplianceRegistry(
    db,
    zones.map((z) => z.id),
  );
  const today: Record<number, string> = {};
  const items: ComplianceItem[] = [];
  for (const z of zones) {
    today[z.id] = localDate(z.timeZone, nowMs);
    const mine = (x: { schoolId: number }) => x.schoolId === z.id;
    items.push(
      ...complianceItems(
        { drivers: reg.drivers.filter(mine), buses: reg.buses.filter(mine), attendants: reg.attendants.filter(mine) },
        today[z.id]!,
        warnDays,
        CN_2012_REGISTRY,
      ),
    );
  }
  return { today, items };
}

export const complianceKind = 'complianceExpiry';

export function complianceEpisodeKey(i: ComplianceItem): string {
  return `compliance:${i.kind}:${i.subjectType}:${i.subjectId}:${i.expiresOn ?? 'missing'}`;
}

/**
 * One case per item (the key includes the expiry date, so a renewed credential that lapses again is a new case):
 * re-running updates the same rows. Items that no longer appear (renewed) get their episode ended.
 */
export async function syncComplianceViolations(
  db: DbOrTx,
  schoolId: number,
  items: ComplianceItem[],
  nowMs: number,
  warnDays: number,
): Promise<{ upserted: number; resolved: number }> {
  const now = new Date(nowMs);
  const rows = items.map((i) => ({
    episodeKey: complianceEpisodeKey(i),
    kind: complianceKind,
    severity: (i.status === 'expiring' ? 'minor' : 'major') as 'minor' | 'major',
    schoolId,
    busId: i.subjectType === 'bus' ? i.subjectId : null,
    driverId: i.subjectType === 'driver' ? i.subjectId : null,
    startedAt: now,
    peakValue: i.daysLeft,
    limitValue: warnDays,
    evidence: {
      item: i.kind,
      subjectType: i.subjectType,
      subjectId: i.subjectId,
      subjectName: i.subjectName,
      expiresOn: i.expiresOn,
      daysLeft: i.daysLeft,
      complianceStatus: i.status,
    },
  }));
  if (rows.length) {
    await db
      .insert(violations)
      .values(rows)
      .onConflictDoUpdate({
        target: violations.episodeKey,
        set: {
          severity: sql`excluded.severity`,
          peakValue: sql`excluded.peak_value`,
          limitValue: sql`excluded.limit_value`,
          evidence: sql`excluded.evidence`,
          endedAt: null,
          updatedAt: now,
        },
      });
  }
  const keys = rows.map((r) => r.episodeKey);
  const resolved = await db
    .update(violations)
    .set({ endedAt: now, updatedAt: now })
    .where(
      and(
        eq(violations.schoolId, schoolId),
        eq(violations.kind, complianceKind),
        like(violations.episodeKey, 'compliance:%'),
        isNull(violations.endedAt),
        keys.length ? notInArray(violations.episodeKey, keys) : undefined,
      ),
    )
    .returning({ id: violations.id });
  return { upserted: rows.length, resolved: resolved.length };
}
