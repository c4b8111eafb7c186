// Engine throughput benchmark: 1,000 buses on the Cairns GTFS routes with generated speed zones.
// Side by side, medians of several runs on one thread:
//   - the engine through the public API (step: copy-on-write, never modifies its input state);
//   - the engine through stepInPlace (the mutating fast path for callers that own the state);
//   - the engine's geometry alone (route matching + zone lookup), the part the baselines do;
//   - a naive baseline: turf pointToLineDistance (geodesic, turf's default) to the whole route +
//     booleanPointInPolygon over every zone, per fix;
//   - a fair naive baseline, what a careful developer would write with turf: planar distance to the route
//     (`method: 'planar'`) and point-in-polygon only for the zones whose bounding box holds the fix;
//   - where PostGIS is installed on the local server, the deviation check as one ST_DWithin query
//     per fix (geography, and geometry in UTM 55S), over a few connections.
// npm run bench:engine [-- --engine-only] [-- --runs N]
// The last line of the output is one JSON object with the figures (medians, fixes/s, ratios).
import { availableParallelism, loadavg } from 'node:os';
import { bbox, booleanPointInPolygon, lineString, point, pointToLineDistance, polygon } from '@turf/turf';
import { step, stepInPlace } from '../src/core/engine';
import type { EngineEvent } from '../src/core/events';
import { projectX, projectY } from '../src/core/geo/projection';
import { type PreparedZone, zonesAt } from '../src/core/geo/zone-index';
import { CN_2012 } from '../src/core/presets/cn-2012';
import { createState, type EngineState } from '../src/core/state';
import { locateOnRoute } from '../src/core/trip-matching';
import { buildEngineWorkload } from './lib/engine-workload';
import { runPostgisBench, type PostgisResult } from './lib/postgis-bench';

const args = process.argv.slice(2);
const ENGINE_ONLY = args.includes('--engine-only');
const runsArg = args.indexOf('--runs');
const RUNS = Math.max(1, (runsArg >= 0 ? Number(args[runsArg + 1]) : 0) || 9);
const NAIVE_SAMPLE = 500;
/** The fair baseline is faster: a larger sample keeps its run well above timer resolution. */
const FAIR_SAMPLE = 2_000;
const NAIVE_RUNS = Math.min(RUNS, 3);
const PG_SAMPLE = 5_000;
const PG_CONNECTIONS = 4;
const PG_RUNS = 3;
const TARGET_FIXES_PER_S = 300_000;
const TARGET_VS_NAIVE = 20;

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a';
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const started = performance.now();
const load0 = loadavg();
const w = buildEngineWorkload();
const { contexts, stream, paths } = w;
const corridorM = CN_2012.deviation.corridorM;

interface Rate {
  /** fixes per wall-clock second */
  wall: number;
  /** fixes per second of process CPU time (includes the GC helper threads) */
  cpu: number;
}

function timed(n: number, body: () => void): Rate {
  const c = cpuMs();
  const t = performance.now();
  body();
  const wall = (performance.now() - t) / 1000;
  const cpu = (cpuMs() - c) / 1000;
  return { wall: n / wall, cpu: n / cpu };
}

function startedStates(): EngineState[] {
  return contexts.map((ctx) => step(createState(), { type: 'tripStart', timeMs: w.t0 }, ctx).state);
}

// --- engine: public API (copy-on-write) -------------------------------------------------------
let eventsStep = 0;
function runStep(): Rate {
  const states = startedStates();
  let events = 0;
  const r = timed(stream.length, () => {
    for (let i = 0; i < stream.length; i++) {
      const { bus, fix } = stream[i]!;
      const res = step(states[bus]!, { type: 'fix', fix }, contexts[bus]!);
      states[bus] = res.state;
      events += res.events.length;
    }
  });
  if (events === 0) throw new Error('no events');
  eventsStep = events;
  return r;
}

// --- engine: stepInPlace (one owned state per bus, events appended to a reused array) ----------
let eventsInPlace = 0;
function runInPlace(): Rate {
  const states = startedStates();
  const out: EngineEvent[] = [];
  let events = 0;
  const r = timed(stream.length, () => {
    for (let i = 0; i < stream.length; i++) {
      const { bus, fix } = stream[i]!;
      out.length = 0;
      stepInPlace(states[bus]!, { type: 'fix', fix }, contexts[bus]!, out);
      events += out.length;
    }
  });
  eventsInPlace = events;
  return r;
}

