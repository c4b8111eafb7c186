// Builds one report (a school or the district, one period) from the database: violations with the change from
// the previous period, cases, on-time performance at stops, ridership, device uptime and compliance expiries.
import { addDays, complianceItems, defaultComplianceWarnDays, type ComplianceItem } from '../core/compliance';
import { decodeResolution, isOverdue, type CaseStatus } from '../core/case-workflow';
import { CN_2012_REGISTRY } from '../core/presets/cn-2012';
import {
  type Completion,
  dailyCheckCompletion,
  weeklyInspectionCompletion,
  weeksOverlapping,
} from '../core/inspections';
import { zonedTimeToEpochMs } from '../core/time-zone';
import { inspectionFigures } from '../store/repos/inspections-repo';
import type { DbOrTx } from '../store/db';
import { loadComplianceRegistry, type SchoolZone } from '../store/repos/compliance-repo';
import {
  caseFigures,
  type CaseFigures,
  caseListOf,
  devicesOfBuses,
  fixesDuringTrips,
  labels,
  ridership,
  scheduledStops,
  stopEventsOf,
  tripsOfDates,
  violationGroups,
  type ViolationGroupRow,
} from '../store/repos/report-repo';
import { periodWindow, previousPeriod, type Period } from './period';

export interface ReportOptions {
  /** A stop arrival counts as on time from earlyS before to lateS after the scheduled time. */
  onTime: { earlyS: number; lateS: number };
  complianceWarnDays: number;
}

export const defaultReportOptions: ReportOptions = {
  onTime: { earlyS: 120, lateS: 300 },
  complianceWarnDays: defaultComplianceWarnDays,
};

export interface ReportTarget {
  /** null for the district (every school given). */
  schoolId: number | null;
  schools: SchoolZone[];
  timeZone: string;
}

export interface Breakdown {
  key: string;
  label: string;
  count: number;
  previous: number;
  change: number;
}

export interface ReportData {
  title: string;
  scope: { schoolId: number | null; schools: { id: number; name: string }[] };
  period: Period & { timeZone: string; from: string; to: string };
  previousPeriod: Period & { from: string; to: string };
  generatedAt: string;
  violations: {
    total: number;
    previous: number;
    change: number;
    changePct: number | null;
    byKind: Breakdown[];
    bySeverity: Breakdown[];
    byBus: Breakdown[];
    byDriver: Breakdown[];
    byRoute: Breakdown[];
  };
  cases: CaseFigures & { rectificationRate: number | null };
  onTime: {
    source: 'stop_events';
    earlyToleranceS: number;
    lateToleranceS: number;
    scheduledStops: number;
    arrived: number;
    onTime: number;
    early: number;
    late: number;
    missed: number;
    onTimeRate: number | null;
    avgDelayS: number | null;
    byRoute: {
      routeId: number;
      label: string;
      arrived: number;
      onTime: number;
      late: number;
      early: number;
      missed: number;
      onTimeRate: number | null;
    }[];
  };
  ridership: {
    trips: number;
    tripsWithRecords: number;
    boarded: number;
    alighted: number;
    distinctStudents: number;
    byRoute: { routeId: number; label: string; trips: number; boarded: number }[];
  };
  deviceUptime: {
    tripsRun: number;
    activeTripMinutes: number;
    minutesWithFix: number;
    uptime: number | null;
    devices: {
      deviceId: number;
      identifier: string;
      busId: number;
      label: string;
      activeTripMinutes: number;
      minutesWithFix: number;
      fixes: number;
      fixesPerMinute: number | null;
      uptime: number | null;
    }[];
  };
  /** The list (清单): every case of the period, as it stands when the report is generated. */
  caseList: { items: CaseListItem[]; truncated: boolean };
  /** District reports: one row per school, with its rank (1 = best); null in a school's report. */
  perSchool: SchoolRow[] | null;
  /** Completion of the daily pre-trip checks and weekly inspections, and drills held. */
  inspections: { dailyChecks: Completion; weeklyInspections: Completion; drills: number; weeks: string[] };
  compliance: {
    asOf: string;
    warnDays: number;
    expired: number;
    expiring: number;
    missing: number;
    items: ComplianceItem[];
  };
  definitions: Record<string, string>;
}

