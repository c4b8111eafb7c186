// Engine throughput benchmark: 1,000 buses on the Cairns GTFS routes with generated speed zones.
// Compares the engine with a naive per-fix baseline (turf distance to the whole route + point in
// polygon over all zones) and, when available, a PostGIS ST_DWithin query per fix.
// npm run bench:engine
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanPointInPolygon, lineString, point, pointToLineDistance, polygon } from '@turf/turf';
import postgres from 'postgres';
import { step } from '../src/core/engine';
import type { TripContext } from '../src/core/context';
import type { Fix } from '../src/core/fix';
import { pointAt } from '../src/core/geo/route-geometry';
import { projectX, projectY, unprojectLat, unprojectLon } from '../src/core/geo/projection';
import { zonesAt } from '../src/core/geo/zone-index';
import { CN_2012 } from '../src/core/presets/cn-2012';
import { prepareRoute, type PreparedRoute, type ZoneDef } from '../src/core/route';
import { createState, type EngineState } from '../src/core/state';
import { locateOnRoute } from '../src/core/trip-matching';
import { gtfsRoutes, readGtfsZip } from '../src/ingest/gtfs/index';

const BUSES = 1000;
const FIXES_PER_BUS = 300;
const ZONES = 300;
const RUNS = 5;
const NAIVE_SAMPLE = 2_000;
const ENGINE_ONLY = process.argv.includes('--engine-only');
const POSTGIS_SAMPLE = 2_000;
const FIXTURE = join(import.meta.dirname, '../../shared/fixtures/gtfs/cairns_gtfs.zip');

let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// --- workload ---------------------------------------------------------------------------------
const imported = gtfsRoutes(readGtfsZip(readFileSync(FIXTURE)));
const paths = imported.map((r) => r.path.coordinates);
// Zones: squares of 150–400 m around points on the routes; some posted 40 km/h, some hazard.
const zonesByRoute: ZoneDef[][] = paths.map(() => []);
const allZones: ZoneDef[] = [];
const bare = paths.map((p, i) => prepareRoute({ id: `r${i}`, path: p }));
for (let z = 0; z < ZONES; z++) {
  const ri = z % paths.length;
  const g = bare[ri].geometry;
  const c = pointAt(g, rand() * g.lengthM);
  const half = 75 + rand() * 125;
  const ring: [number, number][] = [
    [c.x - half, c.y - half],
    [c.x + half, c.y - half],
    [c.x + half, c.y + half],
    [c.x - half, c.y + half],
    [c.x - half, c.y - half],
  ].map(([x, y]) => [unprojectLon(g.projection, x), unprojectLat(g.projection, y)]);
  const zone: ZoneDef = { id: `z${z}`, polygon: ring, ...(z % 5 === 0 ? { hazard: true } : { postedLimitKph: 40 }) };
  allZones.push(zone);
}
// every route sees every zone (the zone index filters by position)
const routes: PreparedRoute[] = paths.map((p, i) => prepareRoute({ id: `r${i}`, path: p, zones: allZones }));
void zonesByRoute;

const T0 = Date.UTC(2025, 2, 3, 0, 0, 0);
const contexts: TripContext[] = [];
const fixesByBus: Fix[][] = [];
for (let b = 0; b < BUSES; b++) {
  const route = routes[b % routes.length];
  const g = route.geometry;
  contexts.push({
    busId: b,
    tripId: `trip${b}`,
    routeId: route.id,
    route,
    bus: { id: b, seats: 40, approvedCapacity: 40, signValidUntil: '2026-01-01', inspectionValidUntil: '2026-01-01' },
    assignedDriverId: 'd',
    attendant: { id: 'a', checkedIn: true },
    drivers: [{ id: 'd', birthDate: '1980-01-01', licenceClass: 'A1', licensedSince: '2005-01-01', schoolBusEndorsement: true, qualificationExpiry: '2027-01-01', annualReviewDue: '2026-01-01' }],
    config: CN_2012,
    autoStart: false,
  });
  let along = rand() * g.lengthM * 0.5;
  const list: Fix[] = [];
  const speedMps = 8 + rand() * 12;
  for (let k = 0; k < FIXES_PER_BUS; k++) {
    along = Math.min(g.lengthM, along + speedMps * (0.8 + rand() * 0.4));
    const p = pointAt(g, along);
    const x = p.x + (rand() - 0.5) * 20, y = p.y + (rand() - 0.5) * 20;
    list.push({
      deviceId: `dev${b}`,
      protocol: 'jt808',
      timeMs: T0 + k * 1000,
      lat: unprojectLat(g.projection, y),
      lon: unprojectLon(g.projection, x),
      speedKph: speedMps * 3.6 * (0.9 + rand() * 0.2),
      valid: true,
      alarms: [],
      attributes: {},
    });
  }
  fixesByBus.push(list);
}
// interleave by time, as a server sees them
const stream: { bus: number; fix: Fix }[] = [];
for (let k = 0; k < FIXES_PER_BUS; k++) for (let b = 0; b < BUSES; b++) stream.push({ bus: b, fix: fixesByBus[b][k] });

