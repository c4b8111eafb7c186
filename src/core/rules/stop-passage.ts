// What happened at stops between two sparse fixes (terminals reporting every 30–60 s). Pure arithmetic on
// linear references (metres along the route), times and the speeds the two fixes report.
//
// Model: the bus cruises at the higher of the two fixes' speeds (at least inferMinSpeedKph), accelerating and
// braking at brakeMps2. Driving the whole way takes `through` seconds; if the time between the fixes exceeds
// that by at least one stop-and-go (cruise / brake) plus minDwellS, the bus stopped — at the first bracketed
// stop where children wait, else at the first bracketed stop — and the times before and after that stop are
// placed by the cruise model from each end. Otherwise it drove through, its speed changing linearly in time
// from one fix's speed to the other's. Every time returned is between the two fixes' times, and times are
// non-decreasing along the route.
import type { RuleConfig } from '../presets/types';

export interface PassageFix {
  timeMs: number;
  alongM: number;
  speedKph: number | null;
}

export interface PassageStop {
  alongM: number;
  /** arrival radius */
  radiusM: number;
  /** departure radius (radius + departMarginM) */
  departRadiusM: number;
  /** children waiting there (the bus is assumed to stop where children wait) */
  riders: number;
}

export interface Passage {
  /** entered the stop radius */
  arrivedMs: number;
  /** left radius + departMarginM */
  departedMs: number;
  stopped: boolean;
  /** estimated speed when passing (drive-through), km/h */
  speedKph: number | null;
}

type StopCfg = RuleConfig['stops'];

function speeds(a: PassageFix, b: PassageFix, cfg: StopCfg) {
  const gapS = Math.max(1e-3, (b.timeMs - a.timeMs) / 1000);
  const avgMps = Math.max(0, b.alongM - a.alongM) / gapS;
  const va = a.speedKph !== null && Number.isFinite(a.speedKph) ? Math.max(0, a.speedKph) / 3.6 : avgMps;
  const vb = b.speedKph !== null && Number.isFinite(b.speedKph) ? Math.max(0, b.speedKph) / 3.6 : avgMps;
  // The bus covered the distance in the time, standing included: it cruised at least at the average.
  const cruise = Math.max(va, vb, avgMps, cfg.inferMinSpeedKph / 3.6);
  return { gapS, va, vb, cruise };
}

/** Extra seconds to reach cruise from v0 (or brake from cruise to v0) compared with cruising all along. */
function rampS(cruise: number, v0: number, accel: number): number {
  const dv = Math.max(0, cruise - v0);
  return (dv * dv) / (2 * accel * cruise);
}

/** Seconds to drive distanceM from fix a towards fix b (ramping up from a's speed to the cruise between them). */
export function timeToReach(distanceM: number, a: PassageFix, b: PassageFix, cfg: StopCfg): number {
  if (distanceM <= 0) return 0;
  const { va, cruise } = speeds(a, b, cfg);
  return distanceM / cruise + rampS(cruise, va, cfg.brakeMps2);
}

/** Seconds the bus needed to cover the last distanceM before fix b, coming from fix a (ramping to b's speed). */
export function timeToLeave(distanceM: number, a: PassageFix, b: PassageFix, cfg: StopCfg): number {
  if (distanceM <= 0) return 0;
  const { vb, cruise } = speeds(a, b, cfg);
  return distanceM / cruise + rampS(cruise, vb, cfg.brakeMps2);
}

/**
 * Passages of `stops` (ordered along the route, strictly between a.alongM and b.alongM) between fixes a and b.
 */
export function inferPassages(a: PassageFix, b: PassageFix, stops: readonly PassageStop[], cfg: StopCfg): Passage[] {
  if (stops.length === 0) return [];
  const { gapS, va, vb, cruise } = speeds(a, b, cfg);
  const D = Math.max(1e-6, b.alongM - a.alongM);
  const accel = cfg.brakeMps2;
  const throughS = D / cruise + rampS(cruise, va, accel) + rampS(cruise, vb, accel);
  const stopGoS = cruise / accel; // braking to 0 and pulling away again, beyond cruising
  const stopped = gapS - throughS >= stopGoS + cfg.minDwellS;
  const clampT = (ms: number) => Math.min(b.timeMs, Math.max(a.timeMs, ms));
  const clampX = (x: number) => Math.min(b.alongM, Math.max(a.alongM, x));

  if (stopped) {
    let k = stops.findIndex((s) => s.riders > 0);
    if (k < 0) k = 0;
    const S = stops[k]!;
    const enterX = clampX(S.alongM - S.radiusM);
    const exitX = Math.max(enterX, clampX(S.alongM + S.departRadiusM));
    // From a: ramp to cruise, cruise to the radius (braking happens inside it).
    const enterMs = clampT(
      a.timeMs + (enterX - a.alongM > 0 ? ((enterX - a.alongM) / cruise + rampS(cruise, va, accel)) * 1000 : 0),
    );
    // To b: from leaving the radius, cruise (and ramp to b's speed) up to b.
    const exitMs = Math.max(
      enterMs,
      clampT(b.timeMs - (b.alongM - exitX > 0 ? ((b.alongM - exitX) / cruise + rampS(cruise, vb, accel)) * 1000 : 0)),
    );
    const timeAt = (x: number): number => {
      if (x <= enterX)
        return enterX > a.alongM ? a.timeMs + ((enterMs - a.timeMs) * (x - a.alongM)) / (enterX - a.alongM) : enterMs;
      if (x >= exitX)
        return b.alongM > exitX ? exitMs + ((b.timeMs - exitMs) * (x - exitX)) / (b.alongM - exitX) : exitMs;
      return enterMs; // inside the served stop's radius: standing
    };
    return stops.map((s, i) => {
      if (i === k)
        return { arrivedMs: Math.round(enterMs), departedMs: Math.round(exitMs), stopped: true, speedKph: 0 };
      const arr = Math.round(clampT(timeAt(clampX(s.alongM - s.radiusM))));
      const dep = Math.max(arr, Math.round(clampT(timeAt(clampX(s.alongM + s.departRadiusM)))));
      return { arrivedMs: arr, departedMs: dep, stopped: false, speedKph: Math.round(cruise * 3.6) };
    });
  }

  // Drove through: speed linear in time from va to vb, distance scaled to what was really covered.
  const full = (va + vb) / 2; // metres per second averaged over the gap, unscaled
  const distAt = (tau: number) =>
    full > 1e-6 ? (D * (va * tau + ((vb - va) * tau * tau) / (2 * gapS))) / (full * gapS) : (D * tau) / gapS;
  const tauAt = (x: number): number => {
    const target = Math.min(D, Math.max(0, x - a.alongM));
    let lo = 0;
    let hi = gapS;
    for (let n = 0; n < 40; n++) {
      const mid = (lo + hi) / 2;
      if (distAt(mid) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return stops.map((s) => {
    const tArr = tauAt(s.alongM - s.radiusM);
    const tDep = Math.max(tArr, tauAt(s.alongM + s.departRadiusM));
    const tMid = tauAt(s.alongM);
    const v = va + ((vb - va) * tMid) / gapS;
    return {
      arrivedMs: Math.round(clampT(a.timeMs + tArr * 1000)),
      departedMs: Math.round(clampT(a.timeMs + tDep * 1000)),
      stopped: false,
      speedKph: Math.round(v * 3.6),
    };
  });
}
