// Local dates and times in IANA time zones, computed with Intl (pure: the instant is always passed in).

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function localParts(timeZone: string, epochMs: number) {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** Minutes east of UTC in force in `timeZone` at `epochMs` (Asia/Shanghai → 480). */
export function zoneOffsetMin(timeZone: string, epochMs: number): number {
  const p = localParts(timeZone, epochMs);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/** The calendar date (YYYY-MM-DD) in `timeZone` at `epochMs`. */
export function localDate(timeZone: string, epochMs: number): string {
  const p = localParts(timeZone, epochMs);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The instant of `secondsOfDay` after local midnight of `date` (may pass 24 h, as GTFS times do). */
export function zonedTimeToEpochMs(date: string, secondsOfDay: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const naiveUtc = Date.UTC(y!, m! - 1, d!) + secondsOfDay * 1000;
  // Two passes settle the offset across a DST change.
  let guess = naiveUtc - zoneOffsetMin(timeZone, naiveUtc) * 60_000;
  guess = naiveUtc - zoneOffsetMin(timeZone, guess) * 60_000;
  return guess;
}
