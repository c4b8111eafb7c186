// Ingest benchmark against a real PostgreSQL server (loopback only), in two configurations in one run:
//   - bare: the ingest pipeline alone (no engine, no live hub, per-terminal rate limits off) — the storage path;
//   - wired: as src/runtime/node/main.ts wires it — the engine runner and the live hub attached to the ingest,
//     the JT/T 808 server with its default per-connection limits (rate limit 50 frames/s, burst 500; only the
//     per-address connection cap is raised, since every load connection comes from 127.0.0.1) — and every bus on
//     a planned trip along one of the Cairns demo routes (src/demo/cairns-routes.json), driving along it.
// For each configuration: JSON batches over HTTP, JT/T 808 over TCP at window `--window` (default 50) and
// `--compare-window` (default 10) with `--connections` terminals (default 1,000), and `--many` terminals (default
// 5,000) at the first window. A terminal keeps at most "window" reports unacknowledged (it sends more as acks
// return; an ack only follows the commit). Each measurement prints fixes/s, server CPU µs per fix, the server
// process's peak RSS, and the ratio to the raw insert rate (the pipeline's own unnest statement with the writer's
// batch size and concurrency, measured in the same run; COPY FROM STDIN for reference).
// Lost and duplicated are counted without relying on the (device_id, time) key: every `--resend-every`-th fix
// (default 25) is sent twice; lost = distinct fixes acknowledged − rows stored; duplicated = rows the writer sent
// to the database − rows stored (a fix written twice is a conflict the key absorbs; here it is counted).
// Medians of `--runs` runs (default 3). The machine load (`uptime`) is printed before and after. A fresh database
// is created for the run and dropped afterwards; the run is bounded in time. The last line is one JSON object.
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:ingest [-- --runs 3 --fixes 200000]
//   npm run bench:ingest -- --quick        (small counts, under a minute: development and the smoke test)
//
// The load generators run in a child process (scripts/sim/load-worker.ts), so clients and server do not share
// one event loop; the server side (app, ingest, engine, live hub, JT/T 808 server) runs in this process.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createApp } from '../src/http/app';
import { silentLogger } from '../src/logging';
import { createIngest } from '../src/pipeline/ingest';
import { insertParams, POSITION_INSERT_SQL, type PositionRow } from '../src/pipeline/position-writer';
import { sha256Hex, startJt808Server } from '../src/runtime/node/jt808-server';
import { openWriterDatabase } from '../src/runtime/node/database';
import { wireNodePipeline } from '../src/runtime/node/pipeline';
import { serveHttp } from '../src/runtime/node/listen';
import { applyMigrations } from '../src/store/migrate';
import { createPostgresDatabase } from '../src/store/postgres-db';
import type { Database } from '../src/store/db';
import { insertUser, issueToken } from '../src/store/repos/auth-repo';
import { buses, devices, routes, schools, stops, trips } from '../src/store/schema';
import { withStartFlags } from './bench/npm-start';
import { measureJt808DecodeRate } from './bench/jt808-decode-rate';
import { benchPosition, type LoadResult, type LoadTask } from './sim/load-worker';

/** The auth code provisioned for every benchmark terminal (a registered terminal authenticates; it does not register). */
const BENCH_AUTH_CODE = 'BENCH-AUTH-CODE';

