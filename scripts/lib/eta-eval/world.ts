// The world eval:eta judges the ETA against: a bus driving a route second by second under a speed model that is NOT
// the estimator's (which is "learned segment speed × today's pace factor + median dwell"). Here a route is made of
// road links with their own free-flow speeds and of signalised junctions; a day brings a congestion level, a
// congestion that drifts along the route (per-link noise), sometimes an incident, signal phases the bus meets at
// random, a late or early departure, and a dwell at every stop drawn from a heavy-tailed distribution (log-normal
// with a Pareto tail: now and then a child is late). The bus accelerates and brakes for stops and red lights.
// The true arrival at a stop is the second the bus halts at it. Nothing here is visible to the estimator: it only
// gets GPS fixes (./observe.ts).

export type Rand = () => number;

/** mulberry32: a small deterministic generator. */
export function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const uniform = (r: Rand, a: number, b: number) => a + (b - a) * r();
export const gauss = (r: Rand) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
export const logNormal = (r: Rand, median: number, sigma: number) => median * Math.exp(sigma * gauss(r));
/** Pareto (type I) with scale xm and shape alpha: heavy-tailed, mean xm·α/(α−1). */
export const pareto = (r: Rand, xm: number, alpha: number) => xm / Math.pow(1 - r(), 1 / alpha);

export interface Road {
  lengthM: number;
  /** position of every stop along the route, metres */
  stopsM: number[];
  /** consecutive links: each ends at endM and has a free-flow speed */
  links: { endM: number; freeMps: number }[];
  /** signalised junctions: a cycle, its green share and where they stand */
  lights: { atM: number; cycleS: number; greenS: number }[];
}

/** A route's roads (fixed for a seed, the same every day). */
export function buildRoad(stopsM: number[], lengthM: number, r: Rand): Road {
  const links: Road['links'] = [];
  for (let at = 0; at < lengthM;) {
    at = Math.min(lengthM, at + uniform(r, 150, 500));
    // residential 30, collector 40–50, arterial 60 km/h
    const kph = [30, 40, 50, 50, 60][Math.floor(r() * 5)]!;
    links.push({ endM: at, freeMps: kph / 3.6 });
  }
  const lights: Road['lights'] = [];
  for (let at = uniform(r, 200, 900); at < lengthM - 100; at += uniform(r, 350, 1300)) {
    if (stopsM.some((s) => Math.abs(s - at) < 40)) continue; // not right at a stop
    const cycleS = Math.round(uniform(r, 60, 120));
    lights.push({ atM: at, cycleS, greenS: Math.round(cycleS * uniform(r, 0.4, 0.65)) });
  }
  return { lengthM, stopsM, links, lights };
}

export interface Day {
  /** seconds after the planned start the bus leaves the first stop */
  departDelayS: number;
  /** speed multiplier of the whole day */
  congestion: number;
  /** per link: a multiplier that drifts along the route (AR(1)) */
  linkFactor: number[];
  /** per light: where in its cycle it is at the planned start */
  lightOffsetS: number[];
  /** per stop: how long the bus stands there (0 for the first and the last) */
  dwellS: number[];
}

export function drawDay(road: Road, r: Rand): Day {
  const congestion = logNormal(r, 1, 0.12);
  const linkFactor: number[] = [];
  let drift = 0;
  for (let i = 0; i < road.links.length; i++) {
    drift = 0.75 * drift + 0.66 * 0.2 * gauss(r);
    linkFactor.push(Math.min(1.3, Math.max(0.25, Math.exp(drift))));
  }
  if (r() < 0.15) {
    // an incident: a few links crawl
    const at = Math.floor(r() * road.links.length);
    for (let i = at; i < Math.min(road.links.length, at + 3); i++) linkFactor[i]! *= uniform(r, 0.3, 0.6);
  }
  const n = road.stopsM.length;
  const dwellS = road.stopsM.map((_, i) => (i === 0 || i === n - 1 ? 0 : drawDwellS(r)));
  return {
    departDelayS: drawDepartDelayS(r),
    congestion,
    linkFactor,
    lightOffsetS: road.lights.map((l) => uniform(r, 0, l.cycleS)),
    dwellS,
  };
}

