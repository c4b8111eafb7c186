// ETA accuracy on simulated trips (ground truth known): `npm run eval:eta [-- --trips N --seed S]`.
// A route of stops with per-segment base speeds; each trip has a day factor (traffic), per-segment variation,
// second-by-second speed noise, red lights and a random dwell at every stop. Earlier trips' stop events train the
// route profile, exactly as the live service learns from stop_events; the test trips feed trip.progress every 5 s
// into the same pure functions the service uses. For every (trip, stop) the ETA given 5 minutes before the true
// arrival is compared with it, beside the schedule-only baseline (the timetable: mean speeds and mean dwell).
import {
  estimateEtas,
  type EtaStop,
  initialPace,
  learnRouteProfile,
  type PaceState,
  type StopHistoryEvent,
  timetableEtas,
  updatePace,
} from '../src/live/eta';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const TEST_TRIPS = arg('trips', 200);
const HISTORY_TRIPS = arg('history', 20);
let seed = arg('seed', 42) >>> 0;

function rand(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const uniform = (a: number, b: number) => a + (b - a) * rand();
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

// The route: 10 stops over ~9 km, segment base speeds 18–45 km/h.
const STOP_COUNT = 10;
const stops: EtaStop[] = [];
const baseKph: number[] = [0];
{
  let along = 0;
  for (let i = 0; i < STOP_COUNT; i++) {
    if (i > 0) along += uniform(600, 1500);
    stops.push({ id: String(i + 1), alongM: along });
    if (i > 0) baseKph.push(uniform(18, 45));
  }
}
const MEAN_DWELL_S = 45;
const RADIUS_M = 50;
const PLANNED_START_MS = Date.UTC(2026, 8, 1, 23, 0, 0);

interface SimTrip {
  /** true arrival (entering the stop radius) per stop index */
  arrivedMs: number[];
  departedMs: number[];
  /** progress samples every second */
  samples: { timeMs: number; progressM: number; atStop: number | null; arrivedMs: number | null }[];
}

function simulate(startMs: number): SimTrip {
  const day = Math.exp(gauss() * 0.18); // traffic today
  const segFactor = stops.map(() => Math.exp(gauss() * 0.12));
  const arrivedMs = stops.map(() => NaN);
  const departedMs = stops.map(() => NaN);
  const samples: SimTrip['samples'] = [];
  let x = stops[0]!.alongM;
  let t = startMs;
  let seg = 1;
  let noise = 0;
  let redLeftS = 0;
  arrivedMs[0] = t;
  // Dwell at the first stop, then drive.
  const firstDwell = uniform(20, 60);
  for (let s = 0; s < firstDwell; s++, t += 1000)
    samples.push({ timeMs: t, progressM: x, atStop: 0, arrivedMs: startMs });
  departedMs[0] = t;
  let atStop: number | null = null;
  let stopArrivedMs = 0;
  let dwellLeftS = 0;
  for (let guard = 0; guard < 6 * 3600 && seg < stops.length; guard++, t += 1000) {
    if (atStop !== null) {
      samples.push({ timeMs: t, progressM: x, atStop, arrivedMs: stopArrivedMs });
      if (--dwellLeftS <= 0) {
        departedMs[atStop] = t;
        atStop = null;
        seg++;
      }
      continue;
    }
    if (redLeftS > 0) redLeftS--;
    else if (rand() < 1 / 400) redLeftS = Math.round(uniform(15, 60)); // a red light now and then
    noise = 0.9 * noise + 0.1 * gauss() * 0.25;
    const kph = redLeftS > 0 ? 0 : Math.max(3, baseKph[seg]! * day * segFactor[seg]! * (1 + noise));
    x += kph / 3.6;
    const next = stops[seg]!;
    if (x >= next.alongM - RADIUS_M) {
      arrivedMs[seg] = t;
      if (seg === stops.length - 1) {
        samples.push({ timeMs: t, progressM: x, atStop: seg, arrivedMs: t });
        break;
      }
      atStop = seg;
      stopArrivedMs = t;
      dwellLeftS = Math.round(Math.max(10, MEAN_DWELL_S + gauss() * 20));
      // Crawl to the stop and out again during the dwell (radius + departure margin).
      x = next.alongM;
      samples.push({ timeMs: t, progressM: x, atStop: seg, arrivedMs: t });
      continue;
    }
    samples.push({ timeMs: t, progressM: x, atStop: null, arrivedMs: null });
  }
  return { arrivedMs, departedMs, samples };
}

// Training history.
const history: StopHistoryEvent[] = [];
for (let k = 0; k < HISTORY_TRIPS; k++) {
  const sim = simulate(PLANNED_START_MS - (k + 1) * 86_400_000);
  stops.forEach((s, i) => {
    if (Number.isFinite(sim.arrivedMs[i]))
      history.push({ tripId: k + 1, stopId: s.id, kind: 'arrived', timeMs: sim.arrivedMs[i]! });
    if (Number.isFinite(sim.departedMs[i]))
      history.push({
        tripId: k + 1,
        stopId: s.id,
        kind: 'departed',
        timeMs: sim.departedMs[i]!,
        dwellS: Math.round((sim.departedMs[i]! - sim.arrivedMs[i]!) / 1000),
      });
  });
}
const profile = learnRouteProfile(stops, history);

// The timetable: base speeds and the mean dwell (what a planner would publish).
const scheduled = new Map<string, number>();
{
  let t = PLANNED_START_MS + 40_000;
  scheduled.set(stops[0]!.id, PLANNED_START_MS);
  for (let i = 1; i < stops.length; i++) {
    t += ((stops[i]!.alongM - stops[i - 1]!.alongM) / (baseKph[i]! / 3.6)) * 1000;
    scheduled.set(stops[i]!.id, t);
    t += MEAN_DWELL_S * 1000;
  }
}

const LEAD_S = 300;
const errLive: number[] = [];
const errBase: number[] = [];
const errNoHistory: number[] = [];
for (let k = 0; k < TEST_TRIPS; k++) {
  const startMs = PLANNED_START_MS + Math.round(uniform(-60, 240)) * 1000; // departures vary a little
  const sim = simulate(startMs);
  let pace: PaceState = initialPace();
  let paceNoHistory: PaceState = initialPace();
  const captured = new Map<number, { live: number; base: number; bare: number }>();
  let lastEmitMs = -Infinity;
  for (const smp of sim.samples) {
    if (smp.timeMs - lastEmitMs < 5000) continue; // trip.progress at most every 5 s
    lastEmitMs = smp.timeMs;
    pace = updatePace(pace, smp.progressM, smp.timeMs, stops, profile);
    paceNoHistory = updatePace(paceNoHistory, smp.progressM, smp.timeMs, stops);
    const nextIdx = stops.findIndex((_, i) => !(sim.arrivedMs[i]! <= smp.timeMs));
    if (nextIdx < 0) break;
    const atStop = smp.atStop !== null && smp.arrivedMs !== null ? { idx: smp.atStop, arrivedMs: smp.arrivedMs } : null;
    const live = estimateEtas({ stops, nextIdx, progressM: smp.progressM, nowMs: smp.timeMs, pace, profile, atStop });
    const bare = estimateEtas({
      stops,
      nextIdx,
      progressM: smp.progressM,
      nowMs: smp.timeMs,
      pace: paceNoHistory,
      atStop,
    });
    const base = timetableEtas(stops, scheduled, smp.timeMs, PLANNED_START_MS);
    for (let i = nextIdx; i < stops.length; i++) {
      if (captured.has(i)) continue;
      const truth = sim.arrivedMs[i]!;
      if (!Number.isFinite(truth) || truth - smp.timeMs > LEAD_S * 1000) continue;
      // The first estimate given within 5 minutes of the arrival (the "approaching" moment).
      const l = live.find((e) => e.stopId === stops[i]!.id)!;
      const b = base.find((e) => e.stopId === stops[i]!.id)!;
      const n = bare.find((e) => e.stopId === stops[i]!.id)!;
      captured.set(i, {
        live: Math.abs(l.etaMs - truth) / 1000,
        base: Math.abs(b.etaMs - truth) / 1000,
        bare: Math.abs(n.etaMs - truth) / 1000,
      });
    }
  }
  for (const [i, e] of captured) {
    if (i === 0) continue;
    errLive.push(e.live);
    errBase.push(e.base);
    errNoHistory.push(e.bare);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const row = (name: string, xs: number[]) =>
  `${name.padEnd(34)} MAE ${mean(xs).toFixed(1).padStart(6)} s   p90 ${pct(xs, 0.9).toFixed(1).padStart(6)} s`;
console.log(
  `ETA given 5 minutes before arrival — ${TEST_TRIPS} simulated trips, ${errLive.length} stop arrivals, profile from ${profile.trips} earlier trips`,
);
console.log(row('live (pace + learned segments)', errLive));
console.log(row('live without history', errNoHistory));
console.log(row('schedule-only baseline', errBase));
const pass = mean(errLive) <= 60;
console.log(pass ? 'PASS: live MAE ≤ 60 s' : 'FAIL: live MAE > 60 s');
process.exitCode = pass ? 0 : 1;
