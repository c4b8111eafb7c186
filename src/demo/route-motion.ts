// Bus motion along a route polyline: dwell at each stop, accelerate, cruise at 30–50 km/h, brake to the next
// stop. Pure and deterministic for a given seed; advanced in whole simulated seconds.
export interface LonLat {
  lon: number;
  lat: number;
}

export interface MotionOptions {
  /** Random seed (per bus). */
  seed: number;
  accelMps2?: number;
  decelMps2?: number;
  /** Cruise speed range between stops. */
  cruiseKph?: [number, number];
  dwellS?: [number, number];
  /** Overspeed scenario: cruise at this speed on the middle third of the route. */
  overspeedKph?: number;
  /** Detour scenario: leave the path sideways by this many metres over 30–45 % of the route. */
  detourM?: number;
}

export interface MotionSample {
  lat: number;
  lon: number;
  speedKph: number;
  headingDeg: number;
  /** Distance travelled along the route. */
  distanceM: number;
  /** At a stop (dwelling) — doors open. */
  atStop: boolean;
  /** Reached the last stop. */
  done: boolean;
}

const R = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RoutePath {
  readonly xs: number[] = [];
  readonly ys: number[] = [];
  /** Cumulative distance at each vertex. */
  readonly cum: number[] = [];
  private readonly lat0: number;
  private readonly lon0: number;
  private readonly kx: number;

  constructor(coords: LonLat[]) {
    if (coords.length < 2) throw new Error('a route path needs at least two points');
    this.lat0 = coords[0]!.lat;
    this.lon0 = coords[0]!.lon;
    this.kx = Math.cos(rad(this.lat0));
    let d = 0;
    for (const [i, c] of coords.entries()) {
      const x = rad(c.lon - this.lon0) * R * this.kx;
      const y = rad(c.lat - this.lat0) * R;
      if (i > 0) d += Math.hypot(x - this.xs[i - 1]!, y - this.ys[i - 1]!);
      this.xs.push(x);
      this.ys.push(y);
      this.cum.push(d);
    }
  }

  get lengthM(): number {
    return this.cum[this.cum.length - 1]!;
  }

  /** Distance along the path of the point nearest to `p`, searching from `fromM` on (stops come in order). */
  project(p: LonLat, fromM = 0): number {
    const px = rad(p.lon - this.lon0) * R * this.kx;
    const py = rad(p.lat - this.lat0) * R;
    let best = Infinity;
    let bestM = fromM;
    for (let i = 0; i < this.xs.length - 1; i++) {
      if (this.cum[i + 1]! < fromM) continue;
      const ax = this.xs[i]!,
        ay = this.ys[i]!;
      const dx = this.xs[i + 1]! - ax,
        dy = this.ys[i + 1]! - ay;
      const len2 = dx * dx + dy * dy;
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
      const d = Math.hypot(ax + t * dx - px, ay + t * dy - py);
      const m = this.cum[i]! + t * Math.sqrt(len2);
      if (d < best - 1e-6 && m >= fromM) {
        best = d;
        bestM = m;
      }
    }
    return bestM;
  }

  /** Point and heading at distance `m`, shifted `offsetM` to the right of the direction of travel. */
  at(m: number, offsetM = 0): { lat: number; lon: number; headingDeg: number } {
    const d = Math.max(0, Math.min(this.lengthM, m));
    let i = 0;
    while (i < this.cum.length - 2 && this.cum[i + 1]! < d) i++;
    const c0 = this.cum[i]!,
      x0 = this.xs[i]!,
      y0 = this.ys[i]!;
    const seg = this.cum[i + 1]! - c0;
    const t = seg === 0 ? 0 : (d - c0) / seg;
    const dx = this.xs[i + 1]! - x0,
      dy = this.ys[i + 1]! - y0;
    const len = Math.hypot(dx, dy) || 1;
    const x = x0 + t * dx + (offsetM * dy) / len;
    const y = y0 + t * dy - (offsetM * dx) / len;
    const headingDeg = ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
    return {
      lat: this.lat0 + (y / R) * (180 / Math.PI),
      lon: this.lon0 + (x / (R * this.kx)) * (180 / Math.PI),
      headingDeg,
    };
  }
}

