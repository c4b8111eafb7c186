// ETA accuracy against a simulator's ground truth: `npm run eval:eta [-- --quick] [-- --seeds N --days N …]`.
//
// On the three Cairns demo routes, buses drive simulated school days under a speed model of their own (road links,
// traffic lights met at random, congestion that drifts along the route, incidents, heavy-tailed dwell; see
// lib/eta-eval/world.ts). Production's view of each day (lib/eta-eval/observe.ts): a fix every 15 s with 30 m of
// GPS noise, through the ingest filter, the engine and the live side's ETA step: the estimator gets exactly what
// the live side publishes, learned from the stop events of earlier days only (as production learns from earlier
// trips). Three fixed baselines see the same frames plus the published timetable (lib/eta-eval/baselines.ts).
// A floor is measured beside them (lib/eta-eval/floor.ts): the median of many futures of the true drive, knowing the
// day's congestion, link speeds and incidents and the bus's true position, not the signals or dwells ahead — no
// estimator can do better on average, so it shows how much of a baseline's error can be removed at all.
// Every prediction made 5 min (± a window) before a stop's true arrival is scored against it: MAE per seed, then
// the mean and spread over seeds. Ends with one JSON line of the figures.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CN_2012 } from '../src/core/presets';
import type { RouteInput } from '../src/core/route';
import { RoutePath } from '../src/demo/route-motion';
import { type EtaStop, learnRouteProfile, type StopHistoryEvent, timetableEtas } from '../src/live/eta';
import { delayEta, planTimetable, positionEta, timetableEta, timetableOn } from './lib/eta-eval/baselines';
import { type Frame, observe } from './lib/eta-eval/observe';
import { floorArrivals } from './lib/eta-eval/floor';
import { buildRoad, type Day, drawDay, drive, type Drive, rng } from './lib/eta-eval/world';
import { replayContext } from './lib/replay-run';

const USAGE = `usage: npm run eval:eta -- [--quick] [--seeds N] [--days N] [--history N] [--noise-m M] [--every-s S]
  --seeds N      independent worlds (roads, lights, days), default 5
  --days N       evaluated days per route and seed, default 20 (--quick: 3)
  --history N    earlier days the timetable and the learned profile come from, default 20 (--quick: 8)
  --noise-m M    horizontal RMS error of a GPS fix, metres, default 30
  --every-s S    seconds between fixes, default 15
  --lead-s S     how long before the true arrival a prediction is scored, default 300
  --window-s S   ± this many seconds around the lead, default 30
  --floor-futures N  futures drawn per prediction for the floor (the best possible MAE), default 51; 0 skips it
  --quick        a short run (smoke test)`;

function options() {
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        seeds: { type: 'string' },
        days: { type: 'string' },
        history: { type: 'string' },
        'noise-m': { type: 'string' },
        'every-s': { type: 'string' },
        'lead-s': { type: 'string' },
        'window-s': { type: 'string' },
        'floor-futures': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const num = (name: string, v: string | undefined, dflt: number, min: number) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
      return n;
    };
    const q = values.quick;
    return {
      seeds: Math.round(num('seeds', values.seeds, 5, 1)),
      days: Math.round(num('days', values.days, q ? 3 : 20, 1)),
      history: Math.round(num('history', values.history, q ? 8 : 20, 1)),
      noiseM: num('noise-m', values['noise-m'], 30, 0),
      everyS: Math.round(num('every-s', values['every-s'], 15, 1)),
      leadS: num('lead-s', values['lead-s'], 300, 30),
      windowS: num('window-s', values['window-s'], 30, 1),
      floorFutures: Math.round(num('floor-futures', values['floor-futures'], 51, 0)),
    };
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const opt = options();
const floorOn = opt.floorFutures > 0;
const loadStart = loadavg()[0]!;
const began = performance.now();

interface CairnsRoute {
  name: string;
  externalId: string;
  path: { coordinates: [number, number][] };
  stops: { name: string; lat: number; lon: number; sequence: number; externalId: string }[];
}
const cairns = JSON.parse(
  readFileSync(fileURLToPath(new URL('../src/demo/cairns-routes.json', import.meta.url)), 'utf8'),
) as { routes: CairnsRoute[] };

const FIRST_DAY_MS = Date.UTC(2026, 1, 2, 21, 0, 0); // 07:00 in Cairns (UTC+10)
const DAY_MS = 86_400_000;

