// Inspections: pre-trip checks (with the case a failed one opens, in one transaction), weekly bus inspections,
// evacuation drills with their photos, and what the reports count.
import { and, asc, count, desc, eq, gte, inArray, lt, lte, ne } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import {
  buses,
  busInspections,
  evacuationDrillPhotos,
  evacuationDrills,
  preTripChecks,
  routes,
  trips,
  violations,
} from '../schema';

export type PreTripCheckRow = typeof preTripChecks.$inferSelect;
export type BusInspectionRow = typeof busInspections.$inferSelect;
export type DrillRow = typeof evacuationDrills.$inferSelect;

const ids = (xs: number[]) => (xs.length ? xs : [-1]);

/** Stores a check and, when it failed, the case it opens (one transaction). */
export async function insertPreTripCheck(
  db: DbOrTx,
  check: Omit<typeof preTripChecks.$inferInsert, 'id' | 'violationId' | 'createdAt'>,
  violation: Omit<typeof violations.$inferInsert, 'id'> | undefined,
  atMs: number,
): Promise<PreTripCheckRow> {
  return db.transaction(async (tx) => {
    const [v] = violation ? await tx.insert(violations).values(violation).returning({ id: violations.id }) : [];
    const [row] = await tx
      .insert(preTripChecks)
      .values({ ...check, violationId: v?.id ?? null, createdAt: new Date(atMs) })
      .returning();
    return row!;
  });
}

/** The bus's latest pre-trip check on a service date (the one check-in goes by). */
export async function latestPreTripCheck(
  db: DbOrTx,
  busId: number,
  serviceDate: string,
): Promise<PreTripCheckRow | undefined> {
  const [row] = await db
    .select()
    .from(preTripChecks)
    .where(and(eq(preTripChecks.busId, busId), eq(preTripChecks.serviceDate, serviceDate)))
    .orderBy(desc(preTripChecks.createdAt), desc(preTripChecks.id))
    .limit(1);
  return row;
}

/** What check-in needs beyond the trip: the route's approval and the bus's status. */
export async function checkInFacts(db: DbOrTx, routeId: number, busId: number) {
  const [route] = await db
    .select({
      id: routes.id,
      approvedBy: routes.approvedBy,
      approvalNumber: routes.approvalNumber,
      approvedOn: routes.approvedOn,
    })
    .from(routes)
    .where(eq(routes.id, routeId));
  const [bus] = await db.select({ status: buses.status }).from(buses).where(eq(buses.id, busId));
  return { route: route!, busStatus: bus?.status ?? 'active' };
}

export async function insertBusInspection(
  db: DbOrTx,
  row: Omit<typeof busInspections.$inferInsert, 'id' | 'createdAt'>,
  atMs: number,
): Promise<BusInspectionRow> {
  const [out] = await db
    .insert(busInspections)
    .values({ ...row, createdAt: new Date(atMs) })
    .returning();
  return out!;
}

export async function listBusInspections(
  db: DbOrTx,
  f: { schoolIds?: number[]; busId?: number; from?: string; to?: string; limit: number },
): Promise<BusInspectionRow[]> {
  return db
    .select()
    .from(busInspections)
    .where(
      and(
        f.schoolIds ? inArray(busInspections.schoolId, ids(f.schoolIds)) : undefined,
        f.busId != null ? eq(busInspections.busId, f.busId) : undefined,
        f.from ? gte(busInspections.inspectedOn, f.from) : undefined,
        f.to ? lte(busInspections.inspectedOn, f.to) : undefined,
      ),
    )
    .orderBy(desc(busInspections.inspectedOn), desc(busInspections.id))
    .limit(f.limit);
}

export async function insertDrill(
  db: DbOrTx,
  drill: Omit<typeof evacuationDrills.$inferInsert, 'id' | 'createdAt'>,
  photos: { contentType: string; data: Uint8Array }[],
  atMs: number,
): Promise<DrillRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(evacuationDrills)
      .values({ ...drill, createdAt: new Date(atMs) })
      .returning();
    if (photos.length)
      await tx.insert(evacuationDrillPhotos).values(
        photos.map((p, i) => ({
          drillId: row!.id,
          seq: i + 1,
          contentType: p.contentType,
          sizeBytes: p.data.length,
          data: p.data,
        })),
      );
    return row!;
  });
}

