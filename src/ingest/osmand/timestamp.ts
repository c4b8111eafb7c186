// OsmAnd `timestamp` forms: epoch seconds, epoch milliseconds (≥ 2^31), ISO-8601, and
// `yyyy-MM-dd HH:mm:ss` in the server's time zone.

const EPOCH_MS_THRESHOLD = 2 ** 31;

function isDigits(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Parses a timestamp into epoch ms UTC; undefined when the text is none of the accepted forms.
 * `serverTzOffsetMin` (minutes east of UTC) applies to the zone-less forms.
 */
export function parseOsmandTimestamp(text: string, serverTzOffsetMin = 0): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const dot = s.indexOf('.');
  if (isDigits(s, 0, dot < 0 ? s.length : dot) && (dot < 0 || isDigits(s, dot + 1, s.length))) {
    const v = Number(s);
    if (!Number.isFinite(v)) return undefined;
    return Math.round(v >= EPOCH_MS_THRESHOLD ? v : v * 1000);
  }
  return parseDateTime(s, serverTzOffsetMin);
}

/** Numeric JSON timestamps follow the same seconds/milliseconds rule. */
export function epochNumberToMs(v: number): number | undefined {
  if (!Number.isFinite(v) || v < 0) return undefined;
  return Math.round(v >= EPOCH_MS_THRESHOLD ? v : v * 1000);
}

// yyyy-MM-dd[T or space]HH:mm[:ss[.fff]][Z|±hh[:]mm]
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function parseDateTime(s: string, serverTzOffsetMin: number): number | undefined {
  const m = DATE_TIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = sec === undefined ? 0 : Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  let offsetMin = serverTzOffsetMin;
  if (zone !== undefined) {
    if (zone.toUpperCase() === 'Z') offsetMin = 0;
    else {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      const oh = Number(digits.slice(0, 2));
      const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
      if (oh > 14 || om > 59) return undefined;
      offsetMin = sign * (oh * 60 + om);
    }
  }
  return local - offsetMin * 60_000;
}