export interface CaseListItem {
  id: number;
  /** null: a district-level case (a report about a plate no school owns) */
  schoolId: number | null;
  school: string | null;
  kind: string;
  severity: string;
  busId: number | null;
  bus: string | null;
  driverId: number | null;
  driver: string | null;
  openedAt: string;
  ownerUserId: number | null;
  owner: string | null;
  dueAt: string | null;
  status: string;
  overdue: boolean;
  escalatedAt: string | null;
  closedAt: string | null;
  closingNote: string | null;
  /** Started before the period and still active at its start. */
  carriedOver: boolean;
}

export interface SchoolRow {
  rank: number;
  schoolId: number;
  name: string;
  violations: number;
  byKind: Record<string, number>;
  casesOpened: number;
  casesClosed: number;
  rectificationRate: number | null;
  overdue: number;
  escalated: number;
  tripsRun: number;
  violationsPerTrip: number | null;
  onTimeRate: number | null;
  deviceUptime: number | null;
  dailyCheckRate: number | null;
  weeklyInspectionRate: number | null;
}

/** Rows of the list at most (a longer list is cut and marked truncated). */
export const CASE_LIST_MAX = 5000;

/**
 * The ranking of schools, best first: fewer overdue cases, fewer escalated cases, a higher rectification rate (no
 * case to rectify counts as 100 %), fewer violations per trip run, a higher on-time rate, then the name.
 */
export function rankSchools(rows: Omit<SchoolRow, 'rank'>[]): SchoolRow[] {
  const rate = (x: number | null, none: number) => (x == null ? none : x);
  return [...rows]
    .sort(
      (a, b) =>
        a.overdue - b.overdue ||
        a.escalated - b.escalated ||
        rate(b.rectificationRate, 1) - rate(a.rectificationRate, 1) ||
        rate(a.violationsPerTrip, 0) - rate(b.violationsPerTrip, 0) ||
        rate(b.onTimeRate, 0) - rate(a.onTimeRate, 0) ||
        a.name.localeCompare(b.name),
    )
    .map((r, i) => ({ rank: i + 1, ...r }));
}

const ratio = (n: number, d: number, digits = 4) => (d > 0 ? Math.round((n / d) * 10 ** digits) / 10 ** digits : null);

function breakdown(
  cur: ViolationGroupRow[],
  prev: ViolationGroupRow[],
  keyOf: (r: ViolationGroupRow) => string | null,
  label: (k: string) => string,
): Breakdown[] {
  const m = new Map<string, { count: number; previous: number }>();
  for (const [rows, field] of [
    [cur, 'count'],
    [prev, 'previous'],
  ] as const) {
    for (const r of rows) {
      const k = keyOf(r);
      if (k == null) continue;
      const e = m.get(k) ?? { count: 0, previous: 0 };
      e[field] += r.n;
      m.set(k, e);
    }
  }
  return [...m.entries()]
    .map(([key, e]) => ({ key, label: label(key), count: e.count, previous: e.previous, change: e.count - e.previous }))
    .sort((a, b) => b.count - a.count || b.previous - a.previous || a.key.localeCompare(b.key));
}