/** How long the bus stands at an intermediate stop: log-normal, now and then a late child (Pareto). */
export function drawDwellS(r: Rand): number {
  let d = logNormal(r, 18, 0.6);
  if (r() < 0.08) d += pareto(r, 30, 1.6); // a child is late
  return Math.round(Math.min(d, 420));
}

/** When the bus leaves the first stop, seconds after the planned start: usually −1 to +2.5 min, sometimes later. */
export function drawDepartDelayS(r: Rand): number {
  return Math.min(Math.round(r() < 0.1 ? pareto(r, 120, 1.8) : uniform(r, -60, 150)), 900);
}

export interface Drive {
  /** first simulated second (the bus waits at the first stop from then) */
  startMs: number;
  /** per simulated second from startMs: position along the route and speed */
  alongM: number[];
  speedMps: number[];
  /** true arrival and departure per stop */
  arrivedMs: number[];
  departedMs: number[];
}

const ACCEL_MPS2 = 1.0;
const BRAKE_MPS2 = 1.3;
const HARD_BRAKE_MPS2 = 3;

/** Drives one day, from `waitS` before the planned start at the first stop to the halt at the last. */
export function drive(road: Road, day: Day, plannedStartMs: number, waitS = 180): Drive {
  const startMs = plannedStartMs - waitS * 1000;
  const alongM: number[] = [];
  const speedMps: number[] = [];
  const n = road.stopsM.length;
  const arrivedMs = road.stopsM.map(() => NaN);
  const departedMs = road.stopsM.map(() => NaN);
  let x = road.stopsM[0]!;
  let v = 0;
  let next = 1;
  let link = 0;
  let light = road.lights.findIndex((l) => l.atM > x);
  if (light < 0) light = road.lights.length;
  arrivedMs[0] = startMs;
  let standUntilS = waitS + day.departDelayS; // standing at the first stop until the departure
  for (let s = 0; s < 4 * 3600; s++) {
    alongM.push(x);
    speedMps.push(v);
    const t = startMs + s * 1000;
    if (s < standUntilS) continue;
    if (v === 0 && Number.isFinite(arrivedMs[next - 1]!) && !Number.isFinite(departedMs[next - 1]!))
      departedMs[next - 1] = t;
    while (link < road.links.length - 1 && road.links[link]!.endM <= x) link++;
    while (light < road.lights.length && road.lights[light]!.atM <= x) light++;
    const target = road.links[link]!.freeMps * day.congestion * day.linkFactor[link]!;
    let vMax = Math.min(target, v + ACCEL_MPS2);
    const toStop = road.stopsM[next]! - x;
    vMax = Math.min(vMax, Math.max(1, Math.sqrt(2 * BRAKE_MPS2 * Math.max(0, toStop))));
    let holdAtM = Infinity;
    const l = road.lights[light];
    if (l) {
      const toLight = l.atM - x;
      const phase = ((((t - plannedStartMs) / 1000 + day.lightOffsetS[light]!) % l.cycleS) + l.cycleS) % l.cycleS;
      const red = phase >= l.greenS;
      // Red and the bus can still stop before the line: it brakes (at an amber it could not stop for, it goes on).
      if (red && toLight >= (v * v) / (2 * HARD_BRAKE_MPS2)) {
        holdAtM = l.atM - 1;
        vMax = Math.min(vMax, Math.sqrt(2 * BRAKE_MPS2 * Math.max(0, toLight - 1)));
      }
    }
    const vNew = Math.max(0, Math.max(v - HARD_BRAKE_MPS2, vMax));
    let xNew = x + (v + vNew) / 2;
    if (xNew >= holdAtM) {
      x = Math.max(x, holdAtM);
      v = 0;
      continue;
    }
    if (xNew >= road.stopsM[next]! - 0.5) {
      xNew = road.stopsM[next]!;
      v = 0;
      x = xNew;
      arrivedMs[next] = t + 1000;
      if (next === n - 1) {
        alongM.push(x);
        speedMps.push(0);
        departedMs[next] = t + 1000;
        break;
      }
      standUntilS = s + 1 + day.dwellS[next]!;
      next++;
      continue;
    }
    x = xNew;
    v = vNew;
  }
  return { startMs, alongM, speedMps, arrivedMs, departedMs };
}