export async function drillById(db: DbOrTx, id: number): Promise<DrillRow | undefined> {
  const [row] = await db.select().from(evacuationDrills).where(eq(evacuationDrills.id, id));
  return row;
}

export async function listDrills(
  db: DbOrTx,
  f: { schoolIds?: number[]; from?: string; to?: string; limit: number },
): Promise<(DrillRow & { photos: number })[]> {
  const rows = await db
    .select()
    .from(evacuationDrills)
    .where(
      and(
        f.schoolIds ? inArray(evacuationDrills.schoolId, ids(f.schoolIds)) : undefined,
        f.from ? gte(evacuationDrills.heldOn, f.from) : undefined,
        f.to ? lte(evacuationDrills.heldOn, f.to) : undefined,
      ),
    )
    .orderBy(desc(evacuationDrills.heldOn), desc(evacuationDrills.id))
    .limit(f.limit);
  const counts = await photoCounts(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, photos: counts.get(r.id) ?? 0 }));
}

export async function photoCounts(db: DbOrTx, drillIds: number[]): Promise<Map<number, number>> {
  const rows = await db
    .select({ drillId: evacuationDrillPhotos.drillId, n: count() })
    .from(evacuationDrillPhotos)
    .where(inArray(evacuationDrillPhotos.drillId, ids(drillIds)))
    .groupBy(evacuationDrillPhotos.drillId);
  return new Map(rows.map((r) => [r.drillId, Number(r.n)]));
}

export async function drillPhoto(db: DbOrTx, drillId: number, seq: number) {
  const [row] = await db
    .select({ contentType: evacuationDrillPhotos.contentType, data: evacuationDrillPhotos.data })
    .from(evacuationDrillPhotos)
    .where(and(eq(evacuationDrillPhotos.drillId, drillId), eq(evacuationDrillPhotos.seq, seq)))
    .limit(1);
  return row;
}

/**
 * For the reports, over the local dates [startDate, endDate): bus-days with a trip (cancelled left out), the bus-days
 * checked, the weekly inspections, the buses in service and the drills held.
 */
export async function inspectionFigures(db: DbOrTx, schoolIds: number[], startDate: string, endDate: string) {
  const s = ids(schoolIds);
  const [busDays, checks, inspections, fleet, drills] = await Promise.all([
    db
      .selectDistinct({ busId: trips.busId, serviceDate: trips.serviceDate })
      .from(trips)
      .where(
        and(
          inArray(trips.schoolId, s),
          gte(trips.serviceDate, startDate),
          lt(trips.serviceDate, endDate),
          ne(trips.status, 'cancelled'),
        ),
      ),
    db
      .selectDistinct({ busId: preTripChecks.busId, serviceDate: preTripChecks.serviceDate })
      .from(preTripChecks)
      .where(
        and(
          inArray(preTripChecks.schoolId, s),
          gte(preTripChecks.serviceDate, startDate),
          lt(preTripChecks.serviceDate, endDate),
        ),
      ),
    db
      .selectDistinct({ busId: busInspections.busId, weekStart: busInspections.weekStart })
      .from(busInspections)
      .where(inArray(busInspections.schoolId, s)),
    db
      .select({ id: buses.id })
      .from(buses)
      .where(and(inArray(buses.schoolId, s), eq(buses.status, 'active')))
      .orderBy(asc(buses.id)),
    db
      .select({ n: count() })
      .from(evacuationDrills)
      .where(
        and(
          inArray(evacuationDrills.schoolId, s),
          gte(evacuationDrills.heldOn, startDate),
          lt(evacuationDrills.heldOn, endDate),
        ),
      ),
  ]);
  return { busDays, checks, inspections, activeBusIds: fleet.map((b) => b.id), drills: Number(drills[0]?.n ?? 0) };
}
