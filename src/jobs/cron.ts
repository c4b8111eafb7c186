// Five-field cron expressions (minute hour day-of-month month day-of-week) evaluated in an IANA time zone.
// Pure, so the Node scheduler, the Workers cron trigger and the tests compute the same run times.
import { zoneOffsetMin } from '../core/time-zone';

export interface CronFields {
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  /** Both day fields restricted: a day matches if either does (classic cron). */
  dayOr: boolean;
}

const ranges: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function field(text: string, [lo, hi]: [number, number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad cron field '${text}'`);
    const step = m[4] ? Number(m[4]) : 1;
    const from = m[1] === '*' ? lo : Number(m[2]);
    const to = m[1] === '*' ? hi : m[3] ? Number(m[3]) : m[4] ? hi : from;
    if (from < lo || to > hi || from > to || step < 1) throw new Error(`cron field '${text}' out of range ${lo}-${hi}`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expr: string): CronFields {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron expression '${expr}' needs five fields`);
  const [mi, h, dom, mo, dow] = parts.map((p, i) => field(p, ranges[i]!));
  if (dow!.has(7)) dow!.add(0);
  return {
    minute: mi!,
    hour: h!,
    dayOfMonth: dom!,
    month: mo!,
    dayOfWeek: dow!,
    dayOr: parts[2] !== '*' && parts[4] !== '*',
  };
}

export interface LocalMinute {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 Sunday … 6 Saturday */
  weekday: number;
}

export function localMinute(epochMs: number, timeZone: string): LocalMinute {
  const d = new Date(epochMs + zoneOffsetMin(timeZone, epochMs) * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  };
}

function dayMatches(c: CronFields, t: LocalMinute): boolean {
  if (!c.month.has(t.month)) return false;
  const dom = c.dayOfMonth.has(t.day);
  const dow = c.dayOfWeek.has(t.weekday);
  return c.dayOr ? dom || dow : dom && dow;
}

/** Does the expression fire at the local minute containing `epochMs`? */
export function cronMatches(expr: string | CronFields, epochMs: number, timeZone: string): boolean {
  const c = typeof expr === 'string' ? parseCron(expr) : expr;
  const t = localMinute(epochMs, timeZone);
  return dayMatches(c, t) && c.hour.has(t.hour) && c.minute.has(t.minute);
}

/** The next `count` instants strictly after `afterMs` at which the expression fires in `timeZone`. */
export function nextRuns(expr: string, afterMs: number, timeZone: string, count = 1): number[] {
  const c = parseCron(expr);
  const out: number[] = [];
  let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
  const limit = afterMs + 4 * 366 * 86_400_000;
  while (out.length < count && t < limit) {
    const lm = localMinute(t, timeZone);
    if (!dayMatches(c, lm) || !c.hour.has(lm.hour))
      t += (60 - lm.minute) * 60_000; // to the next local hour
    else if (!c.minute.has(lm.minute)) t += 60_000;
    else {
      out.push(t);
      t += 60_000;
    }
  }
  return out;
}
