// Date-only registry fields (YYYY-MM-DD) compared against an instant in local time.

export function localDate(timeMs: number, utcOffsetMin: number): string {
  return new Date(timeMs + utcOffsetMin * 60_000).toISOString().slice(0, 10);
}

/** Whole years from a YYYY-MM-DD date to the local date (birthday semantics). */
export function yearsBetween(fromDate: string, toDate: string): number {
  const [fy = NaN, fm = NaN, fd = NaN] = fromDate.split('-').map(Number);
  const [ty = NaN, tm = NaN, td = NaN] = toDate.split('-').map(Number);
  let years = ty - fy;
  if (tm < fm || (tm === fm && td < fd)) years--;
  return years;
}

export function isDate(s: string | undefined): s is string {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s);
}