// --- engine geometry only: route matching + zone lookup, the part the baselines do -------------
function runGeometry(): Rate {
  const along: (number | null)[] = new Array(w.buses).fill(null);
  const zoneBuf: PreparedZone[] = [];
  let acc = 0;
  const r = timed(stream.length, () => {
    for (let i = 0; i < stream.length; i++) {
      const { bus, fix } = stream[i]!;
      const ctx = contexts[bus]!;
      const proj = ctx.route.geometry.projection;
      const x = projectX(proj, fix.lon),
        y = projectY(proj, fix.lat);
      const m = locateOnRoute(ctx.route.geometry, x, y, along[bus] ?? null, 1, CN_2012);
      along[bus] = m.alongM;
      acc += (m.distanceM > corridorM ? 1 : 0) + zonesAt(ctx.route.zones, x, y, zoneBuf);
    }
  });
  if (!Number.isFinite(acc)) throw new Error('bad');
  return r;
}

// --- naive: turf distance to the whole route + point-in-polygon over all zones, per fix ---------
const turfLines = paths.map((p) => lineString(p));
const turfZones = w.zones.map((z) => polygon([z.polygon as [number, number][]]));
function runNaive(): Rate {
  const sample = stream.slice(0, NAIVE_SAMPLE);
  let acc = 0;
  const r = timed(sample.length, () => {
    for (const { bus, fix } of sample) {
      const pt = point([fix.lon, fix.lat]);
      const d = pointToLineDistance(pt, turfLines[bus % turfLines.length]!, { units: 'meters' });
      let inZones = 0;
      for (const z of turfZones) if (booleanPointInPolygon(pt, z)) inZones++;
      acc += (d > corridorM ? 1 : 0) + inZones;
    }
  });
  if (!Number.isFinite(acc)) throw new Error('bad');
  return r;
}

// --- fair naive: planar distance to the route + bounding-box prefilter before point-in-polygon -----
const zoneBoxes = turfZones.map((z) => bbox(z));
/** Per-fix verdicts of the last runs (corridor breach, zones containing), to check the two baselines agree. */
let naiveVerdicts: number[] = [];
let fairVerdicts: number[] = [];
function runNaiveFair(): Rate {
  const sample = stream.slice(0, FAIR_SAMPLE);
  const verdicts: number[] = new Array(sample.length);
  let acc = 0;
  const r = timed(sample.length, () => {
    for (let i = 0; i < sample.length; i++) {
      const { bus, fix } = sample[i]!;
      const pt = point([fix.lon, fix.lat]);
      const d = pointToLineDistance(pt, turfLines[bus % turfLines.length]!, { units: 'meters', method: 'planar' });
      let inZones = 0;
      for (let k = 0; k < turfZones.length; k++) {
        const b = zoneBoxes[k]!;
        if (fix.lon < b[0] || fix.lon > b[2] || fix.lat < b[1] || fix.lat > b[3]) continue;
        if (booleanPointInPolygon(pt, turfZones[k]!)) inZones++;
      }
      verdicts[i] = (d > corridorM ? 1 : 0) + 2 * inZones;
      acc += verdicts[i]!;
    }
  });
  if (!Number.isFinite(acc)) throw new Error('bad');
  fairVerdicts = verdicts;
  return r;
}

/** The geodesic baseline's verdicts for the first NAIVE_SAMPLE fixes (outside the timed runs). */
function naiveVerdictsOf(): number[] {
  return stream.slice(0, NAIVE_SAMPLE).map(({ bus, fix }) => {
    const pt = point([fix.lon, fix.lat]);
    const d = pointToLineDistance(pt, turfLines[bus % turfLines.length]!, { units: 'meters' });
    let inZones = 0;
    for (const z of turfZones) if (booleanPointInPolygon(pt, z)) inZones++;
    return (d > corridorM ? 1 : 0) + 2 * inZones;
  });
}