const args = process.argv.slice(2);
const USAGE = `usage: npm run bench:ingest [-- options]
  --quick                  small counts, under a minute (development, the smoke test)
  --runs N                 runs per measurement, medians (1-5, default 3)
  --fixes N                distinct fixes per measurement (default 200000)
  --connections N          JT/T 808 terminals (default 1000)
  --many N                 terminals of the many-connections measurement (default 5000; 0 skips it)
  --window N               unacknowledged reports per terminal (default 50)
  --compare-window N       a second JT/T 808 measurement at this window (default 10; 0 skips it)
  --resend-every N         every n-th fix is sent twice (default 25)
  --writer-batch N, --writer-concurrency N   position-writer settings
  --only bare|wired        one configuration
  --profile PREFIX         CPU profile of this process (the server side) during each first-run measurement,
                           written to PREFIX-<config>-<measurement>.cpuprofile (open in Chrome DevTools)
  --help                   this text
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) is the server the run creates its database on.`;
if (args.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
// The server side runs in this process: with the heap settings `npm start` gives the server.
withStartFlags(fileURLToPath(new URL('..', import.meta.url)));
const KNOWN_FLAGS = new Set(['--quick']);
const KNOWN_OPTIONS = new Set([
  '--runs',
  '--fixes',
  '--connections',
  '--many',
  '--window',
  '--compare-window',
  '--resend-every',
  '--writer-batch',
  '--writer-concurrency',
  '--only',
  '--profile',
]);
function usageError(message: string): never {
  console.error(`bench:ingest: ${message}\n${USAGE}`);
  process.exit(2);
}
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (KNOWN_FLAGS.has(a)) continue;
  if (!KNOWN_OPTIONS.has(a)) usageError(`unknown option ${a}`);
  if (args[i + 1] === undefined) usageError(`${a} needs a value`);
  i++;
}
const QUICK = args.includes('--quick');
const argNum = (name: string, d: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : d;
  if (!Number.isFinite(v) || v < 0) usageError(`${name} must be a non-negative number`);
  return v;
};
const RUNS = Math.max(1, Math.min(5, argNum('--runs', QUICK ? 1 : 3)));
const FIXES = Math.max(1000, Math.min(500_000, argNum('--fixes', QUICK ? 3000 : 200_000)));
const JT808_CONNECTIONS = Math.max(1, Math.min(5000, argNum('--connections', QUICK ? 40 : 1000)));
/** The many-connections measurement (0 skips it). */
const JT808_MANY = Math.min(5000, argNum('--many', QUICK ? 150 : 5000));
/** Unacknowledged reports per terminal at most (bounded: ≤ 100). */
const JT808_WINDOW = Math.max(1, Math.min(100, argNum('--window', 50)));
/** A second JT/T 808 measurement with a small window, for comparison (`--compare-window 0` skips it). */
const COMPARE_WINDOW = Math.min(100, argNum('--compare-window', 10)) || undefined;
/** Every n-th fix is sent twice (0: none). */
const RESEND_EVERY = argNum('--resend-every', 25);
const JSON_DEVICES = QUICK ? 20 : 100;
/** Position-writer settings for the end-to-end runs (`--writer-batch`, `--writer-concurrency`; default: the writer's own). */
const WRITER = {
  ...(args.includes('--writer-batch') ? { maxBatchRows: argNum('--writer-batch', 2000) } : {}),
  ...(args.includes('--writer-concurrency') ? { concurrency: argNum('--writer-concurrency', 4) } : {}),
};
const JSON_BATCH = QUICK ? 100 : 500;
/** The whole run's time bound: a full run of both configurations takes ~15 minutes on a busy 2-core machine. */
const DEADLINE_MS = (QUICK ? 5 : 5 + 15 * RUNS) * 60_000;
/** `--only bare|wired`: one configuration. */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
if (ONLY !== undefined && ONLY !== 'bare' && ONLY !== 'wired') usageError('--only takes bare or wired');
/** `--profile PREFIX`: CPU profiles of the first run's measurements. */
const PROFILE = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
const CONFIGS = (['bare', 'wired'] as const).filter((c) => ONLY === undefined || ONLY === c);
type Config = (typeof CONFIGS)[number];
const KINDS = ['json', 'jt808', 'jt808Small', 'jt808Many'] as const;
type Kind = (typeof KINDS)[number];
const CAIRNS = JSON.parse(
  readFileSync(fileURLToPath(new URL('../src/demo/cairns-routes.json', import.meta.url)), 'utf8'),
) as {
  routes: {
    name: string;
    path: { type: 'LineString'; coordinates: [number, number][] };
    stops: { name: string; lat: number; lon: number; sequence: number; scheduledTime?: string }[];
  }[];
};

/** `uptime` output (load averages), or the load averages alone where `uptime` is missing. */
/** Linux's clock ticks per second in /proc/<pid>/stat (USER_HZ). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (ms) of each PostgreSQL server process on this machine, by pid, from /proc (empty where there is none). */
function postgresCpuByPid(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // the process ended
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S); // utime + stime
    }
  } catch {
    // no /proc
  }
  return out;
}

/**
 * PostgreSQL's CPU time (ms) since `start` (a postgresCpuByPid() reading): what each of its server processes (backends,
 * WAL writer, checkpointer…) used since then — a process started since counts whole; one that ended since is not
 * seen (a little is missed, nothing is subtracted). NaN without /proc.
 */
function postgresCpuMsSince(start: Map<string, number>): number {
  const now = postgresCpuByPid();
  if (now.size === 0) return NaN;
  let ms = 0;
  for (const [pid, cpu] of now) ms += Math.max(0, cpu - (start.get(pid) ?? 0));
  return ms;
}

