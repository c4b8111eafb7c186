// Responses of the reports: the stored report's metadata and its data (JSON; CSV and HTML are renderings of it).
import { z } from 'zod';
import { reportKinds } from '../../store/schema';
import { complianceItem } from './compliance';
import { day, instant, int, text } from './common';

export const reportMeta = z.strictObject({
  id: int,
  kind: z.enum(reportKinds),
  /** null for the district report. */
  schoolId: int.nullable(),
  periodKey: text,
  periodStart: day,
  periodEnd: day,
  timeZone: text,
  generatedAt: instant,
  source: text,
});
export const reportPage = z.strictObject({ items: z.array(reportMeta), nextCursor: int.nullable() });

const ratio = z.number().nullable();
const breakdown = z.strictObject({ key: text, label: text, count: int, previous: int, change: int });
const period = { kind: z.enum(reportKinds), key: text, startDate: day, endDate: day, from: instant, to: instant };

export const caseListItem = z.strictObject({
  id: int,
  schoolId: int.nullable(),
  school: text.nullable(),
  kind: text,
  severity: text,
  busId: int.nullable(),
  bus: text.nullable(),
  driverId: int.nullable(),
  driver: text.nullable(),
  openedAt: instant,
  ownerUserId: int.nullable(),
  owner: text.nullable(),
  dueAt: instant.nullable(),
  status: text,
  overdue: z.boolean(),
  escalatedAt: instant.nullable(),
  closedAt: instant.nullable(),
  closingNote: text.nullable(),
  carriedOver: z.boolean(),
});
export const caseList = z.strictObject({
  reportId: int,
  periodKey: text,
  schoolId: int.nullable(),
  items: z.array(caseListItem),
  truncated: z.boolean(),
});

const schoolRow = z.strictObject({
  rank: int,
  schoolId: int,
  name: text,
  violations: int,
  byKind: z.record(z.string(), int),
  casesOpened: int,
  casesClosed: int,
  rectificationRate: ratio,
  overdue: int,
  escalated: int,
  tripsRun: int,
  violationsPerTrip: ratio,
  onTimeRate: ratio,
  deviceUptime: ratio,
  /** absent in reports stored before inspections existed */
  dailyCheckRate: ratio.optional(),
  weeklyInspectionRate: ratio.optional(),
});

const completion = z.strictObject({ due: int, done: int, rate: ratio });

export const reportData = z.strictObject({
  title: text,
  scope: z.strictObject({ schoolId: int.nullable(), schools: z.array(z.strictObject({ id: int, name: text })) }),
  period: z.strictObject({ ...period, timeZone: text }),
  previousPeriod: z.strictObject(period),
  generatedAt: instant,
  violations: z.strictObject({
    total: int,
    previous: int,
    change: int,
    changePct: ratio,
    byKind: z.array(breakdown),
    bySeverity: z.array(breakdown),
    byBus: z.array(breakdown),
    byDriver: z.array(breakdown),
    byRoute: z.array(breakdown),
  }),
  cases: z.strictObject({
    opened: int,
    closed: int,
    dismissed: int,
    overdue: int,
    closedOfOpened: int,
    dismissedOfOpened: int,
    /** absent in reports stored before escalation existed */
    escalated: int.optional(),
    rectificationRate: ratio,
  }),
  onTime: z.strictObject({
    source: z.literal('stop_events'),
    earlyToleranceS: int,
    lateToleranceS: int,
    scheduledStops: int,
    arrived: int,
    onTime: int,
    early: int,
    late: int,
    missed: int,
    onTimeRate: ratio,
    avgDelayS: z.number().nullable(),
    byRoute: z.array(
      z.strictObject({
        routeId: int,
        label: text,
        arrived: int,
        onTime: int,
        late: int,
        early: int,
        missed: int,
        onTimeRate: ratio,
      }),
    ),
  }),
  ridership: z.strictObject({
    trips: int,
    tripsWithRecords: int,
    boarded: int,
    alighted: int,
    distinctStudents: int,
    byRoute: z.array(z.strictObject({ routeId: int, label: text, trips: int, boarded: int })),
  }),
  deviceUptime: z.strictObject({
    tripsRun: int,
    activeTripMinutes: z.number(),
    minutesWithFix: z.number(),
    uptime: ratio,
    devices: z.array(
      z.strictObject({
        deviceId: int,
        identifier: text,
        busId: int,
        label: text,
        activeTripMinutes: z.number(),
        minutesWithFix: z.number(),
        fixes: int,
        fixesPerMinute: ratio,
        uptime: ratio,
      }),
    ),
  }),
  /** The list (清单): every case of the period (absent in reports stored before it existed). */
  caseList: z.strictObject({ items: z.array(caseListItem), truncated: z.boolean() }).optional(),
  /** District reports: one row per school with its rank; null for a school's report. */
  perSchool: z.array(schoolRow).nullable().optional(),
  /** Pre-trip checks per bus-day with a trip, weekly inspections per bus in service and ISO week, drills held (absent in reports stored before inspections existed). */
  inspections: z
    .strictObject({ dailyChecks: completion, weeklyInspections: completion, drills: int, weeks: z.array(day) })
    .optional(),
  compliance: z.strictObject({
    asOf: day,
    warnDays: int,
    expired: int,
    expiring: int,
    missing: int,
    items: z.array(complianceItem),
  }),
  definitions: z.record(z.string(), text),
});

export const report = reportMeta.extend({ data: reportData });

export type ReportMeta = z.infer<typeof reportMeta>;
export type ReportPage = z.infer<typeof reportPage>;
export type ReportData = z.infer<typeof reportData>;
export type Report = z.infer<typeof report>;
