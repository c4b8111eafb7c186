// Ingest benchmark against a real PostgreSQL server (loopback only):
//   - JT/T 808 decode rate (frames/s on one core, the session handler on position frames);
//   - end-to-end persisted fixes/s through the real app: JSON batches over HTTP, and 1,000 concurrent JT/T 808
//     connections over TCP (each authenticates with its provisioned auth code, then reports positions keeping at most `--window`
//     reports unacknowledged, default 50 — a terminal keeps unacknowledged reports for resending and does not wait
//     for each ack before the next; a second measurement with `--compare-window`, default 10, is shown beside it);
//   - beside them, the raw bulk-insert rate of the same rows into the same `positions` table (the pipeline's own
//     unnest statement with the writer's batch size and concurrency — the limit — and COPY FROM STDIN for reference).
// Medians of 3 runs, and the median of the per-run ratios to raw; after every run the rows are counted by
// (device_id, time): none lost, none duplicated. The machine load (`uptime`) is printed before and after.
// A fresh database is created for the run and dropped afterwards. The whole run is bounded (5 minutes).
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:ingest [-- --runs 3 --fixes 200000 --window 50]
//
// The load generators run in a child process (scripts/sim/load-worker.ts), so clients and server do not share
// one event loop; the server side (app, ingest, JT/T 808 server) runs in this process.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import postgres from 'postgres';
import { createApp } from '../src/http/app';
import { silentLogger } from '../src/logging';
import { createIngest } from '../src/pipeline/ingest';
import { insertParams, POSITION_INSERT_SQL, type PositionRow } from '../src/pipeline/position-writer';
import { sha256Hex, startJt808Server } from '../src/runtime/node/jt808-server';
import { applyMigrations } from '../src/store/migrate';
import { createPostgresDatabase } from '../src/store/postgres-db';
import type { Database } from '../src/store/db';
import { insertUser, issueToken } from '../src/store/repos/auth-repo';
import { buses, devices, schools } from '../src/store/schema';
import { measureJt808DecodeRate } from './bench/jt808-decode-rate';
import { benchPosition, type LoadResult, type LoadTask } from './sim/load-worker';

/** The auth code provisioned for every benchmark terminal (a registered terminal authenticates; it does not register). */
const BENCH_AUTH_CODE = 'BENCH-AUTH-CODE';

