// What a fix may carry to be stored: every number fits its column, every text is storable, the time and the
// reported speed are plausible. Pure. These are storage and sanity bounds, not regulation numbers (those live in
// the preset), so they are constants here.
//
// Columns (src/store/schema/telemetry.ts): lat/lon double precision; speed_kph, heading_deg, altitude_m,
// accuracy_m real (float4: |x| ≤ 3.4e38, and a non-zero |x| below 1.2e-38 underflows); satellites smallint;
// alarms text[] and attributes jsonb (PostgreSQL text cannot hold U+0000, and jsonb refuses a lone surrogate).
import type { Fix } from './fix';

/** Largest finite float4. */
export const REAL_MAX = 3.4028234663852886e38;
/** Smallest normal float4: a non-zero value nearer to zero than this may underflow on the way into a real column. */
export const REAL_MIN_NORMAL = 1.1754943508222875e-38;
/** Fixes dated before this are a broken clock (GNSS week roll-over, an unset RTC at 1970 or year 1). */
export const MIN_FIX_TIME_MS = Date.UTC(2000, 0, 1);
/** A blind-area upload older than this (before the receive time) is not a position worth storing. */
export const MAX_FIX_AGE_MS = 366 * 86_400_000;
/** No road vehicle reports more: a JT/T 808 speed word of 0xFFFF (6,553.5 km/h) is garbage, not overspeed. */
export const MAX_REPORTED_SPEED_KPH = 250;

export type BoundsReason = 'implausible_time' | 'implausible_speed' | 'out_of_range_value' | 'invalid_text';

/** A value a real column stores as given: finite, within float4's range, zero or not too near to zero. */
export function fitsReal(v: number): boolean {
  if (!Number.isFinite(v)) return false;
  const a = Math.abs(v);
  return a === 0 || (a >= REAL_MIN_NORMAL && a <= REAL_MAX);
}

// U+0000, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text PostgreSQL cannot store (U+0000) or that is not well-formed UTF-16 (lone surrogates). */
export function isUnstorableText(s: string): boolean {
  return UNSTORABLE.test(s);
}

/** Replaces what cannot be stored with U+FFFD (for audit copies and device events, never for validation). */
export function storableText(s: string): string {
  if (!isUnstorableText(s)) return s;
  return s.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Why a fix cannot be stored as it is, or null. `receivedMs` (when known) bounds the fix's age. */
export function checkBounds(fix: Fix, receivedMs?: number): BoundsReason | null {
  if (fix.timeMs < MIN_FIX_TIME_MS) return 'implausible_time';
  if (receivedMs !== undefined && fix.timeMs < receivedMs - MAX_FIX_AGE_MS) return 'implausible_time';
  const { speedKph, headingDeg, altitudeM, accuracyM, satellites } = fix;
  if (speedKph !== undefined) {
    if (!Number.isFinite(speedKph) || speedKph < 0) return 'out_of_range_value';
    if (speedKph > MAX_REPORTED_SPEED_KPH) return 'implausible_speed';
    if (!fitsReal(speedKph)) return 'out_of_range_value';
  }
  if (headingDeg !== undefined && (!fitsReal(headingDeg) || headingDeg < 0 || headingDeg > 360))
    return 'out_of_range_value';
  if (altitudeM !== undefined && !fitsReal(altitudeM)) return 'out_of_range_value';
  if (accuracyM !== undefined && (!fitsReal(accuracyM) || accuracyM < 0)) return 'out_of_range_value';
  if (satellites !== undefined && (!Number.isInteger(satellites) || satellites < 0 || satellites > 32767))
    return 'out_of_range_value';
  for (const a of fix.alarms) if (typeof a !== 'string' || isUnstorableText(a)) return 'invalid_text';
  for (const k in fix.attributes) {
    if (isUnstorableText(k)) return 'invalid_text';
    const v = fix.attributes[k];
    if (typeof v === 'string' && isUnstorableText(v)) return 'invalid_text';
  }
  return null;
}