export async function buildReport(
  db: DbOrTx,
  target: ReportTarget,
  period: Period,
  nowMs: number,
  opts: ReportOptions = defaultReportOptions,
  parts: { caseList: boolean } = { caseList: true },
): Promise<ReportData> {
  const schoolIds = target.schools.map((s) => s.id);
  const zoneOf = new Map(target.schools.map((s) => [s.id, s.timeZone]));
  const w = periodWindow(period, target.timeZone);
  const prevPeriod = previousPeriod(period);
  const pw = periodWindow(prevPeriod, target.timeZone);
  const iso = (ms: number) => new Date(ms).toISOString();

  // Violations and their change from the previous period.
  const [cur, prev, names] = await Promise.all([
    violationGroups(db, schoolIds, w.fromMs, w.toMs),
    violationGroups(db, schoolIds, pw.fromMs, pw.toMs),
    labels(db, schoolIds),
  ]);
  const total = cur.reduce((s, r) => s + r.n, 0);
  const previous = prev.reduce((s, r) => s + r.n, 0);
  const id = (x: number | null) => (x == null ? null : String(x));
  const violationsPart = {
    total,
    previous,
    change: total - previous,
    changePct: previous > 0 ? Math.round(((total - previous) / previous) * 1000) / 10 : null,
    byKind: breakdown(
      cur,
      prev,
      (r) => r.kind,
      (k) => k,
    ),
    bySeverity: breakdown(
      cur,
      prev,
      (r) => r.severity,
      (k) => k,
    ),
    byBus: breakdown(
      cur,
      prev,
      (r) => id(r.busId),
      (k) => names.buses.get(Number(k)) ?? `bus ${k}`,
    ),
    byDriver: breakdown(
      cur,
      prev,
      (r) => id(r.driverId),
      (k) => names.drivers.get(Number(k)) ?? `driver ${k}`,
    ),
    byRoute: breakdown(
      cur,
      prev,
      (r) => id(r.routeId),
      (k) => names.routes.get(Number(k)) ?? `route ${k}`,
    ),
  };

  const cf = await caseFigures(db, schoolIds, w.fromMs, w.toMs, nowMs);
  const cases = { ...cf, rectificationRate: ratio(cf.closedOfOpened, cf.opened - cf.dismissedOfOpened) };

  // On-time performance at stops, from the arrivals the engine stored.
  const tripRows = await tripsOfDates(db, schoolIds, period.startDate, period.endDate);
  const ran = tripRows.filter((t) => t.startedAt != null);
  const routeIds = [...new Set(ran.map((t) => t.routeId))];
  const [stopRows, events] = await Promise.all([
    scheduledStops(db, routeIds),
    stopEventsOf(
      db,
      ran.map((t) => t.id),
    ),
  ]);
  const eventOf = new Map(events.map((e) => [`${e.tripId}:${e.stopId}:${e.kind}`, e]));
  const onTime = {
    source: 'stop_events' as const,
    earlyToleranceS: opts.onTime.earlyS,
    lateToleranceS: opts.onTime.lateS,
    scheduledStops: 0,
    arrived: 0,
    onTime: 0,
    early: 0,
    late: 0,
    missed: 0,
    onTimeRate: null as number | null,
    avgDelayS: null as number | null,
    byRoute: [] as ReportData['onTime']['byRoute'],
  };
  const perRoute = new Map<number, { arrived: number; onTime: number; late: number; early: number; missed: number }>();
  let delaySum = 0;
  for (const trip of ran) {
    const tz = zoneOf.get(trip.schoolId) ?? target.timeZone;
    const r = perRoute.get(trip.routeId) ?? { arrived: 0, onTime: 0, late: 0, early: 0, missed: 0 };
    perRoute.set(trip.routeId, r);
    for (const stop of stopRows.filter((s) => s.routeId === trip.routeId)) {
      onTime.scheduledStops++;
      const arrived = eventOf.get(`${trip.id}:${stop.id}:arrived`);
      if (arrived) {
        const delayS = Math.round(
          (arrived.time.getTime() - zonedTimeToEpochMs(trip.serviceDate, stop.scheduledS!, tz)) / 1000,
        );
        onTime.arrived++;
        r.arrived++;
        delaySum += delayS;
        if (delayS < -opts.onTime.earlyS) {
          onTime.early++;
          r.early++;
        } else if (delayS > opts.onTime.lateS) {
          onTime.late++;
          r.late++;
        } else {
          onTime.onTime++;
          r.onTime++;
        }
      } else if (eventOf.has(`${trip.id}:${stop.id}:missed`) || trip.status === 'completed') {
        onTime.missed++;
        r.missed++;
      }
    }
  }
  onTime.onTimeRate = ratio(onTime.onTime, onTime.arrived + onTime.missed);
  onTime.avgDelayS = onTime.arrived ? Math.round(delaySum / onTime.arrived) : null;
  onTime.byRoute = [...perRoute.entries()]
    .map(([routeId, r]) => ({
      routeId,
      label: names.routes.get(routeId) ?? `route ${routeId}`,
      ...r,
      onTimeRate: ratio(r.onTime, r.arrived + r.missed),
    }))
    .sort((a, b) => a.routeId - b.routeId);

  // Ridership from the attendants' boarding records.
  const rid = await ridership(
    db,
    tripRows.map((t) => t.id),
  );
  const boardedOf = new Map(rid.perTrip.map((p) => [p.tripId, p]));
  const ridRoutes = new Map<number, { trips: number; boarded: number }>();
  for (const t of tripRows) {
    const e = ridRoutes.get(t.routeId) ?? { trips: 0, boarded: 0 };
    e.trips++;
    e.boarded += boardedOf.get(t.id)?.boarded ?? 0;
    ridRoutes.set(t.routeId, e);
  }
  const ridershipPart = {
    trips: tripRows.length,
    tripsWithRecords: rid.perTrip.length,
    boarded: rid.perTrip.reduce((s, p) => s + p.boarded, 0),
    alighted: rid.perTrip.reduce((s, p) => s + p.alighted, 0),
    distinctStudents: rid.distinctStudents,
    byRoute: [...ridRoutes.entries()]
      .map(([routeId, e]) => ({ routeId, label: names.routes.get(routeId) ?? `route ${routeId}`, ...e }))
      .sort((a, b) => a.routeId - b.routeId),
  };

  // Device uptime: minutes of active trip time with at least one fix, per device of the trip's bus.
  const windows = ran
    .map((t) => ({
      tripId: t.id,
      busId: t.busId,
      fromMs: t.startedAt!.getTime(),
      toMs: t.endedAt?.getTime() ?? Math.min(nowMs, w.toMs),
    }))
    .filter((x) => x.toMs > x.fromMs);
  const [fixRows, devs] = await Promise.all([
    fixesDuringTrips(db, windows),
    devicesOfBuses(db, [...new Set(windows.map((x) => x.busId))]),
  ]);
  const tripMinutes = new Map(windows.map((x) => [x.tripId, (x.toMs - x.fromMs) / 60_000]));
  const devicesPart = devs
    .map((d) => {
      const myTrips = windows.filter((x) => x.busId === d.busId);
      const active = myTrips.reduce((s, x) => s + tripMinutes.get(x.tripId)!, 0);
      const mine = fixRows.filter((f) => f.deviceId === d.id);
      // A trip of m minutes can touch ceil(m) clock minutes at most.
      const covered = mine.reduce((s, f) => s + Math.min(f.minutes, Math.ceil(tripMinutes.get(f.tripId) ?? 0)), 0);
      const fixes = mine.reduce((s, f) => s + f.fixes, 0);
      return {
        deviceId: d.id,
        identifier: d.identifier,
        busId: d.busId!,
        label: names.buses.get(d.busId!) ?? `bus ${d.busId}`,
        activeTripMinutes: Math.round(active * 10) / 10,
        minutesWithFix: covered,
        fixes,
        fixesPerMinute: ratio(fixes, active, 2),
        uptime: active > 0 ? Math.min(1, ratio(covered, Math.ceil(active))!) : null,
      };
    })
    .sort((a, b) => a.deviceId - b.deviceId);
  const activeTotal = devicesPart.reduce((s, d) => s + d.activeTripMinutes, 0);
  const coveredTotal = devicesPart.reduce((s, d) => s + d.minutesWithFix, 0);
  const uptimePart = {
    tripsRun: ran.length,
    activeTripMinutes: Math.round(activeTotal * 10) / 10,
    minutesWithFix: coveredTotal,
    uptime:
      activeTotal > 0
        ? Math.min(
            1,
            ratio(
              coveredTotal,
              devicesPart.reduce((s, d) => s + Math.ceil(d.activeTripMinutes), 0),
            )!,
          )
        : null,
    devices: devicesPart,
  };

  // Compliance expiries as of the day after the period (the day the report is for).
  const reg = await loadComplianceRegistry(db, schoolIds);
  const items = complianceItems(reg, period.endDate, opts.complianceWarnDays, CN_2012_REGISTRY);
  const compliance = {
    asOf: period.endDate,
    warnDays: opts.complianceWarnDays,
    expired: items.filter((i) => i.status === 'expired').length,
    expiring: items.filter((i) => i.status === 'expiring').length,
    missing: items.filter((i) => i.status === 'missing').length,
    items,
  };

  // Inspections: a pre-trip check per bus-day with a trip, a weekly inspection per bus in service and ISO week.
  const fig = await inspectionFigures(db, schoolIds, period.startDate, period.endDate);
  const weeks = weeksOverlapping(period.startDate, addDays(period.endDate, -1));
  const inspections = {
    dailyChecks: dailyCheckCompletion(fig.busDays, fig.checks),
    weeklyInspections: weeklyInspectionCompletion(fig.activeBusIds, weeks, fig.inspections),
    drills: fig.drills,
    weeks,
  };

  // The list (清单) of the period's cases, and for the district one row per school with the ranking.
  const listRows = parts.caseList
    ? await caseListOf(db, schoolIds, w.fromMs, w.toMs, CASE_LIST_MAX + 1, target.schoolId == null)
    : [];
  const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);
  const caseList = {
    truncated: listRows.length > CASE_LIST_MAX,
    items: listRows.slice(0, CASE_LIST_MAX).map((r) => {
      const decoded = decodeResolution(r.resolutionReason);
      return {
        id: r.id,
        schoolId: r.schoolId,
        school: r.school,
        kind: r.kind,
        severity: r.severity,
        busId: r.busId,
        bus: r.bus,
        driverId: r.driverId,
        driver: r.driver,
        openedAt: r.openedAt.toISOString(),
        ownerUserId: r.ownerUserId,
        owner: r.owner,
        dueAt: isoOrNull(r.dueAt),
        status: r.status,
        overdue: isOverdue(r.status as CaseStatus, r.dueAt?.getTime(), nowMs),
        escalatedAt: isoOrNull(r.escalatedAt),
        closedAt: isoOrNull(r.closedAt),
        closingNote: r.status === 'dismissed' ? (decoded.reason ?? r.closingNote) : r.closingNote,
        carriedOver: r.openedAt.getTime() < w.fromMs,
      };
    }),
  };
  let perSchool: SchoolRow[] | null = null;
  if (target.schoolId == null) {
    const rows: Omit<SchoolRow, 'rank'>[] = [];
    for (const school of target.schools) {
      const one = await buildReport(
        db,
        { schoolId: school.id, schools: [school], timeZone: target.timeZone },
        period,
        nowMs,
        opts,
        { caseList: false },
      );
      rows.push({
        schoolId: school.id,
        name: school.name,
        violations: one.violations.total,
        byKind: Object.fromEntries(one.violations.byKind.map((b) => [b.key, b.count])),
        casesOpened: one.cases.opened,
        casesClosed: one.cases.closed,
        rectificationRate: one.cases.rectificationRate,
        overdue: one.cases.overdue,
        escalated: one.cases.escalated,
        tripsRun: one.deviceUptime.tripsRun,
        violationsPerTrip: ratio(one.violations.total, one.deviceUptime.tripsRun, 2),
        onTimeRate: one.onTime.onTimeRate,
        deviceUptime: one.deviceUptime.uptime,
        dailyCheckRate: one.inspections.dailyChecks.rate,
        weeklyInspectionRate: one.inspections.weeklyInspections.rate,
      });
    }
    perSchool = rankSchools(rows);
  }

  const scopeName = target.schoolId == null ? 'District' : (target.schools[0]?.name ?? `School ${target.schoolId}`);
  return {
    title: `${scopeName} — ${period.kind} report ${period.key}`,
    scope: { schoolId: target.schoolId, schools: target.schools.map((s) => ({ id: s.id, name: s.name })) },
    period: { ...period, timeZone: target.timeZone, from: iso(w.fromMs), to: iso(w.toMs) },
    previousPeriod: { ...prevPeriod, from: iso(pw.fromMs), to: iso(pw.toMs) },
    generatedAt: iso(nowMs),
    violations: violationsPart,
    cases,
    onTime,
    ridership: ridershipPart,
    deviceUptime: uptimePart,
    caseList,
    perSchool,
    inspections,
    compliance,
    definitions: {
      caseList:
        'every case of the period: cases that started in it and earlier cases still active at its start (carried over), with their state when the report was generated',
      casesEscalated:
        'cases escalated (挂牌督办) during the period: past their due date while active, or escalated by a supervisor',
      ranking:
        'schools ranked best first by fewer overdue cases, fewer escalated cases, higher rectification rate (no cases = 100 %), fewer violations per trip run, higher on-time rate',
      violations:
        'episodes that started in the period; change = count − count of the previous period of the same length',
      casesOpened: 'violations that started in the period (each opens a case)',
      casesClosed: 'closures (and dismissals) recorded in the case trail during the period',
      casesOverdue:
        'cases due before the end of the period (or before the report was generated, for a period still running) and neither closed nor dismissed by then',
      rectificationRate: 'of the cases opened in the period, the share closed by its end (dismissed cases left out)',
      onTime: `arrival at a scheduled stop from ${opts.onTime.earlyS} s early to ${opts.onTime.lateS} s late; rate = on time / (arrived + missed); stops of trips still running and not yet reached are not counted`,
      ridership: 'sums of the attendants’ boarding records of the period’s trips',
      deviceUptime:
        'clock minutes of active trip time (trip start to end) with at least one stored fix from the device, over the trip minutes of its bus',
      dailyChecks:
        'bus-days with a trip (cancelled trips left out) that have a pre-trip check of the bus that day, passed or failed',
      weeklyInspections: 'buses in service with a weekly inspection in each ISO week overlapping the period',
      compliance: `registry items expired, missing or expiring within ${opts.complianceWarnDays} days of the day after the period`,
    },
  };
}
