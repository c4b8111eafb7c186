// Generates and stores one report: for a school (in its time zone) or the district (every school).
import type { DbOrTx } from '../store/db';
import { schoolZones } from '../store/repos/compliance-repo';
import { saveReport, type ReportRow } from '../store/repos/report-repo';
import { buildReport, defaultReportOptions, type ReportData, type ReportOptions } from './build';
import type { Period } from './period';

export const defaultTimeZone = 'Asia/Shanghai';

export interface GenerateRequest {
  /** null = the district report over every school. */
  schoolId: number | null;
  period: Period;
  nowMs: number;
  source: 'schedule' | 'api' | 'cli';
  requestedByUserId?: number | null;
  /** Time zone of district reports (default Asia/Shanghai). */
  districtTimeZone?: string;
  options?: ReportOptions;
}

export class UnknownSchoolError extends Error {}

export function reportScope(schoolId: number | null): string {
  return schoolId == null ? 'district' : `school:${schoolId}`;
}

export async function generateReport(db: DbOrTx, req: GenerateRequest): Promise<{ row: ReportRow; data: ReportData }> {
  const schools = await schoolZones(db, req.schoolId == null ? undefined : [req.schoolId]);
  if (req.schoolId != null && !schools.length) throw new UnknownSchoolError(`School ${req.schoolId} does not exist`);
  const timeZone = req.schoolId == null ? (req.districtTimeZone ?? defaultTimeZone) : schools[0]!.timeZone;
  const data = await buildReport(
    db,
    { schoolId: req.schoolId, schools, timeZone },
    req.period,
    req.nowMs,
    req.options ?? defaultReportOptions,
  );
  const row = await saveReport(db, {
    kind: req.period.kind,
    schoolId: req.schoolId,
    scope: reportScope(req.schoolId),
    periodKey: req.period.key,
    periodStart: req.period.startDate,
    periodEnd: req.period.endDate,
    timeZone,
    generatedAt: new Date(req.nowMs),
    source: req.source,
    requestedByUserId: req.requestedByUserId ?? null,
    data: data as unknown as Record<string, unknown>,
  });
  return { row, data };
}
