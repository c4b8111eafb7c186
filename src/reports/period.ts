// Report periods: a local day, an ISO week, a calendar month, a half year (term) or a year in a time zone (pure).
import { addDays } from '../core/compliance';
import { localDate, zonedTimeToEpochMs } from '../core/time-zone';

export type PeriodKind = 'daily' | 'weekly' | 'monthly' | 'halfYear' | 'yearly';

export interface Period {
  kind: PeriodKind;
  /** 2026-09-01, 2026-W36, 2026-09, 2026-H1 or 2026 */
  key: string;
  /** Local dates; the period is [startDate, endDate). */
  startDate: string;
  endDate: string;
}

const dayOfWeek = (date: string) => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6

function isoWeekMonday(year: number, week: number): string {
  const jan4 = `${year}-01-04`;
  return addDays(addDays(jan4, -dayOfWeek(jan4)), (week - 1) * 7);
}

function isoWeekOf(date: string): { year: number; week: number } {
  const thursday = addDays(date, 3 - dayOfWeek(date));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor((Date.parse(thursday) - Date.parse(isoWeekMonday(year, 1))) / (7 * 86_400_000)) + 1;
  return { year, week };
}

function nextMonth(ym: string): string {
  const [y, m] = ym.split('-').map(Number);
  return m === 12 ? `${y! + 1}-01` : `${y}-${String(m! + 1).padStart(2, '0')}`;
}

/** The period of a kind that contains a local date. */
export function periodContaining(kind: PeriodKind, date: string): Period {
  if (kind === 'daily') return { kind, key: date, startDate: date, endDate: addDays(date, 1) };
  if (kind === 'weekly') {
    const { year, week } = isoWeekOf(date);
    const start = isoWeekMonday(year, week);
    return { kind, key: `${year}-W${String(week).padStart(2, '0')}`, startDate: start, endDate: addDays(start, 7) };
  }
  const year = Number(date.slice(0, 4));
  if (kind === 'halfYear') {
    const h = Number(date.slice(5, 7)) <= 6 ? 1 : 2;
    return {
      kind,
      key: `${year}-H${h}`,
      startDate: h === 1 ? `${year}-01-01` : `${year}-07-01`,
      endDate: h === 1 ? `${year}-07-01` : `${year + 1}-01-01`,
    };
  }
  if (kind === 'yearly') return { kind, key: String(year), startDate: `${year}-01-01`, endDate: `${year + 1}-01-01` };
  const ym = date.slice(0, 7);
  return { kind, key: ym, startDate: `${ym}-01`, endDate: `${nextMonth(ym)}-01` };
}

/** Parses 2026-09-01 (day), 2026-W36 (ISO week), 2026-09 (month), 2026-H1 (half year) or 2026; undefined when malformed. */
export function parsePeriodKey(key: string): Period | undefined {
  if (/^\d{4}$/.test(key)) return periodContaining('yearly', `${key}-01-01`);
  const h = /^(\d{4})-H([12])$/.exec(key);
  if (h) return periodContaining('halfYear', `${h[1]}-${h[2] === '1' ? '01' : '07'}-01`);
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (m) {
    const p = periodContaining('daily', key);
    return new Date(`${key}T00:00:00Z`).toISOString().slice(0, 10) === key ? p : undefined;
  }
  m = /^(\d{4})-W(\d{2})$/.exec(key);
  if (m) {
    const week = Number(m[2]);
    if (week < 1 || week > 53) return undefined;
    const p = periodContaining('weekly', isoWeekMonday(Number(m[1]), week));
    return p.key === key ? p : undefined;
  }
  m = /^(\d{4})-(\d{2})$/.exec(key);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return periodContaining('monthly', `${key}-01`);
  return undefined;
}

export function previousPeriod(p: Period): Period {
  return periodContaining(p.kind, addDays(p.startDate, -1));
}

/** The last period of a kind that has fully ended at `nowMs` in `timeZone` (yesterday, last week, last month). */
export function lastCompletedPeriod(kind: PeriodKind, nowMs: number, timeZone: string): Period {
  return previousPeriod(periodContaining(kind, localDate(timeZone, nowMs)));
}

/** The instants [fromMs, toMs) of a period in a time zone. */
export function periodWindow(p: Period, timeZone: string): { fromMs: number; toMs: number } {
  return { fromMs: zonedTimeToEpochMs(p.startDate, 0, timeZone), toMs: zonedTimeToEpochMs(p.endDate, 0, timeZone) };
}
