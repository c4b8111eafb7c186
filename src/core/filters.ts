// Pure fix filters the pipeline runs per bus before the engine. Each rejection has a reason code.
//
// Order handling: fixes reach the engine in the order the bus's lane takes them. A fix older than the
// newest accepted one is still accepted but marked late (verdict.late = true); the pipeline passes it to
// the engine as { type: 'fix', fix, late: true }.
// The engine lets late fixes touch only moment rules (SOS) and blind-area re-classification of an
// offline gap; they never rewind progress or sustained-duration rules. Late fixes are stored.
import type { Fix } from './fix';
import { type BoundsReason, checkBounds } from './fix-bounds';
import type { RuleConfig } from './presets/types';

export type RejectReason =
  | 'invalid_flag'
  | 'invalid_coordinates'
  | 'null_island'
  | 'invalid_time'
  | 'future_time'
  | 'duplicate'
  | 'implausible_jump'
  | BoundsReason;

export type FilterVerdict = { ok: true; late: boolean } | { ok: false; reason: RejectReason };

interface Anchor {
  timeMs: number;
  lat: number;
  lon: number;
}

export interface FilterState {
  /** newest accepted device time */
  newestMs: number | null;
  /** last accepted in-order fix: the reference of the jump test */
  anchor: Anchor | null;
  /** recently accepted device times (bounded) for duplicate detection */
  recentTimesMs: number[];
  /** the device of each recent time (same index): a duplicate is the same device at the same time */
  recentDeviceIds?: string[];
  /** consecutive jump-rejected fixes that agree with each other */
  suspect: (Anchor & { count: number }) | null;
}

const RECENT_TIMES = 64;

export function createFilterState(): FilterState {
  return { newestMs: null, anchor: null, recentTimesMs: [], recentDeviceIds: [], suspect: null };
}

/** Coordinates and validity only (no state). */
export function checkCoordinates(fix: Fix): RejectReason | null {
  if (fix.valid === false) return 'invalid_flag';
  const { lat, lon } = fix;
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180)
    return 'invalid_coordinates';
  if (lat === 0 && lon === 0) return 'null_island';
  if (!Number.isFinite(fix.timeMs)) return 'invalid_time';
  return null;
}

/** More than maxFutureS ahead of the receive time. Without a receive time the test is skipped. */
export function isFuture(
  fix: Fix,
  cfg: RuleConfig['filters'],
  receivedMs: number | undefined = fix.receivedMs,
): boolean {
  return receivedMs !== undefined && fix.timeMs - receivedMs > cfg.maxFutureS * 1000;
}

const EARTH_RADIUS_M = 6_371_008.8;
function distanceM(a: Anchor, b: Anchor): number {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.sqrt(x * x + y * y) * EARTH_RADIUS_M;
}

export function impliedSpeedKph(a: Anchor, b: Anchor): number {
  const dtS = Math.abs(b.timeMs - a.timeMs) / 1000;
  const d = distanceM(a, b);
  if (dtS === 0) return d === 0 ? 0 : Infinity;
  return (d / dtS) * 3.6;
}

/** Filters one fix of one device/bus. Returns the verdict and the new filter state. */
/** A copy of a filter state that filterFixInPlace may change without touching the original. */
export function cloneFilterState(s: FilterState): FilterState {
  return {
    newestMs: s.newestMs,
    anchor: s.anchor,
    recentTimesMs: s.recentTimesMs.slice(),
    recentDeviceIds: s.recentDeviceIds?.slice(),
    suspect: s.suspect,
  };
}

/** The filters for one fix: the verdict and the state after it (the given state is not changed). */
export function filterFix(
  state: FilterState,
  fix: Fix,
  cfg: RuleConfig['filters'],
  receivedMs?: number,
): { state: FilterState; verdict: FilterVerdict } {
  const next = cloneFilterState(state);
  const verdict = filterFixInPlace(next, fix, cfg, receivedMs);
  return { state: next, verdict };
}

/**
 * filterFix on a state the caller owns (a batch's working copy, see cloneFilterState): the state is updated in place,
 * so a batch of fixes copies its bounded history once instead of once per fix.
 */
export function filterFixInPlace(
  state: FilterState,
  fix: Fix,
  cfg: RuleConfig['filters'],
  receivedMs?: number,
): FilterVerdict {
  const bad = checkCoordinates(fix) ?? checkBounds(fix, receivedMs ?? fix.receivedMs);
  if (bad) return { ok: false, reason: bad };
  if (isFuture(fix, cfg, receivedMs ?? fix.receivedMs)) return { ok: false, reason: 'future_time' };
  // The same device at the same time is a resend (stored once). Another device of the same bus at that time (a
  // second tracker) is a real, distinct measurement: stored, but as a late fix — it does not move the live position
  // or step the sustained rules a second time for the same instant.
  let sameTimeOtherDevice = false;
  for (let j = 0; j < state.recentTimesMs.length; j++) {
    if (state.recentTimesMs[j] !== fix.timeMs) continue;
    const other = state.recentDeviceIds?.[j];
    if (other === undefined || other === fix.deviceId) return { ok: false, reason: 'duplicate' };
    sameTimeOtherDevice = true;
  }

  if (sameTimeOtherDevice || (state.newestMs !== null && fix.timeMs < state.newestMs)) {
    remember(state, fix);
    return LATE;
  }

  const here: Anchor = { timeMs: fix.timeMs, lat: fix.lat, lon: fix.lon };
  const a = state.anchor;
  if (a && fix.timeMs - a.timeMs <= cfg.jumpMaxGapS * 1000 && impliedSpeedKph(a, here) > cfg.maxJumpSpeedKph) {
    // A run of rejected fixes that agree with each other means the reference was the outlier.
    const s = state.suspect;
    const agrees = s !== null && impliedSpeedKph(s, here) <= cfg.maxJumpSpeedKph;
    const count = agrees ? s!.count + 1 : 1;
    if (count < cfg.jumpReanchorFixes) {
      state.suspect = { ...here, count };
      return { ok: false, reason: 'implausible_jump' };
    }
  }
  state.newestMs = fix.timeMs;
  state.anchor = here;
  state.suspect = null;
  remember(state, fix);
  return IN_ORDER;
}

const LATE: FilterVerdict = Object.freeze({ ok: true, late: true });
const IN_ORDER: FilterVerdict = Object.freeze({ ok: true, late: false });

/** Adds the fix's time (and device) to the bounded history of recent times. */
function remember(state: FilterState, fix: Fix): void {
  // A state from before the device ids were kept: its times were all this device's.
  const ids = (state.recentDeviceIds ??= state.recentTimesMs.map(() => fix.deviceId));
  if (state.recentTimesMs.length >= RECENT_TIMES) {
    state.recentTimesMs.shift();
    ids.shift();
  }
  state.recentTimesMs.push(fix.timeMs);
  ids.push(fix.deviceId);
}
