// Hazard reports: where a plate, bus or route belongs, the rate-limit counts, and the report with its photos and
// the case it opens, written in one transaction.
import { and, count, desc, eq, gte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { buses, caseActions, hazardReportPhotos, hazardReports, routes, schools, violations } from '../schema';

export type HazardReportRow = typeof hazardReports.$inferSelect;

/** The bus with this (normalised) plate, if a school owns it. */
export async function busByPlate(
  db: DbOrTx,
  plate: string,
): Promise<{ id: number; schoolId: number; plate: string } | undefined> {
  const [row] = await db
    .select({ id: buses.id, schoolId: buses.schoolId, plate: buses.plate })
    .from(buses)
    .where(sql`regexp_replace(upper(${buses.plate}), '[[:space:]·._•-]', '', 'g') = ${plate}`)
    .limit(1);
  return row;
}

export async function busById(db: DbOrTx, id: number) {
  const [row] = await db
    .select({ id: buses.id, schoolId: buses.schoolId, plate: buses.plate })
    .from(buses)
    .where(eq(buses.id, id));
  return row;
}

export async function routeById(db: DbOrTx, id: number) {
  const [row] = await db.select({ id: routes.id, schoolId: routes.schoolId }).from(routes).where(eq(routes.id, id));
  return row;
}

export async function schoolOverridesOf(db: DbOrTx, schoolId: number): Promise<Record<string, unknown>> {
  const [row] = await db.select({ o: schools.ruleOverrides }).from(schools).where(eq(schools.id, schoolId));
  return row?.o ?? {};
}

/** Reports since `sinceMs` from one client, and about one plate. */
export async function recentReportCounts(
  db: DbOrTx,
  a: { clientKey: string; plate: string | null; sinceMs: number },
): Promise<{ byClient: number; byPlate: number }> {
  const since = new Date(a.sinceMs);
  const [c] = await db
    .select({ n: count() })
    .from(hazardReports)
    .where(and(eq(hazardReports.clientKey, a.clientKey), gte(hazardReports.createdAt, since)));
  const [p] = a.plate
    ? await db
        .select({ n: count() })
        .from(hazardReports)
        .where(and(eq(hazardReports.plate, a.plate), gte(hazardReports.createdAt, since)))
    : [{ n: 0 }];
  return { byClient: Number(c?.n ?? 0), byPlate: Number(p?.n ?? 0) };
}

export interface NewHazardReport {
  report: Omit<typeof hazardReports.$inferInsert, 'violationId' | 'createdAt'>;
  photos: { contentType: string; data: Uint8Array }[];
  violation: Omit<typeof violations.$inferInsert, 'id'>;
  atMs: number;
}

/** Stores the report, its photos and its case (one transaction). */
export async function insertHazardReport(
  db: DbOrTx,
  n: NewHazardReport,
): Promise<{ reportId: number; violationId: number }> {
  return db.transaction(async (tx) => {
    const [v] = await tx.insert(violations).values(n.violation).returning({ id: violations.id });
    const [r] = await tx
      .insert(hazardReports)
      .values({ ...n.report, violationId: v!.id, createdAt: new Date(n.atMs) })
      .returning({ id: hazardReports.id });
    if (n.photos.length)
      await tx.insert(hazardReportPhotos).values(
        n.photos.map((p, i) => ({
          reportId: r!.id,
          seq: i + 1,
          contentType: p.contentType,
          sizeBytes: p.data.length,
          data: p.data,
        })),
      );
    return { reportId: r!.id, violationId: v!.id };
  });
}

/** A report by receipt with its case's status and the note it was closed (or dismissed) with. */
export async function reportByReceipt(db: DbOrTx, receipt: string) {
  const [row] = await db
    .select({ report: hazardReports, status: violations.status, resolutionReason: violations.resolutionReason })
    .from(hazardReports)
    .leftJoin(violations, eq(violations.id, hazardReports.violationId))
    .where(eq(hazardReports.receipt, receipt))
    .limit(1);
  if (!row) return undefined;
  const [closing] = row.report.violationId
    ? await db
        .select({ at: caseActions.at, note: caseActions.note, to: caseActions.toStatus })
        .from(caseActions)
        .where(
          and(
            eq(caseActions.violationId, row.report.violationId),
            eq(caseActions.action, 'transition'),
            sql`${caseActions.toStatus} in ('closed', 'dismissed')`,
          ),
        )
        .orderBy(desc(caseActions.at), desc(caseActions.id))
        .limit(1)
    : [];
  const [photos] = await db
    .select({ n: count() })
    .from(hazardReportPhotos)
    .where(eq(hazardReportPhotos.reportId, row.report.id));
  return { ...row, closing, photos: Number(photos?.n ?? 0) };
}

/** The photos of the report behind a case (for its managers). */
export async function photosOfCase(db: DbOrTx, violationId: number, seq: number) {
  const [row] = await db
    .select({ contentType: hazardReportPhotos.contentType, data: hazardReportPhotos.data })
    .from(hazardReportPhotos)
    .innerJoin(hazardReports, eq(hazardReports.id, hazardReportPhotos.reportId))
    .where(and(eq(hazardReports.violationId, violationId), eq(hazardReportPhotos.seq, seq)))
    .limit(1);
  return row;
}