function machineLoad(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`;
  }
}

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ msg, ...fields })}\n`);
/** Runs `work` under the CPU profiler (first run only, with --profile) and writes the profile. */
async function profiled<T>(name: string, run: number, work: () => Promise<T>): Promise<T> {
  if (!PROFILE || run !== 0) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${PROFILE}-${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN; // as before: an empty list has no median
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Fleet {
  /** JT/T 808 terminals: the first JT808_CONNECTIONS are the 1,000-terminal fleet, all of them the many. */
  jt808: { deviceId: number; busId: number; phone: string }[];
  json: { deviceId: number; busId: number; token: string }[];
}

/** A school, its buses and devices, the Cairns routes with their stops, and a planned trip per bus at `startMs`. */
async function seed(database: Database, startMs: number): Promise<Fleet> {
  const { db } = database;
  const [school] = await db
    .insert(schools)
    .values({ name: 'Bench School', lat: -16.92, lon: 145.77, timeZone: 'Australia/Brisbane' })
    .returning({ id: schools.id });
  const schoolId = school!.id;
  const terminals = Math.max(JT808_CONNECTIONS, JT808_MANY);
  const n = terminals + JSON_DEVICES;
  const busRows = await db
    .insert(buses)
    .values(Array.from({ length: n }, (_, i) => ({ schoolId, plate: `BENCH-${i + 1}`, approvedCapacity: 40 })))
    .returning({ id: buses.id });
  const fleet: Fleet = { jt808: [], json: [] };
  const jtRows = await db
    .insert(devices)
    .values(
      busRows.slice(0, terminals).map((b, i) => ({
        schoolId,
        busId: b.id,
        protocol: 'jt808' as const,
        identifier: `1390${String(i).padStart(7, '0')}`,
        secretHash: sha256Hex(BENCH_AUTH_CODE),
      })),
    )
    .returning({ id: devices.id, busId: devices.busId, identifier: devices.identifier });
  for (const r of jtRows) fleet.jt808.push({ deviceId: r.id, busId: r.busId!, phone: r.identifier });
  const jsRows = await db
    .insert(devices)
    .values(
      busRows
        .slice(terminals)
        .map((b, i) => ({ schoolId, busId: b.id, protocol: 'json' as const, identifier: `bench-partner-${i + 1}` })),
    )
    .returning({ id: devices.id, busId: devices.busId });
  for (const r of jsRows) {
    const user = await insertUser(db, { name: `feed ${r.id}`, role: 'device', deviceId: r.id });
    const { token } = await issueToken(db, user.id, { label: 'bench' });
    fleet.json.push({ deviceId: r.id, busId: r.busId!, token });
  }
  // Routes and trips: device i (JT/T 808) and JSON device j drive route i % 3 / (100,000 + j) % 3 (load-worker).
  const routeIds: number[] = [];
  for (const r of CAIRNS.routes) {
    const [row] = await db.insert(routes).values({ schoolId, name: r.name, path: r.path }).returning({ id: routes.id });
    routeIds.push(row!.id);
    await db.insert(stops).values(
      r.stops.map((st) => ({
        routeId: row!.id,
        name: st.name,
        lat: st.lat,
        lon: st.lon,
        sequence: st.sequence,
        radiusM: 50,
      })),
    );
  }
  const serviceDate = new Date(startMs).toISOString().slice(0, 10);
  const tripRows = [
    ...fleet.jt808.map((t, i) => ({ busId: t.busId, routeId: routeIds[i % routeIds.length]! })),
    ...fleet.json.map((t, j) => ({ busId: t.busId, routeId: routeIds[(100_000 + j) % routeIds.length]! })),
  ];
  for (let i = 0; i < tripRows.length; i += 1000) {
    await db.insert(trips).values(
      tripRows.slice(i, i + 1000).map((t) => ({
        schoolId,
        routeId: t.routeId,
        busId: t.busId,
        serviceDate,
        plannedStartAt: new Date(startMs),
      })),
    );
  }
  return fleet;
}

/**
 * Empties what a measurement wrote (positions, engine output) and puts every trip back to planned — planned to start
 * when the measurement's fixes begin (`startMs`), so every run's buses start their trips as the first run's do (a
 * trip starts on its own only within the preset's slack of its planned start).
 */
async function reset(database: Database, startMs?: number): Promise<void> {
  await database.query(
    'truncate positions, engine_checkpoints, stop_events, violations, case_actions, notices, device_events, rejected_fixes, trip_sweeps cascade',
  );
  await database.query(
    "update trips set status = 'planned', started_at = null, ended_at = null, attendant_checked_in_at = null" +
      (startMs === undefined ? '' : ', planned_start_at = to_timestamp($1::float8 / 1000)'),
    startMs === undefined ? [] : [startMs],
  );
}

/** Runs a load in the child process; `serverCpuMs` is this process's CPU time (the server side) over the measured phase. */
type Measured = LoadResult & { serverCpuMs: number; serverSysMs: number; dbCpuMs: number; peakRssMb: number };

function runLoad(task: LoadTask): Promise<Measured> {
  let cpu: NodeJS.CpuUsage | undefined;
  let dbCpu0 = new Map<string, number>();
  // The server process's resident set, sampled through the measured phase.
  let peakRss = 0;
  let sampler: ReturnType<typeof setInterval> | undefined;
  const onReady = () => {
    cpu = process.cpuUsage();
    dbCpu0 = postgresCpuByPid();
    peakRss = process.memoryUsage.rss();
    sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  };
  const child: ChildProcess = fork(fileURLToPath(new URL('./sim/load-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<Measured>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(sampler);
      child.kill('SIGKILL');
      reject(new Error('load generator timed out'));
    }, 180_000);
    child.on('message', (m: { type: string; result?: LoadResult; message?: string }) => {
      if (m.type === 'ready') {
        onReady();
        child.send({ type: 'go' });
      } else if (m.type === 'done') {
        clearTimeout(timer);
        clearInterval(sampler);
        const used = process.cpuUsage(cpu);
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        resolve({
          ...m.result!,
          serverCpuMs: (used.user + used.system) / 1000,
          serverSysMs: used.system / 1000,
          dbCpuMs: postgresCpuMsSince(dbCpu0),
          peakRssMb: peakRss / 2 ** 20,
        });
      } else if (m.type === 'error') {
        clearTimeout(timer);
        clearInterval(sampler);
        reject(new Error(`load generator: ${m.message}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send({ type: 'task', task });
  });
}

interface WriterStats {
  commits: number;
  rowsPerCommit: number;
  p50Ms: number;
  p90Ms: number;
}

/** Commit count and latency of the pipeline's position writer, from its Prometheus summary. */
function writerStats(metrics: string, fixes: number): WriterStats {
  const v = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  const commits = v(/^busguard_position_batch_commit_seconds_count(?:\{[^}]*\})? (\S+)$/m);
  return {
    commits,
    rowsPerCommit: fixes / commits,
    p50Ms: 1000 * v(/^busguard_position_batch_commit_seconds\{quantile="0.5"\} (\S+)$/m),
    p90Ms: 1000 * v(/^busguard_position_batch_commit_seconds\{quantile="0.9"\} (\S+)$/m),
  };
}

function rowsFor(fleet: Fleet, fixes: number, baseMs: number, t0Ms: number): PositionRow[] {
  const perDevice = Math.ceil(fixes / fleet.jt808.length);
  const rows: PositionRow[] = [];
  // Time-major, as the fixes of many terminals reporting at once arrive (and as the end-to-end runs write them).
  for (let k = 0; k < perDevice && rows.length < fixes; k++) {
    for (let d = 0; d < fleet.jt808.length && rows.length < fixes; d++) {
      const p = benchPosition(d, baseMs, t0Ms + k * 1000);
      rows.push({
        busId: fleet.jt808[d]!.busId,
        deviceId: fleet.jt808[d]!.deviceId,
        timeMs: p.timeMs,
        receivedMs: Date.now(),
        lat: p.lat,
        lon: p.lon,
        speedKph: p.speedKph,
        headingDeg: p.headingDeg,
        altitudeM: p.altitudeM,
        satellites: 12,
        alarms: [],
        acc: true,
        doorOpen: false,
        late: false,
        blindArea: false,
        // The attributes a decoded 0x0200 of the load generator carries.
        attributes: { alarmFlags: 0, statusFlags: 786435, mileageKm: 1234.5, signalStrength: 25 },
      });
    }
  }
  return rows;
}

/** The raw unnest insert: fixes/s, and the CPU per fix of this process (building the statements) and of PostgreSQL. */
async function rawUnnest(
  database: Database,
  rows: PositionRow[],
): Promise<{ perS: number; cpuUsPerFix: number; dbCpuUsPerFix: number }> {
  const batch = 2000;
  const concurrency = 4;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const db0 = postgresCpuByPid();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rows.length) {
        const slice = rows.slice(next, next + batch);
        next += batch;
        await database.query(POSITION_INSERT_SQL, insertParams(slice));
      }
    }),
  );
  const perS = rows.length / ((performance.now() - started) / 1000);
  const cpu = process.cpuUsage(cpu0);
  return {
    perS,
    cpuUsPerFix: (cpu.user + cpu.system) / rows.length,
    dbCpuUsPerFix: (postgresCpuMsSince(db0) * 1000) / rows.length,
  };
}

async function rawCopy(url: string, rows: PositionRow[]): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const started = performance.now();
    const stream =
      await sql`copy positions (bus_id, device_id, time, received_at, lat, lon, speed_kph, heading_deg, altitude_m, satellites, alarms, acc, door_open, late, blind_area, attributes) from stdin`.writable();
    const iso = (ms: number) => new Date(ms).toISOString();
    const chunk: string[] = [];
    const flush = () =>
      new Promise<void>((res, rej) => {
        const ok = stream.write(chunk.join(''), (err) => (err ? rej(err) : undefined));
        chunk.length = 0;
        if (ok) res();
        else stream.once('drain', () => res());
      });
    for (const r of rows) {
      chunk.push(
        `${r.busId}\t${r.deviceId}\t${iso(r.timeMs)}\t${iso(r.receivedMs)}\t${r.lat}\t${r.lon}\t${r.speedKph ?? '\\N'}\t${r.headingDeg ?? '\\N'}\t${r.altitudeM ?? '\\N'}\t${r.satellites ?? '\\N'}\t{}\t${r.acc ? 't' : 'f'}\t${r.doorOpen ? 't' : 'f'}\tf\tf\t${JSON.stringify(r.attributes)}\n`,
      );
      if (chunk.length >= 5000) await flush();
    }
    if (chunk.length) await flush();
    await new Promise<void>((res, rej) => {
      stream.on('finish', () => res());
      stream.on('error', rej);
      stream.end();
    });
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** One measurement's figures. */
interface Figures {
  /** Distinct fixes acknowledged ("accepted") per second of the measurement. */
  fixesPerS: number;
  /** Server process CPU per distinct fix (µs). */
  cpuUsPerFix: number;
  /** the load generator's CPU per distinct fix (µs) */
  clientCpuUsPerFix: number;
  /** PostgreSQL's CPU per distinct fix (µs): every server process of the machine's PostgreSQL */
  dbCpuUsPerFix: number;
  peakRssMb: number;
  /** fixes/s ÷ the same run's raw unnest rate. */
  ratioToRaw: number;
  fixes: number;
  sent: number;
  stored: number;
  lost: number;
  duplicated: number;
  refused: number;
  /** JT/T 808 frames answered result 1 by the per-connection rate limit. */
  rateLimited: number;
  /** Positions answered "storage unavailable" (JT/T 808 result 1: database failed or timed out, queue full too long). */
  refusedStorage: number;
  /** Writer statements that failed (timeout or error) and submissions that waited for room past the bound. */
  writerFailures: number;
  admissionTimeouts: number;
  rejectedByFilters: number;
  /** Sends with no answer within the load generator's bound (120 s per terminal). */
  errors: number;
  commits: number;
  commitP50Ms: number;
  tripsStarted: number;
}

const counter = (metrics: string, name: string, exclude?: RegExp) => {
  let sum = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')))
    if (!exclude || !exclude.test(m[1] ?? '')) sum += Number(m[2]);
  return sum;
};

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    throw new Error(`BENCH_DATABASE_URL must point at a loopback server (got ${host})`);
  const dbName = `bg_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const dbUrl = url.toString();
  const deadline = setTimeout(() => {
    log('bench exceeded its time bound; stopping');
    void dropDatabase(serverUrl, dbName).finally(() => process.exit(3));
  }, DEADLINE_MS);
  const database = createPostgresDatabase({ url: dbUrl, maxConnections: 10 });
  // The writers' statements on connections of their own, as the server opens them (src/runtime/node/database.ts).
  const writerDatabase = openWriterDatabase({ databaseUrl: dbUrl }, database);
  try {
    await applyMigrations(database);
    // The case log is append-only (a trigger refuses TRUNCATE); in this throwaway database the measurements are
    // reset between runs, case log included.
    await database.query('alter table case_actions disable trigger user');
    // Device times: the last hours (trips are planned for them; the filters refuse the future).
    const jtPerDevice = Math.ceil(FIXES / JT808_CONNECTIONS);
    const manyPerDevice = JT808_MANY ? Math.ceil(FIXES / JT808_MANY) : 0;
    const jsonPerDevice = Math.ceil(FIXES / JSON_DEVICES);
    const runSpanS =
      Math.max(jtPerDevice, jsonPerDevice, manyPerDevice) * (1 + (RESEND_EVERY ? 1 / RESEND_EVERY : 0)) + 60;
    const baseMs = Math.floor((Date.now() - (RUNS * runSpanS + 600) * 1000) / 1000) * 1000;
    if (RUNS * runSpanS > 3.5 * 3600) throw new Error('the runs span more than a trip window: fewer fixes or runs');
    const fleet = await seed(database, baseMs);
    log('seeded', {
      database: dbName,
      jt808Devices: fleet.jt808.length,
      jsonDevices: fleet.json.length,
      routes: CAIRNS.routes.length,
    });

    const loadBefore = machineLoad();
    const load0 = loadavg();
    const decode: number[] = [];
    for (let r = 0; r < RUNS; r++) decode.push(measureJt808DecodeRate({ seconds: QUICK ? 0.3 : 2 }).framesPerS);
    log('decode', { framesPerS: decode });

    const raw = {
      unnest: [] as number[],
      copy: [] as number[],
      unnestCpuUs: [] as number[],
      unnestDbCpuUs: [] as number[],
    };
    const figures = new Map<string, Figures[]>();
    const add = (config: Config, kind: Kind, f: Figures) => {
      const key = `${config}.${kind}`;
      figures.set(key, [...(figures.get(key) ?? []), f]);
    };
    const routePaths = CAIRNS.routes.map((r) => r.path.coordinates);

    /** The server side as the configuration wires it; `stop` closes it in main.ts's order. */
    const startServer = (config: Config) => {
      if (config === 'bare') {
        const ingest = createIngest({ database, writerDatabase, log: silentLogger, writer: WRITER });
        return { ingest, runner: undefined, live: undefined, stop: () => ingest.close() };
      }
      const pipeline = wireNodePipeline({ database, writerDatabase, log: silentLogger, now: Date.now, writer: WRITER });
      return { ...pipeline, stop: pipeline.close };
    };

    const finish = async (
      config: Config,
      kind: Kind,
      run: number,
      rawRate: number,
      load: Measured,
      ingest: ReturnType<typeof createIngest>,
      jt?: { rateLimitedFrames: number; fixesRefusedStorage: number },
    ): Promise<Figures> => {
      const metrics = ingest.metrics.render();
      const ws = writerStats(metrics, load.fixes);
      const [row] = await database.query<{ n: number }>('select count(*)::int as n from positions');
      const stored = Number(row!.n);
      const [tr] = await database.query<{ n: number }>(
        "select count(*)::int as n from trips where status <> 'planned'",
      );
      const written = counter(metrics, 'busguard_positions_written_total');
      const f: Figures = {
        fixesPerS: load.uniqueAcked / (load.elapsedMs / 1000),
        cpuUsPerFix: (1000 * load.serverCpuMs) / load.fixes,
        clientCpuUsPerFix: (1000 * load.cpuMs) / load.fixes,
        dbCpuUsPerFix: (1000 * load.dbCpuMs) / load.fixes,
        peakRssMb: load.peakRssMb,
        ratioToRaw: load.uniqueAcked / (load.elapsedMs / 1000) / rawRate,
        fixes: load.fixes,
        sent: load.sent,
        stored,
        lost: Math.max(0, load.uniqueAcked - stored),
        duplicated: Math.max(0, written - stored),
        refused: load.refused,
        rateLimited: jt?.rateLimitedFrames ?? 0,
        refusedStorage: jt?.fixesRefusedStorage ?? 0,
        writerFailures: counter(metrics, 'busguard_position_batch_failures_total'),
        admissionTimeouts: counter(metrics, 'busguard_position_admission_timeouts_total'),
        rejectedByFilters: counter(metrics, 'busguard_fixes_rejected_total', /reason="duplicate"/),
        errors: load.errors,
        commits: ws.commits,
        commitP50Ms: ws.p50Ms,
        tripsStarted: Number(tr!.n),
      };
      log('measured', { config, kind, run: run + 1, ...f, acked: load.acked, uniqueAcked: load.uniqueAcked });
      add(config, kind, f);
      return f;
    };

    const measureJt808 = async (
      config: Config,
      kind: Kind,
      run: number,
      t0: number,
      rawRate: number,
      window: number,
      terminals: number,
    ) => {
      await reset(database, t0);
      const srv = startServer(config);
      const server = await startJt808Server({
        port: 0,
        host: '127.0.0.1',
        ingest: srv.ingest,
        log: silentLogger,
        // bare: limits off (the storage path alone); wired: main.ts's defaults, but every load connection comes
        // from 127.0.0.1, so the per-address cap (carrier NAT) is raised.
        limits:
          config === 'bare'
            ? { maxConnectionsPerAddress: terminals + 10, framesPerS: 1e6, burstFrames: 1e6 }
            : { maxConnectionsPerAddress: terminals + 10 },
      });
      const perDevice = Math.ceil(FIXES / terminals);
      const load = await profiled(`${config}-${kind}`, run, () =>
        runLoad({
          kind: 'jt808',
          port: server.port,
          phones: fleet.jt808.slice(0, terminals).map((j) => j.phone),
          authCode: BENCH_AUTH_CODE,
          fixesPerDevice: perDevice,
          baseMs,
          t0Ms: t0,
          window,
          resendEvery: RESEND_EVERY,
          ...(config === 'wired' ? { routes: routePaths } : {}),
        }),
      );
      const jtStats = server.stats();
      await server.close();
      await srv.runner?.idle(); // the trips the engine started are counted once it has caught up (after the timing)
      const f = await finish(config, kind, run, rawRate, load, srv.ingest, jtStats);
      await srv.stop();
      return f;
    };

    const measureJson = async (config: Config, run: number, t0: number, rawRate: number) => {
      await reset(database, t0);
      const srv = startServer(config);
      const app = createApp({
        database,
        log: silentLogger,
        now: Date.now,
        ingest: srv.ingest,
        ...(srv.runner ? { runner: srv.runner, live: srv.live } : {}),
      });
      const http = serveHttp(app.fetch, { port: 0, host: '127.0.0.1' }); // as the server listens
      await new Promise<void>((r) => (http.listening ? r() : http.once('listening', () => r())));
      const port = (http.address() as AddressInfo).port;
      const load = await profiled(`${config}-json`, run, () =>
        runLoad({
          kind: 'json',
          url: `http://127.0.0.1:${port}/api/v1/telemetry/positions`,
          tokens: fleet.json.map((j) => j.token),
          fixesPerDevice: jsonPerDevice,
          baseMs,
          t0Ms: t0,
          batch: JSON_BATCH,
          resendEvery: RESEND_EVERY,
          ...(config === 'wired' ? { routes: routePaths } : {}),
        }),
      );
      await new Promise<void>((r) => http.close(() => r()));
      await srv.runner?.idle();
      const f = await finish(config, 'json', run, rawRate, load, srv.ingest);
      await srv.stop();
      return f;
    };

    for (let run = 0; run < RUNS; run++) {
      // Every run continues in time, so the pipeline's filters and the engine see plausible, new fixes.
      const t0 = baseMs + run * runSpanS * 1000;
      const rows = rowsFor(fleet, FIXES, baseMs, t0);
      await reset(database);
      const unnest = await rawUnnest(database, rows);
      raw.unnest.push(unnest.perS);
      raw.unnestCpuUs.push(unnest.cpuUsPerFix);
      raw.unnestDbCpuUs.push(unnest.dbCpuUsPerFix);
      await reset(database);
      raw.copy.push(await rawCopy(dbUrl, rows));
      const rawRate = raw.unnest.at(-1)!;
      log('raw', { run: run + 1, unnest: Math.round(rawRate), copy: Math.round(raw.copy.at(-1)!) });
      for (const config of CONFIGS) {
        await measureJson(config, run, t0, rawRate);
        await measureJt808(config, 'jt808', run, t0, rawRate, JT808_WINDOW, JT808_CONNECTIONS);
        if (COMPARE_WINDOW !== undefined)
          await measureJt808(config, 'jt808Small', run, t0, rawRate, COMPARE_WINDOW, JT808_CONNECTIONS);
        if (JT808_MANY > 0) await measureJt808(config, 'jt808Many', run, t0, rawRate, JT808_WINDOW, JT808_MANY);
      }
    }
    await reset(database);
    const loadAfter = machineLoad();
    const load1 = loadavg();

    const label: Record<Kind, string> = {
      json: `JSON batches of ${JSON_BATCH} (${JSON_DEVICES} devices, HTTP)`,
      jt808: `JT/T 808, ${JT808_CONNECTIONS} conns, window ${JT808_WINDOW}`,
      jt808Small: `JT/T 808, ${JT808_CONNECTIONS} conns, window ${COMPARE_WINDOW ?? '—'}`,
      jt808Many: `JT/T 808, ${JT808_MANY} conns, window ${JT808_WINDOW}`,
    };
    const med = (fs: Figures[] | undefined, k: keyof Figures) => (fs?.length ? median(fs.map((f) => f[k])) : NaN);
    /** The rate at which the CPU of server, PostgreSQL and load generator together would fill every core. */
    const cpuBound = (fs: Figures[]) =>
      (availableParallelism() * 1e6) /
      (med(fs, 'cpuUsPerFix') + med(fs, 'dbCpuUsPerFix') + med(fs, 'clientCpuUsPerFix'));
    const sum = (fs: Figures[] | undefined, k: keyof Figures) => (fs ?? []).reduce((a, f) => a + f[k], 0);
    const fmt = (n: number, digits = 0) =>
      Number.isFinite(n)
        ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
        : '—';
    const lines = [
      `Ingest benchmark — PostgreSQL ${host}, ${RUNS} run(s), medians; ${FIXES.toLocaleString('en-US')} distinct fixes per measurement, every ${RESEND_EVERY || '—'}th sent twice${QUICK ? ' (--quick)' : ''}`,
      `bare = ingest alone, rate limits off; wired = engine + live hub attached, JT/T 808 default limits (50 frames/s, burst 500 per connection), buses on trips along ${CAIRNS.routes.length} Cairns routes`,
      `raw insert of the same rows: unnest (writer's statement, 2000 × 4) ${fmt(median(raw.unnest))}/s [${raw.unnest.map((x) => fmt(x)).join(', ')}] (CPU per fix: this process ${fmt(median(raw.unnestCpuUs), 1)} µs, PostgreSQL ${fmt(median(raw.unnestDbCpuUs), 1)} µs); COPY ${fmt(median(raw.copy))}/s; JT/T 808 decode ${fmt(median(decode))} frames/s (1 core)`,
      '',
      '| config | measurement                               | fixes/s (median) | runs                     | server CPU µs/fix | PostgreSQL CPU µs/fix | load gen CPU µs/fix | CPU bound fixes/s | peak RSS MB | vs raw unnest | lost | duplicated | refused (rate limit / storage) | unanswered | filtered | trips started |',
      '|--------|-------------------------------------------|-----------------:|--------------------------|------------------:|---------------------:|--------------------:|------------------:|------------:|--------------:|-----:|-----------:|-------------------------------:|-----------:|---------:|--------------:|',
    ];
    for (const config of CONFIGS) {
      for (const kind of KINDS) {
        const fs = figures.get(`${config}.${kind}`);
        if (!fs?.length) continue;
        lines.push(
          `| ${config.padEnd(6)} | ${label[kind].padEnd(41)} | ${fmt(med(fs, 'fixesPerS')).padStart(16)} | ${fs
            .map((f) => fmt(f.fixesPerS))
            .join(', ')
            .padEnd(
              24,
            )} | ${fmt(med(fs, 'cpuUsPerFix'), 1).padStart(17)} | ${fmt(med(fs, 'dbCpuUsPerFix'), 1).padStart(20)} | ${fmt(med(fs, 'clientCpuUsPerFix'), 1).padStart(19)} | ${fmt(cpuBound(fs)).padStart(17)} | ${fmt(med(fs, 'peakRssMb')).padStart(11)} | ${`${fmt(100 * med(fs, 'ratioToRaw'))} %`.padStart(13)} | ${String(sum(fs, 'lost')).padStart(4)} | ${String(sum(fs, 'duplicated')).padStart(10)} | ${`${sum(fs, 'refused')} (${sum(fs, 'rateLimited')} / ${sum(fs, 'refusedStorage')})`.padStart(30)} | ${String(sum(fs, 'errors')).padStart(10)} | ${String(sum(fs, 'rejectedByFilters')).padStart(8)} | ${String(med(fs, 'tripsStarted')).padStart(13)} |`,
        );
      }
    }
    lines.push(
      '',
      'fixes/s = distinct fixes acknowledged per second. lost = distinct fixes acknowledged − rows stored; duplicated = rows the writer sent to the database − rows stored (conflicts: a fix written twice); refused = JT/T 808 answers other than result 0 (by the rate limit / as storage unavailable), HTTP 503s (resent after Retry-After); unanswered = reports without an answer within 120 s per terminal; filtered = fixes the pipeline filters refused (resent duplicates excluded). Sums over runs.',
      `CPU per fix: of this process (the server side), of every PostgreSQL process (/proc) and of the load generator, over the measurement; CPU bound = cores × 1 s ÷ their sum, the rate at which they would keep every core busy (a ceiling: nothing else runs, no waits).`,
      `peak RSS: this process (app, ingest, engine, live hub, JT/T 808 server), sampled every 50 ms during the measurement; the load generator runs in a child process.`,
      `Machine: ${availableParallelism()} cores shared by PostgreSQL, this process, the load generator and anything else running.`,
      `  uptime before: ${loadBefore}`,
      `  uptime after:  ${loadAfter}`,
    );
    process.stdout.write(lines.join('\n') + '\n');
    const num = (x: number, digits = 0) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
    const configs: Record<string, Record<string, unknown>> = {};
    for (const config of CONFIGS) {
      configs[config] = {};
      for (const kind of KINDS) {
        const fs = figures.get(`${config}.${kind}`);
        if (!fs?.length) continue;
        configs[config]![kind] = {
          fixesPerS: num(med(fs, 'fixesPerS')),
          cpuUsPerFix: num(med(fs, 'cpuUsPerFix'), 1),
          dbCpuUsPerFix: num(med(fs, 'dbCpuUsPerFix'), 1),
          clientCpuUsPerFix: num(med(fs, 'clientCpuUsPerFix'), 1),
          cpuBoundFixesPerS: num(cpuBound(fs)),
          peakRssMb: num(med(fs, 'peakRssMb')),
          ratioToRaw: num(med(fs, 'ratioToRaw'), 3),
          lost: sum(fs, 'lost'),
          duplicated: sum(fs, 'duplicated'),
          refused: sum(fs, 'refused'),
          rateLimited: sum(fs, 'rateLimited'),
          refusedStorage: sum(fs, 'refusedStorage'),
          writerFailures: sum(fs, 'writerFailures'),
          admissionTimeouts: sum(fs, 'admissionTimeouts'),
          rejectedByFilters: sum(fs, 'rejectedByFilters'),
          errors: sum(fs, 'errors'),
          fixes: sum(fs, 'fixes'),
          sent: sum(fs, 'sent'),
          tripsStarted: num(med(fs, 'tripsStarted')),
          tripsStartedRuns: fs.map((f) => f.tripsStarted),
          runs: fs.map((f) => num(f.fixesPerS)),
        };
      }
    }
    process.stdout.write(
      JSON.stringify({
        bench: 'ingest',
        quick: QUICK,
        runs: RUNS,
        fixesPerMeasurement: FIXES,
        resendEvery: RESEND_EVERY,
        connections: JT808_CONNECTIONS,
        many: JT808_MANY,
        window: JT808_WINDOW,
        compareWindow: COMPARE_WINDOW ?? null,
        raw: {
          unnestFixesPerS: num(median(raw.unnest)),
          unnestCpuUsPerFix: num(median(raw.unnestCpuUs), 1),
          unnestDbCpuUsPerFix: num(median(raw.unnestDbCpuUs), 1),
          copyFixesPerS: num(median(raw.copy)),
        },
        decodeFramesPerS: num(median(decode)),
        configs,
        loadAverage: { start: load0.map((l) => num(l, 2)), end: load1.map((l) => num(l, 2)) },
        cores: availableParallelism(),
      }) + '\n',
    );
  } finally {
    clearTimeout(deadline);
    if (writerDatabase !== database) await writerDatabase.close();
    await database.close();
    await dropDatabase(serverUrl, dbName);
  }
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench-ingest: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
