// The schedule table, shared by the Node scheduler (node-cron) and the Workers cron trigger. Times are local to
// each school's time zone for per-school jobs; global jobs run in the default zone.

export const jobNames = [
  'deviceOffline',
  'tripLateness',
  'sweepDeadlines',
  'caseDeadlines',
  'deviceSilence',
  'complianceExpiries',
  'retention',
  'dailyReport',
  'weeklyReport',
  'monthlyReport',
] as const;
export type JobName = (typeof jobNames)[number];

export interface ScheduleEntry {
  job: JobName;
  /** Five-field cron expression in local time. */
  cron: string;
  /** 'school': runs for the schools of each time zone, at that zone's local time; 'global': once, in the default zone. */
  scope: 'school' | 'global';
  description: string;
}

export const schedule: readonly ScheduleEntry[] = [
  {
    job: 'deviceOffline',
    cron: '* * * * *',
    scope: 'global',
    description: 'R7: engine tick so silent devices on active trips go offline',
  },
  {
    job: 'tripLateness',
    cron: '* * * * *',
    scope: 'global',
    description: 'trips not started 10 minutes after their planned start',
  },
  {
    job: 'sweepDeadlines',
    cron: '* * * * *',
    scope: 'global',
    description: 'R9: trips at their final stop without the no-child-left-aboard sweep in time raise the alert',
  },
  {
    job: 'caseDeadlines',
    cron: '* * * * *',
    scope: 'global',
    description: 'cases get a due date by severity, a reminder before it, and are escalated (挂牌督办) once overdue',
  },
  {
    job: 'deviceSilence',
    cron: '*/5 * * * *',
    scope: 'global',
    description:
      'buses with no device heard in 24 h (or none mounted) are flagged before their first trip of the day (应装未装 / 人为关闭)',
  },
  {
    job: 'complianceExpiries',
    cron: '0 6 * * *',
    scope: 'school',
    description: 'R10: expired and expiring registry items become cases (06:00 local)',
  },
  {
    job: 'retention',
    cron: '30 3 * * *',
    scope: 'global',
    description: 'delete raw positions older than the retention policy, in bounded chunks (03:30)',
  },
  {
    job: 'dailyReport',
    cron: '15 0 * * *',
    scope: 'school',
    description: 'yesterday’s report per school and for the district (00:15 local)',
  },
  {
    job: 'weeklyReport',
    cron: '30 0 * * 1',
    scope: 'school',
    description: 'last ISO week’s report (Monday 00:30 local)',
  },
  {
    job: 'monthlyReport',
    cron: '45 0 1 * *',
    scope: 'school',
    description: 'last month’s report (the 1st, 00:45 local)',
  },
];

/**
 * The jobs due at the minute containing `nowMs`: per-school jobs once for each time zone whose local time matches,
 * global jobs when the default zone matches. A Workers cron trigger firing every minute calls this and runs them.
 */
export function dueJobs(
  nowMs: number,
  zones: string[],
  defaultZone: string,
  matches: (cron: string, nowMs: number, zone: string) => boolean,
  table: readonly ScheduleEntry[] = schedule,
): { entry: ScheduleEntry; timeZone: string }[] {
  const out: { entry: ScheduleEntry; timeZone: string }[] = [];
  for (const entry of table) {
    const candidates = entry.scope === 'global' ? [defaultZone] : [...new Set(zones)];
    for (const zone of candidates) if (matches(entry.cron, nowMs, zone)) out.push({ entry, timeZone: zone });
  }
  return out;
}