export class BusMotion {
  private readonly rand: () => number;
  private readonly stopsM: number[];
  private next = 1;
  private distanceM: number;
  private speedMps = 0;
  private dwellLeftS: number;
  private cruiseMps: number;
  private readonly o: Required<Omit<MotionOptions, 'overspeedKph' | 'detourM'>> &
    Pick<MotionOptions, 'overspeedKph' | 'detourM'>;

  constructor(
    readonly path: RoutePath,
    stops: LonLat[],
    options: MotionOptions,
  ) {
    this.o = { accelMps2: 1.0, decelMps2: 1.2, cruiseKph: [30, 50], dwellS: [20, 45], ...options };
    this.rand = prng(options.seed);
    const ms: number[] = [];
    let from = 0;
    for (const s of stops) {
      const m = path.project(s, from);
      ms.push(m);
      from = m;
    }
    if (ms.length === 0 || ms[0]! > 1) ms.unshift(0);
    if (ms[ms.length - 1]! < path.lengthM - 1) ms.push(path.lengthM);
    this.stopsM = ms;
    this.distanceM = ms[0]!;
    this.dwellLeftS = this.dwell();
    this.cruiseMps = this.pickCruise();
  }

  private dwell(): number {
    const [a, b] = this.o.dwellS;
    return Math.round(a + this.rand() * (b - a));
  }

  private pickCruise(): number {
    const [a, b] = this.o.cruiseKph;
    let kph = a + this.rand() * (b - a);
    const f = this.distanceM / this.path.lengthM;
    if (this.o.overspeedKph !== undefined && f >= 1 / 3 && f < 2 / 3) kph = this.o.overspeedKph;
    return kph / 3.6;
  }

  get done(): boolean {
    return this.next >= this.stopsM.length;
  }

  /** Advances one simulated second. */
  step(): void {
    if (this.done) return;
    if (this.dwellLeftS > 0) {
      this.dwellLeftS--;
      return;
    }
    const target = this.stopsM[this.next]!; // not done, so next is in range
    const remaining = target - this.distanceM;
    // The fastest speed from which the bus still stops at the stop, capped by the cruise speed.
    const wanted = Math.min(this.cruiseMps, Math.sqrt(2 * this.o.decelMps2 * Math.max(0, remaining - this.speedMps)));
    if (this.speedMps < wanted) this.speedMps = Math.min(wanted, this.speedMps + this.o.accelMps2);
    else this.speedMps = Math.max(wanted, this.speedMps - 1.4 * this.o.decelMps2);
    this.speedMps = Math.max(this.speedMps, Math.min(1, remaining)); // creep the last metre
    this.distanceM = Math.min(target, this.distanceM + this.speedMps);
    if (this.distanceM >= target - 0.01) {
      this.distanceM = target;
      this.speedMps = 0;
      this.next++;
      this.dwellLeftS = this.done ? 0 : this.dwell();
      this.cruiseMps = this.pickCruise();
    }
    if (this.o.overspeedKph !== undefined) {
      // The fast stretch starts and ends wherever the bus is, not only at stops.
      const f = this.distanceM / this.path.lengthM;
      const fast = this.o.overspeedKph / 3.6;
      if (f >= 1 / 3 && f < 2 / 3) this.cruiseMps = fast;
      else if (this.cruiseMps === fast) this.cruiseMps = this.pickCruise();
    }
  }

  sample(): MotionSample {
    let offset = 0;
    if (this.o.detourM) {
      const f = this.distanceM / this.path.lengthM;
      if (f > 0.3 && f < 0.45) offset = this.o.detourM * Math.sin(((f - 0.3) / 0.15) * Math.PI);
    }
    const p = this.path.at(this.distanceM, offset);
    return {
      lat: p.lat,
      lon: p.lon,
      headingDeg: Math.round(p.headingDeg) % 360,
      speedKph: Math.round(this.speedMps * 3.6 * 10) / 10,
      distanceM: this.distanceM,
      atStop: this.speedMps === 0 && !this.done,
      done: this.done,
    };
  }
}