// --- engine ------------------------------------------------------------------------------------
function runEngine(): number {
  const states: EngineState[] = contexts.map((ctx) => step(createState(), { type: 'tripStart', timeMs: T0 - 1000 }, ctx).state);
  let events = 0;
  const t = performance.now();
  for (const { bus, fix } of stream) {
    const r = step(states[bus], { type: 'fix', fix }, contexts[bus]);
    states[bus] = r.state;
    events += r.events.length;
  }
  const s = (performance.now() - t) / 1000;
  if (events === 0) throw new Error('no events');
  return stream.length / s;
}

// Geometry only (locate + zones), the part the baseline does.
function runGeometry(): number {
  const along: (number | null)[] = new Array(BUSES).fill(null);
  let acc = 0;
  const t = performance.now();
  for (const { bus, fix } of stream) {
    const ctx = contexts[bus];
    const proj = ctx.route.geometry.projection;
    const x = projectX(proj, fix.lon), y = projectY(proj, fix.lat);
    const m = locateOnRoute(ctx.route.geometry, x, y, along[bus], 1, CN_2012);
    along[bus] = m.alongM;
    acc += m.distanceM + zonesAt(ctx.route.zones, x, y).length;
  }
  const s = (performance.now() - t) / 1000;
  if (!Number.isFinite(acc)) throw new Error('bad');
  return stream.length / s;
}

// Naive: turf distance to the whole route + point-in-polygon over all zones, per fix.
const turfLines = paths.map((p) => lineString(p as [number, number][]));
const turfZones = allZones.map((z) => polygon([z.polygon as [number, number][]]));
function runNaive(): number {
  const sample = stream.slice(0, NAIVE_SAMPLE);
  let acc = 0;
  const t = performance.now();
  for (const { bus, fix } of sample) {
    const pt = point([fix.lon, fix.lat]);
    const d = pointToLineDistance(pt, turfLines[bus % turfLines.length], { units: 'meters' });
    let inZones = 0;
    for (const z of turfZones) if (booleanPointInPolygon(pt, z)) inZones++;
    acc += (d > 100 ? 1 : 0) + inZones;
  }
  const s = (performance.now() - t) / 1000;
  if (!Number.isFinite(acc)) throw new Error('bad');
  return sample.length / s;
}

async function runPostgis(): Promise<string> {
  const sql = postgres('postgres://postgres@127.0.0.1:5432/test', { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    try {
      await sql`CREATE EXTENSION IF NOT EXISTS postgis`;
    } catch {
      return 'n/a (PostGIS not installed)';
    }
    await sql`CREATE TEMP TABLE bench_route (id int primary key, geom geography)`;
    for (let i = 0; i < paths.length; i++) {
      const wkt = `LINESTRING(${paths[i].map(([lon, lat]) => `${lon} ${lat}`).join(',')})`;
      await sql`INSERT INTO bench_route VALUES (${i}, ST_GeogFromText(${wkt}))`;
    }
    const sample = stream.slice(0, POSTGIS_SAMPLE);
    const t = performance.now();
    for (const { bus, fix } of sample) {
      await sql`SELECT ST_DWithin(geom, ST_MakePoint(${fix.lon}, ${fix.lat})::geography, 100) AS inside FROM bench_route WHERE id = ${bus % paths.length}`;
    }
    return `${fmt(sample.length / ((performance.now() - t) / 1000))} fixes/s (${sample.length} queries, one round trip each)`;
  } catch (err) {
    return `n/a (${(err as Error).message})`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const engine: number[] = [];
  const geometry: number[] = [];
  const naive: number[] = [];
  runEngine(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    engine.push(runEngine());
    geometry.push(runGeometry());
    if (i < 3 && !ENGINE_ONLY) naive.push(runNaive());
  }
  const pg = ENGINE_ONLY ? 'skipped (--engine-only)' : await runPostgis();
  const e = median(engine), g = median(geometry), n = median(naive);
  const rows: [string, string][] = [
    ['workload', `${BUSES} buses × ${FIXES_PER_BUS} fixes on ${paths.length} Cairns routes, ${ZONES} zones`],
    ['engine (all rules, events), median', `${fmt(e)} fixes/s   runs: ${engine.map(fmt).join(', ')}`],
    ['engine geometry only (locate + zones)', `${fmt(g)} fixes/s`],
    ['naive turf baseline, median', `${fmt(n)} fixes/s   (${NAIVE_SAMPLE} fixes, runs: ${naive.map(fmt).join(', ')})`],
    ['ratio engine / naive', `${(e / n).toFixed(1)}×`],
    ['PostGIS ST_DWithin per fix', pg],
    ['bench wall time', `${((performance.now() - started) / 1000).toFixed(1)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

await main();