const args = process.argv.slice(2);
const argNum = (name: string, d: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : d;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const RUNS = Math.min(5, argNum('--runs', 3));
const FIXES = Math.min(500_000, argNum('--fixes', 200_000));
const JT808_CONNECTIONS = Math.min(5000, argNum('--connections', 1000));
/** Unacknowledged reports per terminal at most (bounded: ≤ 100). */
const JT808_WINDOW = Math.min(100, argNum('--window', 50));
/** A second JT/T 808 measurement with a small window, for comparison (`--compare-window 0` skips it). */
const COMPARE_WINDOW = (() => {
  const i = args.indexOf('--compare-window');
  const v = i >= 0 ? Number(args[i + 1]) : 10;
  return Number.isFinite(v) && v > 0 ? Math.min(100, v) : undefined;
})();
const JSON_DEVICES = 100;
/** Position-writer settings for the end-to-end runs (`--writer-batch`, `--writer-concurrency`; default: the writer's own). */
const WRITER = {
  ...(args.includes('--writer-batch') ? { maxBatchRows: argNum('--writer-batch', 2000) } : {}),
  ...(args.includes('--writer-concurrency') ? { concurrency: argNum('--writer-concurrency', 4) } : {}),
};
const JSON_BATCH = 500;
const DEADLINE_MS = 5 * 60_000;
/** `--only raw|json|jt808`: one measurement (profiling); the table then shows only what ran. */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const runs = (what: string) => ONLY === undefined || ONLY === what;


/** `uptime` output (load averages), or the load averages alone where `uptime` is missing. */
function machineLoad(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return `load average: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stderr.write(`${JSON.stringify({ msg, ...fields })}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN; // as before: an empty list has no median
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Fleet {
  jt808: { deviceId: number; busId: number; phone: string }[];
  json: { deviceId: number; busId: number; token: string }[];
}

async function seed(database: Database): Promise<Fleet> {
  const { db } = database;
  const [school] = await db.insert(schools).values({ name: 'Bench School', lat: 22.5, lon: 113.9 }).returning({ id: schools.id });
  const n = JT808_CONNECTIONS + JSON_DEVICES;
  const busRows = await db
    .insert(buses)
    .values(Array.from({ length: n }, (_, i) => ({ schoolId: school!.id, plate: `BENCH-${i + 1}`, approvedCapacity: 40 })))
    .returning({ id: buses.id });
  const fleet: Fleet = { jt808: [], json: [] };
  const jtRows = await db
    .insert(devices)
    .values(busRows.slice(0, JT808_CONNECTIONS).map((b, i) => ({ schoolId: school!.id, busId: b.id, protocol: 'jt808' as const, identifier: `1390${String(i).padStart(7, '0')}`, secretHash: sha256Hex(BENCH_AUTH_CODE) })))
    .returning({ id: devices.id, busId: devices.busId, identifier: devices.identifier });
  for (const r of jtRows) fleet.jt808.push({ deviceId: r.id, busId: r.busId!, phone: r.identifier });
  const jsRows = await db
    .insert(devices)
    .values(busRows.slice(JT808_CONNECTIONS).map((b, i) => ({ schoolId: school!.id, busId: b.id, protocol: 'json' as const, identifier: `bench-partner-${i + 1}` })))
    .returning({ id: devices.id, busId: devices.busId });
  for (const r of jsRows) {
    const user = await insertUser(db, { name: `feed ${r.id}`, role: 'device', deviceId: r.id });
    const { token } = await issueToken(db, user.id, { label: 'bench' });
    fleet.json.push({ deviceId: r.id, busId: r.busId!, token });
  }
  return fleet;
}

/** Runs a load in the child process; `serverCpuMs` is this process's CPU time (the server side) over the measured phase. */
function runLoad(task: LoadTask): Promise<LoadResult & { serverCpuMs: number; serverSysMs: number }> {
  let cpu: NodeJS.CpuUsage | undefined;
  const onReady = () => {
    cpu = process.cpuUsage();
  };
  const child: ChildProcess = fork(fileURLToPath(new URL('./sim/load-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<LoadResult & { serverCpuMs: number; serverSysMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('load generator timed out'));
    }, 180_000);
    child.on('message', (m: { type: string; result?: LoadResult; message?: string }) => {
      if (m.type === 'ready') {
        onReady();
        child.send({ type: 'go' });
      } else if (m.type === 'done') {
        clearTimeout(timer);
        const used = process.cpuUsage(cpu);
        resolve({ ...m.result!, serverCpuMs: (used.user + used.system) / 1000, serverSysMs: used.system / 1000 });
      } else if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`load generator: ${m.message}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
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

function describeWriter(ws: WriterStats[]): string {
  if (ws.length === 0) return 'not run';
  return `${median(ws.map((w) => w.commits)).toFixed(0)} commits/run of ~${median(ws.map((w) => w.rowsPerCommit)).toFixed(0)} rows, commit p50 ${median(ws.map((w) => w.p50Ms)).toFixed(0)} ms, p90 ${median(ws.map((w) => w.p90Ms)).toFixed(0)} ms`;
}

/** Rows and distinct (device, time) pairs in `positions`, against what was sent. */
async function verify(database: Database, expected: number, what: string): Promise<{ rows: number; distinct: number }> {
  const [r] = await database.query<{ rows: number; distinct: number }>('select count(*)::int as rows, count(distinct (device_id, time))::int as distinct from positions');
  const rows = Number(r!.rows);
  const distinct = Number(r!.distinct);
  if (rows !== expected || distinct !== expected) throw new Error(`${what}: expected ${expected} rows, found ${rows} (${distinct} distinct (device, time))`);
  return { rows, distinct };
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

async function rawUnnest(database: Database, rows: PositionRow[]): Promise<number> {
  const batch = 2000;
  const concurrency = 4;
  let next = 0;
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
  return rows.length / ((performance.now() - started) / 1000);
}

async function rawCopy(url: string, rows: PositionRow[]): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const started = performance.now();
    const stream = await sql`copy positions (bus_id, device_id, time, received_at, lat, lon, speed_kph, heading_deg, altitude_m, satellites, alarms, acc, door_open, late, blind_area, attributes) from stdin`.writable();
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

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`BENCH_DATABASE_URL must point at a loopback server (got ${host})`);
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
  try {
    await applyMigrations(database);
    const fleet = await seed(database);
    log('seeded', { database: dbName, jt808Devices: fleet.jt808.length, jsonDevices: fleet.json.length });

    const loadBefore = machineLoad();
    const decode: number[] = [];
    for (let r = 0; r < RUNS; r++) decode.push(measureJt808DecodeRate({ seconds: 2 }).framesPerS);
    log('decode', { framesPerS: decode });

    const baseMs = Date.now() - 10 * 86_400_000;
    const jtPerDevice = Math.ceil(FIXES / JT808_CONNECTIONS);
    const jsonPerDevice = Math.ceil(FIXES / JSON_DEVICES);
    const res = { unnest: [] as number[], copy: [] as number[], json: [] as number[], jt808: [] as number[], jt808Small: [] as number[] };
    // CPU per fix on each side (µs), to say where the time goes.
    const writer = { json: [] as WriterStats[], jt808: [] as WriterStats[] };
    const cpu = { jsonServer: [] as number[], jsonServerSys: [] as number[], jsonClient: [] as number[], jtServer: [] as number[], jtServerSys: [] as number[], jtClient: [] as number[] };
    const checks: string[] = [];

    const jt808Run = async (run: number, t0: number, window: number) => {
      await database.query('truncate positions');
      const ingest = createIngest({ database, log: silentLogger, writer: WRITER });
      const server = await startJt808Server({
        port: 0,
        host: '127.0.0.1',
        ingest,
        log: silentLogger,
        limits: { maxConnectionsPerAddress: JT808_CONNECTIONS + 10, framesPerS: 1e6, burstFrames: 1e6 },
      });
      const load = await runLoad({ kind: 'jt808', port: server.port, phones: fleet.jt808.map((j) => j.phone), authCode: BENCH_AUTH_CODE, fixesPerDevice: jtPerDevice, baseMs, t0Ms: t0, window });
      const stats = writerStats(ingest.metrics.render(), load.fixes);
      await server.close();
      await ingest.close();
      if (load.acked !== load.fixes || load.errors) throw new Error(`JT/T 808 run (window ${window}): ${JSON.stringify(load)}`);
      const rate = load.fixes / (load.elapsedMs / 1000);
      checks.push(`run ${run + 1} JT/T 808, window ${window}: ${JSON.stringify(await verify(database, load.fixes, `JT/T 808 end to end, window ${window}`))}`);
      log('jt808 run', { run: run + 1, window, ...load, fixesPerS: Math.round(rate) });
      return { load, stats, rate };
    };

    for (let run = 0; run < RUNS; run++) {
      // Every run continues in time, so the pipeline's filters see plausible, new fixes.
      const t0 = baseMs + run * (Math.max(jtPerDevice, jsonPerDevice) + 60) * 1000;
      const rows = rowsFor(fleet, FIXES, baseMs, t0);

      if (runs('raw')) {
        await database.query('truncate positions');
        res.unnest.push(await rawUnnest(database, rows));
        checks.push(`run ${run + 1} raw unnest: ${JSON.stringify(await verify(database, rows.length, 'raw unnest'))}`);
        await database.query('truncate positions');
        res.copy.push(await rawCopy(dbUrl, rows));
        checks.push(`run ${run + 1} raw COPY: ${JSON.stringify(await verify(database, rows.length, 'raw COPY'))}`);
      }

      // JSON batches through the real app.
      await database.query('truncate positions');
      if (runs('json')) {
        const ingest = createIngest({ database, log: silentLogger, writer: WRITER });
        const app = createApp({ database, log: silentLogger, now: Date.now, ingest });
        const http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
        await new Promise<void>((r) => (http.listening ? r() : http.once('listening', () => r())));
        const port = (http.address() as AddressInfo).port;
        const load = await runLoad({ kind: 'json', url: `http://127.0.0.1:${port}/api/v1/telemetry/positions`, tokens: fleet.json.map((j) => j.token), fixesPerDevice: jsonPerDevice, baseMs, t0Ms: t0, batch: JSON_BATCH });
        writer.json.push(writerStats(ingest.metrics.render(), load.fixes));
        await ingest.close();
        await new Promise<void>((r) => http.close(() => r()));
        if (load.acked !== load.fixes || load.errors) throw new Error(`JSON run: ${JSON.stringify(load)}`);
        res.json.push(load.fixes / (load.elapsedMs / 1000));
        cpu.jsonServer.push((1000 * load.serverCpuMs) / load.fixes);
        cpu.jsonServerSys.push((1000 * load.serverSysMs) / load.fixes);
        cpu.jsonClient.push((1000 * load.cpuMs) / load.fixes);
        checks.push(`run ${run + 1} JSON: ${JSON.stringify(await verify(database, load.fixes, 'JSON end to end'))}`);
        log('json run', { run: run + 1, ...load, fixesPerS: Math.round(res.json.at(-1)!) });
      }

      // 1,000 JT/T 808 terminals over TCP: the client window of the target, and the small window for comparison.
      if (runs('jt808')) {
        const r = await jt808Run(run, t0, JT808_WINDOW);
        res.jt808.push(r.rate);
        writer.jt808.push(r.stats);
        cpu.jtServer.push((1000 * r.load.serverCpuMs) / r.load.fixes);
        cpu.jtServerSys.push((1000 * r.load.serverSysMs) / r.load.fixes);
        cpu.jtClient.push((1000 * r.load.cpuMs) / r.load.fixes);
        if (COMPARE_WINDOW !== undefined) res.jt808Small.push((await jt808Run(run, t0, COMPARE_WINDOW)).rate);
      }
      await database.query('truncate positions');
    }
    const loadAfter = machineLoad();

    const m = { unnest: median(res.unnest), copy: median(res.copy), json: median(res.json), jt808: median(res.jt808), jt808Small: median(res.jt808Small) };
    // Raw and end-to-end rates of the same run were measured a few seconds apart; the median of the per-run
    // ratios is less sensitive to the load of other processes drifting between runs than the ratio of medians.
    const perRun = (xs: number[]) => (res.unnest.length === xs.length && xs.length ? median(xs.map((x, i) => x / res.unnest[i]!)) : NaN);
    const r = { json: perRun(res.json), jt808: perRun(res.jt808), jt808Small: perRun(res.jt808Small) };
    const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—').padStart(10);
    const pct = (a: number, b: number) => (Number.isFinite(a / b) ? `${((100 * a) / b).toFixed(0)} %` : '—').padStart(6);
    const pct1 = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '—').padStart(6);
    const runsOf = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ').padEnd(29);
    const label = (text: string) => text.padEnd(52);
    const lines = [
      `Ingest benchmark — PostgreSQL ${host}, ${RUNS} runs, medians; ${FIXES.toLocaleString('en-US')} fixes per run and measurement`,
      `JT/T 808 load: ${JT808_CONNECTIONS} TCP connections, ${jtPerDevice} reports each; a terminal keeps at most "window" reports unacknowledged (it sends more as acks return; an ack only follows the commit)`,
      '',
      '| measurement                                          |   median/s | runs                          | vs raw unnest (median, per-run median) | vs COPY |',
      '|------------------------------------------------------|-----------:|-------------------------------|----------------------------------------|--------:|',
      `| JT/T 808 decode (session handler, 1 core), frames/s  | ${fmt(median(decode))} | ${runsOf(decode)} |                                        |         |`,
      `| raw insert, unnest (writer's statement, 2000 × 4)    | ${fmt(m.unnest)} | ${runsOf(res.unnest)} |                           100 %        | ${pct(m.unnest, m.copy)} |`,
      `| raw insert, COPY FROM STDIN (one stream; reference)  | ${fmt(m.copy)} | ${runsOf(res.copy)} |                          ${pct(m.copy, m.unnest)}        |  100 % |`,
      `| ${label(`end to end, JSON batches of ${JSON_BATCH} (${JSON_DEVICES} devices, HTTP)`)} | ${fmt(m.json)} | ${runsOf(res.json)} |                          ${pct(m.json, m.unnest)}, ${pct1(r.json)} | ${pct(m.json, m.copy)} |`,
      `| ${label(`end to end, JT/T 808 (${JT808_CONNECTIONS} TCP conns, window ${JT808_WINDOW})`)} | ${fmt(m.jt808)} | ${runsOf(res.jt808)} |                          ${pct(m.jt808, m.unnest)}, ${pct1(r.jt808)} | ${pct(m.jt808, m.copy)} |`,
      ...(COMPARE_WINDOW !== undefined
        ? [`| ${label(`end to end, JT/T 808 (${JT808_CONNECTIONS} TCP conns, window ${COMPARE_WINDOW})`)} | ${fmt(m.jt808Small)} | ${runsOf(res.jt808Small)} |                          ${pct(m.jt808Small, m.unnest)}, ${pct1(r.jt808Small)} | ${pct(m.jt808Small, m.copy)} |`]
        : []),
      '',
      `CPU per persisted fix (medians): JSON server ${median(cpu.jsonServer).toFixed(1)} µs (system ${median(cpu.jsonServerSys).toFixed(1)}), load generator ${median(cpu.jsonClient).toFixed(1)} µs; ` +
        `JT/T 808 (window ${JT808_WINDOW}) server ${median(cpu.jtServer).toFixed(1)} µs (system ${median(cpu.jtServerSys).toFixed(1)}), load generator ${median(cpu.jtClient).toFixed(1)} µs ` +
        `(server process = app/JT/T 808 server + ingest + postgres client; one Node event loop)`,
      `Position writer (group commit, ${WRITER.concurrency ?? 4} statements in flight, ≤ ${WRITER.maxBatchRows ?? 2000} rows): JSON ${describeWriter(writer.json)}; JT/T 808 (window ${JT808_WINDOW}) ${describeWriter(writer.jt808)}`,
      `Raw unnest statements of 2,000 rows at the measured rate take ~${((4 * 2000) / m.unnest * 1000).toFixed(0)} ms each.`,
      `Machine: ${availableParallelism()} cores shared by PostgreSQL, this process, the load generator and anything else running.`,
      `  uptime before: ${loadBefore}`,
      `  uptime after:  ${loadAfter}`,
      '',
      'Every run: rows counted by (device_id, time) after the run — none lost, none duplicated:',
      ...checks.map((c) => `  ${c}`),
      '',
      `targets: decode ≥ 200,000 frames/s: ${median(decode) >= 200_000 ? 'met' : 'NOT met'}; end to end ≥ 20,000 fixes/s: JSON ${m.json >= 20_000 ? 'met' : 'NOT met'}, JT/T 808 (window ${JT808_WINDOW}) ${m.jt808 >= 20_000 ? 'met' : 'NOT met'}; ` +
        `≥ 50 % of raw unnest insert (ratio of medians / median of per-run ratios): JSON ${m.json >= m.unnest / 2 ? 'met' : 'NOT met'} / ${r.json >= 0.5 ? 'met' : 'NOT met'}, JT/T 808 (window ${JT808_WINDOW}) ${m.jt808 >= m.unnest / 2 ? 'met' : 'NOT met'} / ${r.jt808 >= 0.5 ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    clearTimeout(deadline);
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
