// The PostGIS row of the engine benchmark: the route-deviation check as one ST_DWithin query per fix.
// Creates a fresh database on the local server (loopback only), CREATE EXTENSION postgis, loads the
// route paths as geography (WGS 84) and as geometry (UTM zone 55S, metres, for Cairns), times the
// per-fix query for a bounded sample over a few connections, and drops the database at the end.
import postgres from 'postgres';

export interface PostgisFix {
  route: number;
  lon: number;
  lat: number;
}

export interface PostgisOptions {
  /** route paths, [lon, lat] */
  paths: [number, number][][];
  /** fixes in arrival order; lanes take them by `lane(i)` so one bus stays on one connection */
  fixes: PostgisFix[];
  laneOf: (i: number) => number;
  connections: number;
  runs: number;
  corridorM: number;
  /** stop a run early when it takes longer than this (the rate is over the fixes done) */
  runBudgetMs: number;
  host?: string;
  port?: number;
}

export interface PostgisVariant {
  name: string;
  /** fixes/s per run */
  runs: number[];
  fixesPerRun: number[];
  /** fixes the query found inside the corridor (first run) */
  inside: number;
}

export type PostgisResult = { ok: true; version: string; variants: PostgisVariant[] } | { ok: false; reason: string };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function runPostgisBench(o: PostgisOptions): Promise<PostgisResult> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 5432;
  if (!LOOPBACK.has(host)) return { ok: false, reason: `refusing non-loopback host ${host}` };
  const base = { host, port, username: 'postgres', connect_timeout: 5, idle_timeout: 5, onnotice: () => {} };
  const admin = postgres({ ...base, database: 'postgres', max: 1 });
  const dbName = `busguard_bench_engine_${process.pid}_${Date.now().toString(36)}`;
  let created = false;
  let db: postgres.Sql | null = null;
  try {
    try {
      const avail = await admin`SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'`;
      if (avail.length === 0) return { ok: false, reason: 'n/a (PostGIS not installed)' };
      await admin.unsafe(`CREATE DATABASE "${dbName}"`);
      created = true;
    } catch (err) {
      return { ok: false, reason: `n/a (no PostgreSQL at ${host}:${port}: ${(err as Error).message})` };
    }
    db = postgres({ ...base, database: dbName, max: o.connections });
    try {
      await db`CREATE EXTENSION postgis`;
    } catch (err) {
      return { ok: false, reason: `n/a (PostGIS not installed: ${(err as Error).message})` };
    }
    const { v } = (await db`SELECT postgis_lib_version() AS v`)[0]!;
    await db`CREATE TABLE bench_route (id int PRIMARY KEY, geog geography(LineString, 4326) NOT NULL, geom geometry(LineString, 32755) NOT NULL)`;
    for (let i = 0; i < o.paths.length; i++) {
      const wkt = `LINESTRING(${o.paths[i]!.map(([lon, lat]) => `${lon} ${lat}`).join(',')})`;
      await db`INSERT INTO bench_route VALUES (${i}, ST_GeogFromText(${`SRID=4326;${wkt}`}), ST_Transform(ST_GeomFromText(${wkt}, 4326), 32755))`;
    }
    await db`ANALYZE bench_route`;
    const sql = db;

    const queries: { name: string; q: (f: PostgisFix) => Promise<boolean> }[] = [
      {
        name: 'geography',
        q: async (f) =>
          (
            await sql`SELECT ST_DWithin(geog, ST_SetSRID(ST_MakePoint(${f.lon}::float8, ${f.lat}::float8), 4326)::geography, ${o.corridorM}::float8) AS inside FROM bench_route WHERE id = ${f.route}::int`
          )[0]!.inside as boolean,
      },
      {
        name: 'geometry (UTM 55S)',
        q: async (f) =>
          (
            await sql`SELECT ST_DWithin(geom, ST_Transform(ST_SetSRID(ST_MakePoint(${f.lon}::float8, ${f.lat}::float8), 4326), 32755), ${o.corridorM}::float8) AS inside FROM bench_route WHERE id = ${f.route}::int`
          )[0]!.inside as boolean,
      },
    ];
    // warm-up: prepares the statements on every connection
    for (const { q } of queries)
      await Promise.all(Array.from({ length: o.connections * 2 }, (_, k) => q(o.fixes[k % o.fixes.length]!)));

    const lanes: number[][] = Array.from({ length: o.connections }, () => []);
    o.fixes.forEach((_, i) => lanes[o.laneOf(i) % o.connections]!.push(i));
    const variants: PostgisVariant[] = [];
    for (const { name, q } of queries) {
      const v: PostgisVariant = { name, runs: [], fixesPerRun: [], inside: 0 };
      for (let r = 0; r < o.runs; r++) {
        let done = 0;
        let inside = 0;
        const t = performance.now();
        const deadline = t + o.runBudgetMs;
        await Promise.all(
          lanes.map(async (lane) => {
            for (const i of lane) {
              if (performance.now() > deadline) return;
              if (await q(o.fixes[i]!)) inside++;
              done++;
            }
          }),
        );
        v.runs.push(done / ((performance.now() - t) / 1000));
        v.fixesPerRun.push(done);
        if (r === 0) v.inside = inside;
      }
      variants.push(v);
    }
    return { ok: true, version: String(v), variants };
  } catch (err) {
    return { ok: false, reason: `n/a (${(err as Error).message})` };
  } finally {
    if (db) await db.end({ timeout: 2 });
    if (created) {
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      } catch (err) {
        console.error(`could not drop ${dbName}: ${(err as Error).message}`);
      }
    }
    await admin.end({ timeout: 2 });
  }
}
