// ETA to every remaining stop of a trip. Pure: positions along the route, times and learned speeds in; ETAs out.
//
// With a learned route profile (stop_events of earlier trips: departure from one stop → arrival at the next, and
// the dwell at each stop) and today's running times over the segments driven so far (RunPace, from today's stop
// events), every segment ahead takes its learned mean running time scaled by today's ratio, and every intermediate
// stop its learned mean dwell (shrunk towards the route's, as far as the stops do not really differ): the expected
// total, measured the same way today and in history. A dwell under way lasts the median of what the route's longer
// dwells lasted beyond the time already stood (the point that minimises the absolute error). Without a profile
// (a route's first trips, a replay) the remaining distance is divided by a speed that blends the bus's recent
// moving speed (trip.progress) with whatever was learned. Before the trip starts the timetable answers.
// src/live/trip-eta.ts keeps this state per trip from the engine's events.

export interface EtaStop {
  id: string;
  /** linear reference of the stop on the route, metres from the start */
  alongM: number;
}

/** Learned from earlier trips; index i = the segment arriving at stop i (from stop i-1), and the dwell at stop i. */
export interface RouteProfile {
  segmentSpeedMps: (number | null)[];
  dwellS: (number | null)[];
  /**
   * The same from robust means (each value capped at 3× the median): summed over several segments and stops they
   * give the expected total, where medians of right-skewed times (red lights, a late child) add up short.
   */
  segmentMeanSpeedMps?: (number | null)[];
  dwellMeanS?: (number | null)[];
  /** every dwell measured at an intermediate stop of the route, ascending (how long an overlong dwell may last) */
  dwellPoolS?: number[];
  /** robust mean of that pool (each dwell capped at 3× its median): the route's usual dwell */
  dwellPoolMeanS?: number | null;
  /** trips the profile was learned from */
  trips: number;
}

export interface StopHistoryEvent {
  tripId: number;
  stopId: string;
  kind: 'arrived' | 'departed' | 'missed';
  timeMs: number;
  dwellS?: number | null;
}

export interface EtaDefaults {
  /** speed when neither today's pace nor history is known */
  speedMps: number;
  /** dwell at a stop when history has none */
  dwellS: number;
  /** distance over which today's pace gives way to the learned segment speeds */
  blendM: number;
  /** today's pace relative to the learned speeds is clamped to this range */
  minFactor: number;
  maxFactor: number;
}

export const ETA_DEFAULTS: EtaDefaults = { speedMps: 25 / 3.6, dwellS: 30, blendM: 500, minFactor: 0.4, maxFactor: 2 };