const routes = cairns.routes.map((r) => {
  const input: RouteInput = {
    id: r.externalId,
    path: r.path.coordinates,
    stops: r.stops.map((s) => ({ id: s.externalId, sequence: s.sequence, name: s.name, lat: s.lat, lon: s.lon })),
  };
  const ctx = {
    ...replayContext(input, FIRST_DAY_MS, { config: CN_2012 }),
    autoStart: true,
    utcOffsetMin: 600,
  };
  const stops: EtaStop[] = ctx.route.stops.map((s) => ({ id: s.id, alongM: s.alongM }));
  const path = new RoutePath(r.path.coordinates.map(([lon, lat]) => ({ lon, lat })));
  return { name: r.name, ctx, stops, path };
});

const METHODS = ['estimator', 'estimatorNoHistory', 'timetable', 'timetableDelay', 'positionSpeed', 'floor'] as const;
type Method = (typeof METHODS)[number];
const LABEL: Record<Method, string> = {
  estimator: 'live estimator (learned history)',
  estimatorNoHistory: 'live estimator, no history yet',
  timetable: 'timetable as published',
  timetableDelay: 'timetable + current delay',
  positionSpeed: 'position + timetable speeds',
  floor: 'floor: knows the day, not what is ahead',
};

const hashSeed = (...xs: number[]) => xs.reduce((h, x) => (Math.imul(h ^ x, 0x9e3779b1) + 0x7f4a7c15) >>> 0, 17);

interface SeedResult {
  mae: Record<Method, number>;
  errors: Record<Method, number[]>;
  /** signed: predicted minus true, seconds */
  signed: Record<Method, number[]>;
  predictions: number;
  stopsScored: number;
}

