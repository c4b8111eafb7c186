// BCD (8421) digits and the JT/T 808 BCD[6] time (YYMMDDhhmmss, GMT+8 by default).

/** Default JT/T 808 time zone: GMT+8, in minutes east of UTC. */
export const JT808_DEFAULT_TZ_OFFSET_MIN = 480;

const BCD_PAIRS: string[] = [];
for (let i = 0; i < 256; i++) {
  const hi = i >> 4;
  const lo = i & 0x0f;
  BCD_PAIRS.push(hi <= 9 && lo <= 9 ? `${hi}${lo}` : '');
}

/** BCD digits of bytes[start, start+length); undefined when a nibble is not 0-9. */
export function bcdToDigits(b: Uint8Array, start: number, length: number): string | undefined {
  let out = '';
  for (let i = start; i < start + length; i++) {
    const byte = b[i];
    const pair = byte === undefined ? undefined : BCD_PAIRS[byte];
    if (pair === '' || pair === undefined) return undefined;
    out += pair;
  }
  return out;
}

/** Value of one BCD byte (0-99), or -1 when it is not valid BCD. */
export function bcdByte(v: number): number {
  const hi = v >> 4;
  const lo = v & 0x0f;
  return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
}

/**
 * Encodes a digit string as BCD, left-padded with '0' to 2 × length digits. Hex digits (a-f, A-F) are encoded
 * as their nibble, so the hex form of a non-BCD phone field encodes back to the field's bytes.
 */
export function digitsToBcd(digits: string, length: number): Uint8Array {
  const padded = digits.padStart(length * 2, '0').slice(-length * 2);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = (nibble(padded.charCodeAt(2 * i)) << 4) | nibble(padded.charCodeAt(2 * i + 1));
  }
  return out;
}

function nibble(c: number): number {
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return (c - 48) & 0x0f;
}

/**
 * BCD[6] YYMMDDhhmmss at `offset`, local time at `tzOffsetMin` east of UTC → epoch ms UTC.
 * Years are 2000-2099. Returns undefined for non-BCD bytes or an impossible date/time.
 */
export function bcdTimeToEpochMs(
  b: Uint8Array,
  offset: number,
  tzOffsetMin: number = JT808_DEFAULT_TZ_OFFSET_MIN,
): number | undefined {
  if (offset + 6 > b.length) return undefined;
  const yy = bcdByte(b[offset]!);
  const mo = bcdByte(b[offset + 1]!);
  const dd = bcdByte(b[offset + 2]!);
  const hh = bcdByte(b[offset + 3]!);
  const mi = bcdByte(b[offset + 4]!);
  const ss = bcdByte(b[offset + 5]!);
  if (yy < 0 || mo < 1 || mo > 12 || dd < 1 || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) {
    return undefined;
  }
  if (dd > daysInMonth(2000 + yy, mo)) return undefined;
  return Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss) - tzOffsetMin * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** BCD[4] YYYYMMDD → 'YYYY-MM-DD', or undefined when not a valid date. */
export function bcdDateToIso(b: Uint8Array, offset: number): string | undefined {
  const digits = offset + 4 <= b.length ? bcdToDigits(b, offset, 4) : undefined;
  if (digits === undefined) return undefined;
  const year = Number(digits.slice(0, 4));
  const month = Number(digits.slice(4, 6));
  const day = Number(digits.slice(6, 8));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

/** Epoch ms UTC → BCD[6] local time at `tzOffsetMin` (for building frames in tests and tools). */
export function epochMsToBcdTime(timeMs: number, tzOffsetMin: number = JT808_DEFAULT_TZ_OFFSET_MIN): Uint8Array {
  const d = new Date(timeMs + tzOffsetMin * 60_000);
  const parts = [
    d.getUTCFullYear() % 100,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
  const out = new Uint8Array(6);
  parts.forEach((v, i) => (out[i] = (Math.floor(v / 10) << 4) | (v % 10)));
  return out;
}