async function main(): Promise<void> {
  const rates = {
    step: [] as Rate[],
    inPlace: [] as Rate[],
    geometry: [] as Rate[],
    naive: [] as Rate[],
    fair: [] as Rate[],
  };
  runStep(); // warm-up (JIT)
  runInPlace();
  runGeometry();
  if (!ENGINE_ONLY) {
    runNaive();
    runNaiveFair();
  }
  // interleaved, so a change in machine load hits every variant alike
  for (let i = 0; i < RUNS; i++) {
    rates.step.push(runStep());
    rates.inPlace.push(runInPlace());
    rates.geometry.push(runGeometry());
    if (!ENGINE_ONLY && i < NAIVE_RUNS) {
      rates.naive.push(runNaive());
      rates.fair.push(runNaiveFair());
    }
  }
  // The two baselines answer the same question: their verdicts should agree (planar and geodesic distances differ
  // by well under a metre at route scale, so only a fix within a hair of the corridor edge could differ).
  let verdictsDiffer = 0;
  if (!ENGINE_ONLY) {
    naiveVerdicts = naiveVerdictsOf();
    for (let i = 0; i < naiveVerdicts.length; i++) if (naiveVerdicts[i] !== fairVerdicts[i]) verdictsDiffer++;
  }
  if (eventsStep !== eventsInPlace)
    throw new Error(`step and stepInPlace disagree: ${eventsStep} vs ${eventsInPlace} events`);

  let pg: PostgisResult | { ok: false; reason: string } = { ok: false, reason: 'skipped (--engine-only)' };
  let pgEngineInside = 0;
  const pgSample = stream.slice(0, PG_SAMPLE);
  if (!ENGINE_ONLY) {
    const fixes = pgSample.map(({ bus, fix }) => ({ route: bus % paths.length, lon: fix.lon, lat: fix.lat }));
    // the engine's verdict for the same fixes (distance to the whole path), as a cross-check
    for (const { bus, fix } of pgSample) {
      const g = contexts[bus]!.route.geometry;
      const m = locateOnRoute(g, projectX(g.projection, fix.lon), projectY(g.projection, fix.lat), null, 0, CN_2012);
      if (m.distanceM <= corridorM) pgEngineInside++;
    }
    pg = await runPostgisBench({
      paths,
      fixes,
      laneOf: (i) => pgSample[i]!.bus,
      connections: PG_CONNECTIONS,
      runs: PG_RUNS,
      corridorM,
      runBudgetMs: 15_000,
    });
  }

  const med = (rs: Rate[], k: keyof Rate) => median(rs.map((r) => r[k]));
  const e = med(rates.step, 'wall'),
    ip = med(rates.inPlace, 'wall'),
    g = med(rates.geometry, 'wall'),
    n = med(rates.naive, 'wall'),
    nf = med(rates.fair, 'wall');
  const runsOf = (rs: Rate[]) => rs.map((r) => fmt(r.wall)).join(', ');
  const rows: [string, string, string, string][] = [
    ['measure', 'median fixes/s', 'per CPU-second', 'runs (fixes/s, wall clock)'],
    [
      'engine, step (public API, all rules + events)',
      fmt(e),
      fmt(med(rates.step, 'cpu')),
      ENGINE_ONLY ? runsOf(rates.step) : `${runsOf(rates.step)}   (${ratio(e, nf)} the fair baseline)`,
    ],
    ['engine, stepInPlace (owned state, fast path)', fmt(ip), fmt(med(rates.inPlace, 'cpu')), runsOf(rates.inPlace)],
    ['engine geometry only (locate + zone lookup)', fmt(g), fmt(med(rates.geometry, 'cpu')), runsOf(rates.geometry)],
    [
      'naive baseline (turf distance + PIP, all zones)',
      fmt(n),
      fmt(med(rates.naive, 'cpu')),
      ENGINE_ONLY
        ? 'skipped (--engine-only)'
        : `${runsOf(rates.naive)}   (${NAIVE_SAMPLE.toLocaleString('en-US')} fixes a run)`,
    ],
    [
      'fair baseline (turf planar distance + bbox, PIP)',
      fmt(nf),
      fmt(med(rates.fair, 'cpu')),
      ENGINE_ONLY
        ? 'skipped (--engine-only)'
        : `${runsOf(rates.fair)}   (${FAIR_SAMPLE.toLocaleString('en-US')} fixes a run)`,
    ],
  ];
  let pgGeog = NaN;
  if (pg.ok) {
    for (const v of pg.variants) {
      const m = median(v.runs);
      if (v.name === 'geography') pgGeog = m;
      rows.push([
        `PostGIS ST_DWithin per fix, ${v.name}`,
        fmt(m),
        '',
        `${v.runs.map(fmt).join(', ')}   (${median(v.fixesPerRun).toLocaleString('en-US')} fixes a run, ${PG_CONNECTIONS} connections, 1 query a fix)`,
      ]);
    }
  } else {
    rows.push([
      'PostGIS ST_DWithin per fix',
      pg.reason.startsWith('n/a') || pg.reason.startsWith('skipped') ? pg.reason : `n/a (${pg.reason})`,
      '',
      '',
    ]);
  }
  const w1 = Math.max(...rows.map((r) => r[0].length));
  const w2 = Math.max(...rows.map((r) => r[1].length));
  const w3 = Math.max(...rows.map((r) => r[2].length));
  const line = ([a = '', b = '', c = '', d = '']: string[]) =>
    `${a.padEnd(w1)}  ${b.padStart(w2)}  ${c.padStart(w3)}  ${d}`.trimEnd();

  const load1 = loadavg();
  console.log(
    `workload: ${w.buses.toLocaleString('en-US')} buses × ${w.fixesPerBus} fixes (${stream.length.toLocaleString('en-US')} fixes a run) on ${paths.length} Cairns routes, ${w.zoneCount} zones; ${RUNS} runs, interleaved`,
  );
  console.log(
    `machine: ${availableParallelism()} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')} at start, ${load1.map((l) => l.toFixed(2)).join(' ')} at end; node ${process.version}`,
  );
  console.log('');
  const header = rows[0]!;
  console.log(line(header));
  console.log(line(header.map((c) => '-'.repeat(c.length))));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
  console.log(`ratio engine (step) / naive          ${ratio(e, n)}`);
  console.log(`ratio engine (stepInPlace) / naive   ${ratio(ip, n)}`);
  console.log(`ratio engine geometry / naive        ${ratio(g, n)}`);
  console.log(`ratio engine (step) / fair naive     ${ratio(e, nf)}`);
  console.log(`ratio engine (stepInPlace) / fair    ${ratio(ip, nf)}`);
  console.log(`ratio engine geometry / fair naive   ${ratio(g, nf)}`);
  console.log(`ratio fair naive / naive             ${ratio(nf, n)}`);
  if (!ENGINE_ONLY)
    console.log(
      `baselines agree on ${naiveVerdicts.length - verdictsDiffer} of ${naiveVerdicts.length} fixes (corridor breach and zones containing the fix)`,
    );
  console.log(`ratio engine (step) / PostGIS geog.  ${ratio(e, pgGeog)}`);
  if (pg.ok) {
    const geog = pg.variants.find((v) => v.name === 'geography')!;
    console.log(
      `PostGIS ${pg.version}: ${geog.inside.toLocaleString('en-US')} of ${pgSample.length.toLocaleString('en-US')} sample fixes within ${corridorM} m of the route; engine: ${pgEngineInside.toLocaleString('en-US')}`,
    );
  }
  console.log(`events a run: ${eventsStep.toLocaleString('en-US')} (step and stepInPlace agree)`);
  const meets = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `target ≥ ${fmt(TARGET_FIXES_PER_S)} fixes/s: step ${meets(e >= TARGET_FIXES_PER_S)}, stepInPlace ${meets(ip >= TARGET_FIXES_PER_S)}; ` +
      `≥ ${TARGET_VS_NAIVE}× naive: ${Number.isFinite(n) ? meets(e / n >= TARGET_VS_NAIVE) : 'n/a'} (geodesic), ${Number.isFinite(nf) ? meets(e / nf >= TARGET_VS_NAIVE) : 'n/a'} (fair); ` +
      `stepInPlace (what the bus lanes run, through stepMany) ≥ ${TARGET_VS_NAIVE}× fair naive: ${Number.isFinite(nf) ? meets(ip / nf >= TARGET_VS_NAIVE) : 'n/a'}`,
  );
  console.log(`bench wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const num = (x: number, digits = 0) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
  console.log(
    JSON.stringify({
      bench: 'engine',
      runs: RUNS,
      buses: w.buses,
      fixesPerRun: stream.length,
      fixesPerS: {
        step: num(e),
        stepInPlace: num(ip),
        geometry: num(g),
        naiveGeodesic: num(n),
        naiveFair: num(nf),
        postgisGeography: num(pgGeog),
      },
      ratio: {
        stepToNaive: num(e / n, 1),
        stepToFairNaive: num(e / nf, 1),
        stepInPlaceToFairNaive: num(ip / nf, 1),
        geometryToFairNaive: num(g / nf, 1),
        fairNaiveToNaive: num(nf / n, 2),
      },
      baselinesDisagree: ENGINE_ONLY ? null : verdictsDiffer,
      loadAverage: { start: load0.map((l) => num(l, 2)), end: load1.map((l) => num(l, 2)) },
      cores: availableParallelism(),
      wallS: num((performance.now() - started) / 1000, 1),
    }),
  );
}

await main();