function runSeed(seed: number): SeedResult {
  const errors: Record<Method, number[]> = {
    estimator: [],
    estimatorNoHistory: [],
    timetable: [],
    timetableDelay: [],
    positionSpeed: [],
    floor: [],
  };
  const signed: Record<Method, number[]> = {
    estimator: [],
    estimatorNoHistory: [],
    timetable: [],
    timetableDelay: [],
    positionSpeed: [],
    floor: [],
  };
  let stopsScored = 0;
  routes.forEach((route, ri) => {
    const road = buildRoad(
      route.stops.map((s) => s.alongM),
      route.path.lengthM,
      rng(hashSeed(seed, ri, 1)),
    );
    const drives: { plannedStartMs: number; day: Day; drive: Drive }[] = [];
    for (let d = 0; d < opt.history + opt.days; d++) {
      const plannedStartMs = FIRST_DAY_MS + d * DAY_MS;
      const day = drawDay(road, rng(hashSeed(seed, ri, 2, d)));
      drives.push({ plannedStartMs, day, drive: drive(road, day, plannedStartMs) });
    }
    // The earlier days: their stop events as the engine stored them (what production learns from).
    const stored: StopHistoryEvent[][] = [];
    const observeDay = (
      d: number,
      profile?: ReturnType<typeof learnRouteProfile>,
      onFrame?: Parameters<typeof observe>[2],
    ) =>
      observe(
        drives[d]!.drive,
        {
          ctx: { ...route.ctx, plannedStartMs: drives[d]!.plannedStartMs },
          path: route.path,
          stops: route.stops,
          profile,
          everyS: opt.everyS,
          noiseM: opt.noiseM,
          rand: rng(hashSeed(seed, ri, 3, d)),
          tripId: d + 1,
        },
        onFrame,
      );
    for (let d = 0; d < opt.history; d++) stored.push(observeDay(d));
    // The timetable the planner published for the term, from the running times of the earlier days.
    const stopsM = route.stops.map((s) => s.alongM);
    const plan = planTimetable(
      stopsM,
      route.stops.map((s) => s.id),
      stored.map((events, d) => ({ plannedStartMs: drives[d]!.plannedStartMs, events })),
    );
    for (let d = opt.history; d < opt.history + opt.days; d++) {
      const { plannedStartMs, drive: truth } = drives[d]!;
      const tt = timetableOn(plan, plannedStartMs);
      const scheduled = new Map(route.stops.map((s, i) => [s.id, tt.arriveMs[i]!]));
      // Learned from the most recent earlier days only: never from the day being evaluated.
      const profile = learnRouteProfile(route.stops, stored.slice(-opt.history).flat());
      const scoredAt = (nowMs: number) =>
        route.stops
          .map((_, i) => i)
          .filter((i) => i > 0 && Math.abs((truth.arrivedMs[i]! - nowMs) / 1000 - opt.leadS) <= opt.windowS);
      // The live side: its last ETA message; before the trip starts, the timetable shifted by the late start.
      const liveEta = (f: Frame, i: number) => {
        const id = route.stops[i]!.id;
        return f.eta.lastPushed
          ? (f.eta.lastPushed.find((s) => s.stopId === id)?.etaMs ?? f.nowMs)
          : timetableEtas(route.stops, scheduled, f.nowMs, plannedStartMs).find((s) => s.stopId === id)!.etaMs;
      };
      // The same day (same fixes) on a route with no history yet: the live side's first trips.
      const bare = new Map<string, number>();
      observeDay(d, undefined, (f) => {
        for (const i of scoredAt(f.nowMs)) bare.set(`${f.nowMs}:${i}`, liveEta(f, i));
      });
      const scored = new Set<number>();
      const floorRand = rng(hashSeed(seed, ri, 4, d));
      const today = observeDay(d, profile, (f) => {
        const at = scoredAt(f.nowMs);
        // The floor reads the truth by design (it is the bound, not a method): only the day's decided part.
        const floor =
          at.length && floorOn
            ? floorArrivals(road, drives[d]!.day, truth, plannedStartMs, f.nowMs, floorRand, opt.floorFutures)
            : [];
        for (const i of at) {
          const arrivedMs = truth.arrivedMs[i]!;
          const predicted: Record<Method, number> = {
            estimator: liveEta(f, i),
            estimatorNoHistory: bare.get(`${f.nowMs}:${i}`)!,
            timetable: timetableEta(tt, i),
            timetableDelay: delayEta(tt, f, i),
            positionSpeed: positionEta(tt, stopsM, f, i),
            floor: floor[i] ?? NaN,
          };
          for (const m of METHODS) {
            signed[m].push((predicted[m] - arrivedMs) / 1000);
            errors[m].push(Math.abs(predicted[m] - arrivedMs) / 1000);
          }
          scored.add(i);
        }
      });
      stopsScored += scored.size;
      stored.push(today);
    }
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const mae = Object.fromEntries(METHODS.map((m) => [m, mean(errors[m])])) as Record<Method, number>;
  return { mae, errors, signed, predictions: errors.estimator.length, stopsScored };
}

const results: SeedResult[] = [];
for (let s = 1; s <= opt.seeds; s++) results.push(runSeed(s));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sd = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const r1 = (x: number) => Math.round(x * 10) / 10;

const perSeed = (m: Method) => results.map((r) => r.mae[m]);
const pooled = (m: Method) => results.flatMap((r) => r.errors[m]);
const improvement = results.map((r) => (1 - r.mae.estimator / r.mae.timetableDelay) * 100);
const improvementMean = (1 - mean(perSeed('estimator')) / mean(perSeed('timetableDelay'))) * 100;

console.log(
  `ETA at T−${opt.leadS / 60} min (predictions made ${opt.leadS - opt.windowS}–${opt.leadS + opt.windowS} s before the true arrival)`,
);
console.log(
  `${routes.length} Cairns routes (${routes.map((r) => r.stops.length).join('/')} stops), ${opt.seeds} seeds × ${opt.days} evaluated days per route, ` +
    `history ${opt.history} earlier days; a fix every ${opt.everyS} s, ${opt.noiseM} m GPS noise (RMS)`,
);
console.log(
  `${results.reduce((a, r) => a + r.predictions, 0)} predictions on ${results.reduce((a, r) => a + r.stopsScored, 0)} stop arrivals`,
);
console.log('');
console.log(
  `${'method'.padEnd(40)} ${'MAE s'.padStart(7)} ${'sd'.padStart(6)} ${'min'.padStart(6)} ${'max'.padStart(6)} ${'p90 s'.padStart(7)} ${'bias s'.padStart(7)}`,
);
const shown = METHODS.filter((m) => m !== 'floor' || floorOn);
for (const m of shown) {
  const xs = perSeed(m);
  console.log(
    `${LABEL[m].padEnd(40)} ${mean(xs).toFixed(1).padStart(7)} ${sd(xs).toFixed(1).padStart(6)} ${Math.min(...xs)
      .toFixed(1)
      .padStart(6)} ${Math.max(...xs)
      .toFixed(1)
      .padStart(6)} ${pct(pooled(m), 0.9).toFixed(1).padStart(7)} ${mean(results.flatMap((r) => r.signed[m]))
      .toFixed(1)
      .padStart(7)}`,
  );
}
console.log(
  '(MAE: mean over seeds of each seed’s MAE; sd/min/max: over seeds; p90: of all predictions; bias: mean of predicted − true)',
);
console.log('');
console.log(
  `estimator vs timetable + current delay: ${improvementMean.toFixed(1)} % lower MAE (per seed ${Math.min(...improvement).toFixed(1)} … ${Math.max(...improvement).toFixed(1)} %)`,
);
const delayMaeS = mean(perSeed('timetableDelay'));
const floorMean = floorOn ? mean(perSeed('floor')) : NaN;
const floorImprovement = (1 - floorMean / delayMaeS) * 100;
// Of the error timetable + delay leaves above the floor, the share the estimator removes.
const shareOfGain = ((delayMaeS - mean(perSeed('estimator'))) / (delayMaeS - floorMean)) * 100;
if (floorOn) {
  const targetMaeS = 0.7 * delayMaeS;
  console.log(
    `floor (${opt.floorFutures} futures per prediction): ${floorImprovement.toFixed(1)} % below timetable + delay; ` +
      `≥ 30 % asks for an MAE ≤ ${targetMaeS.toFixed(1)} s, ${(targetMaeS - floorMean).toFixed(1)} s above the floor; ` +
      `the estimator removes ${shareOfGain.toFixed(0)} % of the error timetable + delay leaves above the floor`,
  );
}
const maeOk = mean(perSeed('estimator')) <= 60;
const improvementOk = improvementMean >= 30;
console.log(
  `target MAE ≤ 60 s: ${maeOk ? 'met' : 'MISSED'}; target ≥ 30 % below timetable + delay: ${improvementOk ? 'met' : 'MISSED'}`,
);
const loadEnd = loadavg()[0]!;
const elapsedS = (performance.now() - began) / 1000;
console.log(
  `load average (1 min) at start ${loadStart.toFixed(2)}, at end ${loadEnd.toFixed(2)}; ${elapsedS.toFixed(1)} s`,
);

const figures = (m: Method) => {
  const xs = perSeed(m);
  return { mae: r1(mean(xs)), sd: r1(sd(xs)), min: r1(Math.min(...xs)), max: r1(Math.max(...xs)) };
};
const e = figures('estimator');
const nh = figures('estimatorNoHistory');
const tt = figures('timetable');
const td = figures('timetableDelay');
const ps = figures('positionSpeed');
const fl = floorOn ? figures('floor') : null;
console.log(
  JSON.stringify({
    bench: 'eval:eta',
    estimatorMaeS: e.mae,
    estimatorMaeSdS: e.sd,
    estimatorMaeMinS: e.min,
    estimatorMaeMaxS: e.max,
    estimatorNoHistoryMaeS: nh.mae,
    estimatorNoHistoryMaeSdS: nh.sd,
    timetableMaeS: tt.mae,
    timetableMaeSdS: tt.sd,
    timetableDelayMaeS: td.mae,
    timetableDelayMaeSdS: td.sd,
    positionSpeedMaeS: ps.mae,
    positionSpeedMaeSdS: ps.sd,
    improvementVsDelayPct: r1(improvementMean),
    improvementVsDelayMinPct: r1(Math.min(...improvement)),
    improvementVsDelayMaxPct: r1(Math.max(...improvement)),
    floorMaeS: fl?.mae ?? null,
    floorMaeSdS: fl?.sd ?? null,
    floorImprovementVsDelayPct: floorOn ? r1(floorImprovement) : null,
    estimatorShareOfFloorGainPct: floorOn ? r1(shareOfGain) : null,
    floorFutures: opt.floorFutures,
    targetsMet: maeOk && improvementOk,
    predictions: results.reduce((a, r) => a + r.predictions, 0),
    seeds: opt.seeds,
    daysPerRoute: opt.days,
    historyDays: opt.history,
    noiseM: opt.noiseM,
    everyS: opt.everyS,
    leadS: opt.leadS,
    windowS: opt.windowS,
    loadStart: Math.round(loadStart * 100) / 100,
    loadEnd: Math.round(loadEnd * 100) / 100,
    elapsedS: r1(elapsedS),
  }),
);
