// The engine benchmark's workload: 1,000 buses on the Cairns GTFS routes with generated speed zones,
// each driving along its route with GPS noise, interleaved by time as a server sees them.
// Deterministic (seeded), so runs and variants compare like for like.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TripContext } from '../../src/core/context';
import type { Fix } from '../../src/core/fix';
import { pointAt } from '../../src/core/geo/route-geometry';
import { unprojectLat, unprojectLon } from '../../src/core/geo/projection';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { prepareRoute, type PreparedRoute, type ZoneDef } from '../../src/core/route';
import { gtfsRoutes, readGtfsZip } from '../../src/ingest/gtfs/index';

export const CAIRNS_GTFS = join(import.meta.dirname, '../../test/fixtures/gtfs/cairns_gtfs.zip');

export interface EngineWorkload {
  buses: number;
  fixesPerBus: number;
  zoneCount: number;
  /** route paths, [lon, lat] */
  paths: [number, number][][];
  zones: ZoneDef[];
  routes: PreparedRoute[];
  /** bus b runs on routes[b % routes.length] */
  contexts: TripContext[];
  /** all fixes, interleaved by time (bus 0..n-1 at t0, then at t0 + 1 s, …) */
  stream: { bus: number; fix: Fix }[];
  /** time before the first fix, for tripStart */
  t0: number;
}

export function buildEngineWorkload(
  opts: { buses?: number; fixesPerBus?: number; zones?: number; seed?: number; file?: string } = {},
): EngineWorkload {
  const buses = opts.buses ?? 1000;
  const fixesPerBus = opts.fixesPerBus ?? 300;
  const zoneCount = opts.zones ?? 300;
  let seed = opts.seed ?? 42;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff;

  const imported = gtfsRoutes(readGtfsZip(readFileSync(opts.file ?? CAIRNS_GTFS)));
  const paths = imported.map((r) => r.path.coordinates as [number, number][]);
  // Zones: squares of 150–400 m around points on the routes; every fifth a hazard, the rest posted 40 km/h.
  const bare = paths.map((p, i) => prepareRoute({ id: `r${i}`, path: p }));
  const zones: ZoneDef[] = [];
  for (let z = 0; z < zoneCount; z++) {
    const g = bare[z % paths.length]!.geometry;
    const c = pointAt(g, rand() * g.lengthM);
    const half = 75 + rand() * 125;
    const ring: [number, number][] = (
      [
        [c.x - half, c.y - half],
        [c.x + half, c.y - half],
        [c.x + half, c.y + half],
        [c.x - half, c.y + half],
        [c.x - half, c.y - half],
      ] satisfies [number, number][]
    ).map(([x, y]) => [unprojectLon(g.projection, x), unprojectLat(g.projection, y)]);
    zones.push({ id: `z${z}`, polygon: ring, ...(z % 5 === 0 ? { hazard: true } : { postedLimitKph: 40 }) });
  }
  // every route sees every zone (the zone index filters by position)
  const routes = paths.map((p, i) => prepareRoute({ id: `r${i}`, path: p, zones }));

  const t0 = Date.UTC(2025, 2, 3, 0, 0, 0);
  const contexts: TripContext[] = [];
  const fixesByBus: Fix[][] = [];
  for (let b = 0; b < buses; b++) {
    const route = routes[b % routes.length]!;
    const g = route.geometry;
    contexts.push({
      busId: b,
      tripId: `trip${b}`,
      routeId: route.id,
      route,
      bus: { id: b, seats: 40, approvedCapacity: 40, signValidUntil: '2026-01-01', inspectionValidUntil: '2026-01-01' },
      assignedDriverId: 'd',
      attendant: { id: 'a', checkedIn: true },
      drivers: [
        {
          id: 'd',
          birthDate: '1980-01-01',
          licenceClass: 'A1',
          licensedSince: '2005-01-01',
          schoolBusEndorsement: true,
          qualificationExpiry: '2027-01-01',
          annualReviewDue: '2026-01-01',
        },
      ],
      config: CN_2012,
      autoStart: false,
    });
    let along = rand() * g.lengthM * 0.5;
    const list: Fix[] = [];
    const speedMps = 8 + rand() * 12;
    for (let k = 0; k < fixesPerBus; k++) {
      along = Math.min(g.lengthM, along + speedMps * (0.8 + rand() * 0.4));
      const p = pointAt(g, along);
      const x = p.x + (rand() - 0.5) * 20,
        y = p.y + (rand() - 0.5) * 20;
      list.push({
        deviceId: `dev${b}`,
        protocol: 'jt808',
        timeMs: t0 + k * 1000,
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
  const stream: { bus: number; fix: Fix }[] = [];
  for (let k = 0; k < fixesPerBus; k++)
    for (let b = 0; b < buses; b++) stream.push({ bus: b, fix: fixesByBus[b]![k]! });
  return { buses, fixesPerBus, zoneCount, paths, zones, routes, contexts, stream, t0: t0 - 1000 };
}