const MIN_SEGMENT_MPS = 0.5;
const MAX_SEGMENT_MPS = 40;

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The values, each capped at `cap` × their median (one broken trip does not skew what is made of them). */
function capped(xs: number[], cap = 3): number[] {
  const m = median(xs);
  return m == null ? [] : xs.map((x) => Math.min(x, cap * m));
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Mean of the values, each capped at 3× their median. */
function robustMean(xs: number[]): number | null {
  return mean(capped(xs));
}

/**
 * Each stop's robust mean dwell, shrunk towards the route's (empirical Bayes, one-way random effects, method of
 * moments): a stop's mean of n dwells has sampling variance σ²/n (σ² the spread of dwells within a stop, pooled over
 * the route); the spread of the stops' means beyond that noise is the real difference between stops, τ². A stop
 * keeps the weight τ² / (τ² + σ²/n) of its own mean: where stops differ little, twenty dwells of one stop (a late
 * child among them) say less about its next dwell than the whole route's do. Stops without dwells (first, last): null.
 */
export function shrunkDwellMeans(dwells: readonly number[][]): (number | null)[] {
  const routeMean = robustMean(dwells.flat());
  const own = dwells.map((xs) => {
    const c = capped(xs);
    const m = mean(c);
    return m == null ? null : { m, n: c.length, ss: c.reduce((a, x) => a + (x - m) ** 2, 0) };
  });
  const known = own.filter((o) => o != null);
  const df = known.reduce((a, o) => a + o.n - 1, 0);
  if (routeMean == null || known.length < 2 || df <= 0) return own.map((o) => o?.m ?? null);
  const within = known.reduce((a, o) => a + o.ss, 0) / df;
  const grand = mean(known.map((o) => o.m))!;
  const spread = known.reduce((a, o) => a + (o.m - grand) ** 2, 0) / (known.length - 1);
  const tau2 = Math.max(0, spread - mean(known.map((o) => within / o.n))!);
  return own.map((o) => {
    if (!o) return null;
    const noise = within / o.n;
    const w = tau2 + noise > 0 ? tau2 / (tau2 + noise) : 1;
    return routeMean + w * (o.m - routeMean);
  });
}

/**
 * Per-segment speeds and per-stop dwell times from earlier trips: medians (one odd trip does not skew them) and
 * robust means (for sums over several segments).
 */
export function learnRouteProfile(stops: readonly EtaStop[], history: readonly StopHistoryEvent[]): RouteProfile {
  const idx = new Map(stops.map((s, i) => [s.id, i]));
  const perTrip = new Map<number, { arrived: Map<number, number>; departed: Map<number, number> }>();
  const dwell: number[][] = stops.map(() => []);
  for (const e of history) {
    const i = idx.get(e.stopId);
    if (i === undefined) continue;
    let t = perTrip.get(e.tripId);
    if (!t) perTrip.set(e.tripId, (t = { arrived: new Map(), departed: new Map() }));
    if (e.kind === 'arrived') t.arrived.set(i, e.timeMs);
    else if (e.kind === 'departed') {
      t.departed.set(i, e.timeMs);
      if (e.dwellS != null && e.dwellS >= 0 && i > 0 && i < stops.length - 1) dwell[i]!.push(e.dwellS);
    }
  }
  const speeds: number[][] = stops.map(() => []);
  const runS: number[][] = stops.map(() => []);
  for (const t of perTrip.values()) {
    for (let i = 1; i < stops.length; i++) {
      const dep = t.departed.get(i - 1);
      const arr = t.arrived.get(i);
      if (dep == null || arr == null || arr <= dep) continue;
      const v = (stops[i]!.alongM - stops[i - 1]!.alongM) / ((arr - dep) / 1000);
      if (v >= MIN_SEGMENT_MPS && v <= MAX_SEGMENT_MPS) {
        speeds[i]!.push(v);
        runS[i]!.push((arr - dep) / 1000);
      }
    }
  }
  return {
    segmentSpeedMps: speeds.map(median),
    dwellS: dwell.map(median),
    segmentMeanSpeedMps: runS.map((xs, i) => {
      const mean = robustMean(xs);
      return mean == null || i === 0 ? null : (stops[i]!.alongM - stops[i - 1]!.alongM) / mean;
    }),
    dwellMeanS: shrunkDwellMeans(dwell),
    dwellPoolS: dwell.flat().sort((a, b) => a - b),
    dwellPoolMeanS: robustMean(dwell.flat()),
    trips: perTrip.size,
  };
}

/** Today's pace, tracked from trip.progress events. */
export interface PaceState {
  lastProgressM: number | null;
  lastTimeMs: number | null;
  /** smoothed speed over intervals the bus was moving, m/s */
  movingSpeedMps: number | null;
  /** smoothed ratio of that speed to the learned speed of the segment driven */
  factor: number | null;
}

export const initialPace = (): PaceState => ({
  lastProgressM: null,
  lastTimeMs: null,
  movingSpeedMps: null,
  factor: null,
});

/** Intervals slower than this count as standing (dwell, lights) and do not lower the moving speed. */
const MOVING_MPS = 2;
const PACE_TAU_S = 120;

/** Segment index (arriving stop) that contains `alongM`. */
export function segmentAt(stops: readonly EtaStop[], alongM: number): number {
  for (let i = 0; i < stops.length; i++) if (alongM <= stops[i]!.alongM) return i;
  return stops.length - 1;
}

export function updatePace(
  state: PaceState,
  progressM: number,
  timeMs: number,
  stops: readonly EtaStop[],
  profile?: RouteProfile,
): PaceState {
  if (state.lastTimeMs == null || state.lastProgressM == null || timeMs <= state.lastTimeMs) {
    return { ...state, lastProgressM: progressM, lastTimeMs: Math.max(timeMs, state.lastTimeMs ?? timeMs) };
  }
  const dt = (timeMs - state.lastTimeMs) / 1000;
  const v = (progressM - state.lastProgressM) / dt;
  let { movingSpeedMps, factor } = state;
  if (v >= MOVING_MPS && v <= MAX_SEGMENT_MPS) {
    const a = 1 - Math.exp(-dt / PACE_TAU_S);
    movingSpeedMps = movingSpeedMps == null ? v : movingSpeedMps + a * (v - movingSpeedMps);
    const learned = profile?.segmentSpeedMps[segmentAt(stops, (progressM + state.lastProgressM) / 2)];
    if (learned) factor = factor == null ? v / learned : factor + a * (v / learned - factor);
  }
  return { lastProgressM: progressM, lastTimeMs: timeMs, movingSpeedMps, factor };
}

/**
 * Today's pace over whole segments: the running time from a stop's departure to the next stop's arrival (the
 * engine's stop events), against the learned running time of that segment. It is the measure the profile is learned
 * with, so it compares like with like: lights, junctions and the slow metres in and out of the stop radius are in
 * both (today's moving speed from trip.progress leaves them out).
 */
export interface RunPace {
  lastDeparted: { idx: number; timeMs: number } | null;
  /** today's running time over the segments measured so far, seconds */
  observedS: number;
  /** what the profile expected for those same segments, seconds */
  learnedS: number;
  segments: number;
}

export const initialRunPace = (): RunPace => ({ lastDeparted: null, observedS: 0, learnedS: 0, segments: 0 });

/**
 * Today's ratio of running times is the ratio of the sums over every segment measured so far, shrunk towards the
 * learned pace by this many seconds of "as learned" driving (one red light on a short segment moves it little).
 */
const RUN_PRIOR_S = 300;
/** one segment counts at most this many times its learned running time (an incident is not the day's pace) */
const RUN_SEGMENT_CAP = 3;
const RUN_RATIO_MIN = 0.5;
const RUN_RATIO_MAX = 2.5;

export function runRatio(p: RunPace): number {
  const r = (p.observedS + RUN_PRIOR_S) / (p.learnedS + RUN_PRIOR_S);
  return Math.min(RUN_RATIO_MAX, Math.max(RUN_RATIO_MIN, r));
}

export function updateRunPace(
  state: RunPace,
  kind: 'arrived' | 'departed',
  idx: number,
  timeMs: number,
  stops: readonly EtaStop[],
  profile?: RouteProfile,
): RunPace {
  if (kind === 'departed') return { ...state, lastDeparted: { idx, timeMs } };
  const dep = state.lastDeparted;
  const learned = profile?.segmentMeanSpeedMps?.[idx] ?? profile?.segmentSpeedMps[idx];
  if (!dep || dep.idx !== idx - 1 || !learned || idx <= 0 || timeMs <= dep.timeMs) return state;
  const learnedS = (stops[idx]!.alongM - stops[idx - 1]!.alongM) / learned;
  if (!(learnedS > 0)) return state;
  const observedS = Math.min((timeMs - dep.timeMs) / 1000, RUN_SEGMENT_CAP * learnedS);
  return {
    ...state,
    observedS: state.observedS + observedS,
    learnedS: state.learnedS + learnedS,
    segments: state.segments + 1,
  };
}

export interface EtaInput {
  stops: readonly EtaStop[];
  /** first stop not yet arrived at or passed */
  nextIdx: number;
  progressM: number;
  nowMs: number;
  pace: PaceState;
  profile?: RouteProfile;
  /** the bus is dwelling at this stop since arrivedMs (listed first, due now, until it departs) */
  atStop?: { idx: number; arrivedMs: number } | null;
  /**
   * Today's pace over whole segments. Given (with a profile), every segment with a learned speed is driven at that
   * speed scaled by it, near the bus too; segments nothing was learned for keep the blend of today's moving pace.
   */
  runPace?: RunPace;
  defaults?: Partial<EtaDefaults>;
}

export interface StopEtaResult {
  stopId: string;
  etaMs: number;
  /** distance along the route from the bus to the stop */
  remainingM: number;
}

/** Below this many dwells past the elapsed time, the usual dwell minus the time stood answers (0 once past it). */
const MIN_TAIL_SAMPLES = 5;

/**
 * The rest of a dwell that has lasted `elapsedS`: the median of what the route's dwells that lasted longer went on
 * for beyond that time (the point that minimises the mean absolute error; a bus held by a late child stays a while),
 * every dwell of the route scaled to this stop (its usual dwell over the route's mean), so a long stop keeps its
 * level. With too few such dwells: the usual dwell at the stop minus the time stood.
 */
export function dwellLeftS(usualS: number, elapsedS: number, profile?: RouteProfile): number {
  const pool = profile?.dwellPoolS;
  const poolMeanS = profile?.dwellPoolMeanS ?? (pool ? robustMean(pool) : null);
  if (pool && poolMeanS) {
    const scale = usualS / poolMeanS;
    const longer: number[] = [];
    for (let i = pool.length - 1; i >= 0 && scale * pool[i]! > elapsedS; i--) longer.push(scale * pool[i]! - elapsedS);
    if (longer.length >= MIN_TAIL_SAMPLES) return median(longer)!;
  }
  return Math.max(0, usualS - elapsedS);
}

export function estimateEtas(input: EtaInput): StopEtaResult[] {
  const d = { ...ETA_DEFAULTS, ...input.defaults };
  const { stops, profile, pace } = input;
  const factor = pace.factor == null ? null : Math.min(d.maxFactor, Math.max(d.minFactor, pace.factor));
  // Whole-segment mode (today's running times given): expected totals, so the learned means.
  const run = input.runPace;
  const whole = run != null;
  const dwellAt = (i: number) => (whole ? profile?.dwellMeanS?.[i] : null) ?? profile?.dwellS[i] ?? d.dwellS;
  const learnedAt = (j: number) =>
    (whole ? profile?.segmentMeanSpeedMps?.[j] : null) ?? profile?.segmentSpeedMps[j] ?? null;
  let t = input.nowMs;
  if (input.atStop)
    t += dwellLeftS(dwellAt(input.atStop.idx), (input.nowMs - input.atStop.arrivedMs) / 1000, profile) * 1000;
  let pos = input.progressM;
  const out: StopEtaResult[] = [];
  // The stop the bus is at stays in the list (due now) until it departs.
  if (input.atStop && input.atStop.idx < stops.length && input.atStop.idx < input.nextIdx) {
    out.push({
      stopId: stops[input.atStop.idx]!.id,
      etaMs: input.nowMs,
      remainingM: Math.max(0, stops[input.atStop.idx]!.alongM - input.progressM),
    });
  }
  for (let j = Math.max(0, input.nextIdx); j < stops.length; j++) {
    const target = stops[j]!.alongM;
    // The piece from pos to the stop, driven at a speed that moves from today's pace to the learned one.
    const dist = Math.max(0, target - pos);
    if (dist > 0) {
      const aheadM = pos - input.progressM + dist / 2;
      const w = Math.exp(-aheadM / d.blendM);
      const learned = learnedAt(j);
      const recent = pace.movingSpeedMps;
      let v: number;
      if (learned != null && run) v = learned / runRatio(run);
      else if (learned != null && recent != null) {
        const scaled = learned * (factor ?? 1);
        v = w * recent + (1 - w) * scaled;
      } else v = recent ?? learned ?? d.speedMps;
      t += (dist / Math.max(v, MIN_SEGMENT_MPS)) * 1000;
    }
    out.push({ stopId: stops[j]!.id, etaMs: t, remainingM: Math.max(0, target - input.progressM) });
    if (j < stops.length - 1) t += dwellAt(j) * 1000;
    pos = Math.max(pos, target);
  }
  return out;
}

/**
 * The timetable answer before the trip starts: each stop's scheduled time, shifted by how late the trip already is
 * (a trip not started at 07:10 that was planned for 07:00 will not be on time).
 */
export function timetableEtas(
  stops: readonly EtaStop[],
  scheduledMs: ReadonlyMap<string, number>,
  nowMs: number,
  plannedStartMs: number,
): StopEtaResult[] {
  const delay = Math.max(0, nowMs - plannedStartMs);
  const out: StopEtaResult[] = [];
  for (const s of stops) {
    const at = scheduledMs.get(s.id);
    if (at == null) continue;
    out.push({ stopId: s.id, etaMs: at + delay, remainingM: s.alongM });
  }
  return out;
}

/** Scheduled instants of stops: local midnight of the trip's service day + seconds after midnight. */
export function scheduledInstants(
  schedule: ReadonlyMap<string, number | null>,
  plannedStartMs: number,
  utcOffsetMin: number,
): Map<string, number> {
  const localMs = plannedStartMs + utcOffsetMin * 60_000;
  const midnightUtcMs = Math.floor(localMs / 86_400_000) * 86_400_000 - utcOffsetMin * 60_000;
  const out = new Map<string, number>();
  for (const [id, s] of schedule) if (s != null) out.set(id, midnightUtcMs + s * 1000);
  return out;
}

/** Whether a new set of ETAs differs from the last pushed one by more than `thresholdS` for any stop. */
export function etasChanged(
  prev: readonly StopEtaResult[] | undefined,
  next: readonly StopEtaResult[],
  thresholdS: number,
): boolean {
  if (!prev || prev.length !== next.length) return true;
  for (let i = 0; i < next.length; i++) {
    if (prev[i]!.stopId !== next[i]!.stopId) return true;
    if (Math.abs(prev[i]!.etaMs - next[i]!.etaMs) > thresholdS * 1000) return true;
  }
  return false;
}
