// bench:live — the live path as parents use it: the server started as `npm start` starts it (engine, live hub,
// jobs, on the local PostgreSQL), 10,000 guardians with real tokens following their child's trip on 1,000
// buses over WebSocket from a separate client process, fixes at 2,000/s through single-fix HTTP posts and
// through JT/T 808 terminals. Measured: fixes accepted per second, latency from a fix's acceptance to each
// client's receipt (p50/p99), server RSS per connection after a forced GC, and in the same run a bare `ws`
// broadcast of the same messages (the limit). Runs are repeated; the table shows medians.
//
//   npm run bench:live [-- --buses 1000 --followers 10 --rate 2000 --seconds 15 --runs 3] [-- --quick]
// Needs the local PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test);
// a fresh database is created and dropped.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import WebSocket from 'ws';
import { applyMigrations } from '../src/store/migrate';
import { createPostgresDatabase } from '../src/store/postgres-db';
import type { Latency, LoadCommand, LoadReply } from './bench/live-load';
import { seedLiveWorld } from './bench/live-world';
import { npmStartArgs } from './bench/npm-start';

const { values: opt } = parseArgs({
  options: {
    buses: { type: 'string' },
    followers: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    /** Writes a CPU profile of the server during the first measured run of each of its paths (FILE-http.cpuprofile …). */
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(
    'npm run bench:live [-- --buses N --followers N --rate FIXES_PER_S --seconds S --runs N] [-- --quick] [-- --profile FILE_PREFIX]',
  );
  process.exit(0);
}
const quick = opt.quick;
const BUSES = Number(opt.buses ?? (quick ? 50 : 1000));
const FOLLOWERS = Number(opt.followers ?? (quick ? 4 : 10));
const RATE = Number(opt.rate ?? (quick ? 200 : 2000));
const SECONDS = Number(opt.seconds ?? (quick ? 4 : 15));
const RUNS = Number(opt.runs ?? (quick ? 1 : 3));
const serverUrl =
  process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const root = new URL('..', import.meta.url).pathname;

/** The run whose figure is the median (the lower middle one of an even count). */
function medianRunBy<T>(runs: T[], figure: (r: T) => number): T {
  const sorted = [...runs].sort((a, b) => (figure(a) === figure(b) ? 0 : figure(a) - figure(b)));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** "position 10.0 · eta 2.1": messages of each type (those sent at all) per accepted fix. */
function perFixText(sent: Record<string, number>, accepted: number): string {
  return Object.entries(sent)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${(n / Math.max(1, accepted)).toFixed(1)}`)
    .join(' · ');
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, clock ticks of 10 ms
}

/** A session on the server's inspector (started with --inspect on loopback): one command at a time. */
async function inspector(inspectorUrl: string) {
  const ws = new WebSocket(inspectorUrl, { maxPayload: 1 << 30 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      ws.on('message', function onMessage(raw: Buffer) {
        const m = JSON.parse(raw.toString()) as { id?: number; result?: unknown };
        if (m.id === id) {
          ws.off('message', onMessage);
          resolve(m.result);
        }
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close() };
}

/** Forces a full GC in the server through its inspector. */
async function collectGarbage(inspectorUrl: string): Promise<void> {
  const s = await inspector(inspectorUrl);
  for (let i = 0; i < 2; i++) await s.call('HeapProfiler.collectGarbage');
  s.close();
  await new Promise((r) => setTimeout(r, 500));
}

function ask<T extends LoadReply['type']>(
  child: ChildProcess,
  cmd: LoadCommand,
  want: T,
): Promise<Extract<LoadReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: LoadReply) => {
      if (m.type === 'error') {
        child.off('message', onMessage);
        reject(new Error(m.message));
      } else if (m.type === want) {
        child.off('message', onMessage);
        resolve(m as Extract<LoadReply, { type: T }>);
      }
    };
    child.on('message', onMessage);
    child.send(cmd);
  });
}

/**
 * The load client's latencies with "never delivered" as Infinity again: it comes over IPC as JSON, where Infinity
 * is null (which would sort as 0, the best latency, in a median).
 */
function undelivered<T extends { latencyMs: Latency; fromSendMs: Latency; freshMs: Latency }>(reply: T): T {
  for (const l of [reply.latencyMs, reply.fromSendMs, reply.freshMs])
    for (const k of ['p50', 'p90', 'p99', 'max'] as const) l[k] = (l[k] as number | null) ?? Number.POSITIVE_INFINITY;
  return reply;
}

/** A latency for the table: a percentile that fell on a message never delivered is said so. */
const ms = (x: number) => (Number.isFinite(x) ? `${x} ms` : 'not delivered');

/** Median; an Infinity (a percentile that fell on a message never delivered) counts as the largest value. */
const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => (a === b ? 0 : a - b));
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `trips` trips are active (each bus's first fix started its trip), then until the server's CPU stays
 * under a quarter of a core for a second (the trip starts' notices and pushes done); bounded (2 min, 1 min).
 */
async function settle(databaseUrl: string, serverPid: number, trips: number, sinceMs: number) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    let active = 0;
    while (Date.now() - sinceMs < 120_000) {
      const [row] = await sql<{ active: number }[]>`select count(*)::int as active from trips where status = 'active'`;
      active = row?.active ?? 0;
      if (active >= trips) break;
      await sleep(250);
    }
    const startedS = (Date.now() - sinceMs) / 1000;
    for (let i = 0; i < 60; i++) {
      const cpu0 = cpuMs(serverPid);
      await sleep(1000);
      if (cpuMs(serverPid) - cpu0 < 250) break;
    }
    return { active, startedS, quietS: (Date.now() - sinceMs) / 1000 };
  } finally {
    await sql.end();
  }
}

async function main() {
  const load1 = os.loadavg()[0]!;
  const dbName = `bg_bench_live_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const children: ChildProcess[] = [];
  try {
    const database = createPostgresDatabase({ url: url.toString(), maxConnections: 5 });
    await applyMigrations(database);
    const seedStarted = Date.now();
    const world = await seedLiveWorld(database, { buses: BUSES, guardiansPerBus: FOLLOWERS, nowMs: Date.now() });
    await database.close();
    console.log(
      `seeded ${world.buses.length} buses, ${world.guardians.length} guardians in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    // The server, wired as `npm start` wires it.
    const metricsToken = `bench-metrics-${randomBytes(12).toString('hex')}`;
    const [port, jt808Port, osmandPort] = [await freePort(), await freePort(), await freePort()];
    const server = spawn(process.execPath, npmStartArgs(root, ['--inspect=127.0.0.1:0']), {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: url.toString(),
        PORT: String(port),
        JT808_PORT: String(jt808Port),
        OSMAND_PORT: String(osmandPort),
        HOST: '127.0.0.1',
        DEMO: '0',
        SIMULATE: '0',
        ADMIN_TOKEN: `bench-${randomBytes(12).toString('hex')}`,
        METRICS_TOKEN: metricsToken,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(server);
    const inspectorUrl = await new Promise<string>((resolve, reject) => {
      let text = '';
      server.stderr!.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /Debugger listening on (ws:\/\/\S+)/.exec(text);
        if (m) resolve(m[1]!);
      });
      server.once('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
    });
    if (process.env.BENCH_SERVER_STDERR) server.stderr!.pipe(process.stderr);
    else server.stderr!.resume();
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error('server not ready after 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    await collectGarbage(inspectorUrl);
    const rssBeforeKb = rssKb(server.pid!);

    const bare = fork(`${root}scripts/bench/bare-broadcast.ts`, [], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    children.push(bare);
    const barePort = await new Promise<number>((resolve) =>
      bare.once('message', (m: { port: number }) => resolve(m.port)),
    );

    const loader = fork(`${root}scripts/bench/live-load.ts`, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    children.push(loader);
    const conn = await ask(
      loader,
      { type: 'connect', set: 'server', wsUrl: `ws://127.0.0.1:${port}/api/v1/live`, guardians: world.guardians },
      'connected',
    );
    console.log(
      `${conn.open} clients connected, ${conn.subscribed} subscribed (${conn.refused} refused, ${conn.failed} failed) in ${(conn.ms / 1000).toFixed(1)} s`,
    );
    await collectGarbage(inspectorUrl);
    const rssAfterKb = rssKb(server.pid!);
    const perConnectionKb = (rssAfterKb - rssBeforeKb) / Math.max(1, conn.subscribed);

    const { guardians: _, ...fleet } = world;
    const phase = (name: string, via: 'http' | 'jt808' | 'bare', rate: number, seconds: number) =>
      ask(
        loader,
        {
          type: 'phase',
          name,
          via,
          rate,
          seconds,
          followersPerBus: FOLLOWERS,
          world: fleet,
          httpUrl: via === 'bare' ? `http://127.0.0.1:${barePort}` : `http://127.0.0.1:${port}`,
          jt808Port,
        },
        'phase',
      ).then(undelivered);
    // Warm-up: the first fixes of each bus start its trip (the engine starts a trip once the bus moves near its route),
    // so trip followers get positions. The measured runs start once every trip is under way and the server has gone
    // quiet again, so they measure the steady stream of fixes, not the tail of the warm-up.
    const warmStartedMs = Date.now();
    await phase('warm-up', 'http', Math.min(RATE, BUSES), Math.max(2, Math.ceil(BUSES / Math.min(RATE, BUSES)) + 1));
    await phase('warm-up', 'jt808', Math.min(RATE, BUSES), Math.max(2, Math.ceil(BUSES / Math.min(RATE, BUSES)) + 1));
    const tripStart = await settle(url.toString(), server.pid!, BUSES, warmStartedMs);
    console.log(
      `warm-up: ${tripStart.active} of ${BUSES} trips under way ${tripStart.startedS.toFixed(1)} s after the first warm-up fix; server quiet at ${tripStart.quietS.toFixed(1)} s`,
    );

    /**
     * One /metrics scrape: the server's event-loop delay since the previous scrape (a scrape starts a new window), ms,
     * and the live messages it has written so far, by type.
     */
    const scrape = async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      }).then((r) => r.text());
      const q = (quantile: string) =>
        1000 *
        Number(
          new RegExp(`^busguard_event_loop_delay_seconds\\{quantile="${quantile}"\\} (\\S+)$`, 'm').exec(text)?.[1] ??
            NaN,
        );
      const sent: Record<string, number> = {};
      for (const m of text.matchAll(/^busguard_live_messages_sent_total\{type="(\w+)"\} (\S+)$/gm))
        sent[m[1]!] = Number(m[2]);
      return { loopDelay: { p99: q('0.99'), max: q('1') }, sent };
    };
    type Row = Extract<LoadReply, { type: 'phase' }> & {
      serverCpuPct: number;
      clientCpuPct: number;
      loopDelay: { p99: number; max: number } | null;
      /** live messages the server wrote during the run, by type */
      sent: Record<string, number> | null;
    };
    const rows: Record<'http' | 'jt808' | 'bare', Row[]> = { http: [], jt808: [], bare: [] };
    // The server's paths first; then its clients leave and the same guardians connect to the bare broadcast (one
    // process holds both sets of sockets otherwise: 20,000 descriptors, the machine's limit).
    const measure = async (r: number, via: 'http' | 'jt808' | 'bare') => {
      const pid = via === 'bare' ? bare.pid! : server.pid!;
      const profiler = opt.profile && r === 0 && via !== 'bare' ? await inspector(inspectorUrl) : undefined;
      if (profiler) {
        await profiler.call('Profiler.enable');
        await profiler.call('Profiler.setSamplingInterval', { interval: 500 });
        await profiler.call('Profiler.start');
      }
      const before = via !== 'bare' ? await scrape() : null; // the loop-delay window starts with the run
      const cpu0 = cpuMs(pid);
      const clientCpu0 = cpuMs(loader.pid!);
      const t0 = Date.now();
      const res = await phase(`${via} run ${r + 1}`, via, RATE, SECONDS);
      const after = via !== 'bare' ? await scrape() : null;
      const loopDelay = after?.loopDelay ?? null;
      const sent =
        before && after
          ? Object.fromEntries(Object.entries(after.sent).map(([k, v]) => [k, v - (before.sent[k] ?? 0)]))
          : null;
      if (profiler) {
        const { profile } = (await profiler.call('Profiler.stop')) as { profile: unknown };
        writeFileSync(`${opt.profile}-${via}.cpuprofile`, JSON.stringify(profile));
        profiler.close();
      }
      const elapsedMs = Date.now() - t0;
      rows[via].push({
        ...res,
        serverCpuPct: ((cpuMs(pid) - cpu0) / elapsedMs) * 100,
        clientCpuPct: ((cpuMs(loader.pid!) - clientCpu0) / elapsedMs) * 100,
        loopDelay,
        sent,
      });
      console.log(
        `run ${r + 1} ${via.padEnd(5)}: accepted ${(res.accepted / res.seconds).toFixed(0)}/s of ${(res.offered / res.seconds).toFixed(0)} offered, ` +
          `delivered ${res.deliveries}/${res.expectedDeliveries}, ack→client p50 ${ms(res.latencyMs.p50)} / p99 ${ms(res.latencyMs.p99)}, ` +
          `send→client p50 ${ms(res.fromSendMs.p50)} / p99 ${ms(res.fromSendMs.p99)}, ` +
          `ack→client holds it or newer p50 ${ms(res.freshMs.p50)} / p99 ${ms(res.freshMs.p99)} (${res.superseded} superseded)` +
          (loopDelay
            ? `, server event-loop delay p99 ${loopDelay.p99.toFixed(0)} / max ${loopDelay.max.toFixed(0)} ms`
            : '') +
          (sent ? `, messages written per accepted fix: ${perFixText(sent, res.accepted)}` : '') +
          `, fix age when sent ${res.fixAgeS.min.toFixed(0)}…${res.fixAgeS.max.toFixed(0)} s`,
      );
      for (const sample of res.refusalSamples) console.log(`  refused: ${sample}`);
    };
    for (let r = 0; r < RUNS; r++) for (const via of ['http', 'jt808'] as const) await measure(r, via);
    await ask(loader, { type: 'connect', set: 'server', wsUrl: '', guardians: [] }, 'connected');
    const bareConn = await ask(
      loader,
      { type: 'connect', set: 'bare', wsUrl: `ws://127.0.0.1:${barePort}/api/v1/live`, guardians: world.guardians },
      'connected',
    );
    for (let r = 0; r < RUNS; r++) await measure(r, 'bare');
    const load2 = os.loadavg()[0]!;

    const summary = (via: 'http' | 'jt808' | 'bare') => {
      const rs = rows[via];
      const strict = medianRunBy(rs, (r) => r.latencyMs.p99).latencyMs;
      const fromSend = medianRunBy(rs, (r) => r.fromSendMs.p99).fromSendMs;
      const fresh = medianRunBy(rs, (r) => r.freshMs.p99).freshMs;
      return {
        acceptedPerS: median(rs.map((r) => r.accepted / r.seconds)),
        deliveredPerS: median(rs.map((r) => r.deliveries / r.seconds)),
        deliveryRatio: median(rs.map((r) => r.deliveries / Math.max(1, r.expectedDeliveries))),
        // p50 and p99 of one run (the one with the median p99), so the pair is from one distribution
        p50Ms: strict.p50,
        p99Ms: strict.p99,
        sendP50Ms: fromSend.p50,
        sendP99Ms: fromSend.p99,
        freshP50Ms: fresh.p50,
        freshP99Ms: fresh.p99,
        superseded: rs.reduce((a, r) => a + r.superseded, 0),
        refused: rs.reduce((a, r) => a + r.refused, 0),
        errors: rs.reduce((a, r) => a + r.errors, 0),
        serverCpuPct: median(rs.map((r) => r.serverCpuPct)),
        loopDelayP99Ms: rs[0]?.loopDelay ? median(rs.map((r) => r.loopDelay!.p99)) : null,
        loopDelayMaxMs: rs[0]?.loopDelay ? median(rs.map((r) => r.loopDelay!.max)) : null,
        clientCpuPct: median(rs.map((r) => r.clientCpuPct)),
        /** live messages the server wrote per accepted fix, by type (medians over runs) */
        messagesPerFix: rs[0]?.sent
          ? Object.fromEntries(
              Object.keys(rs[0].sent).map((k) => [
                k,
                Number(median(rs.map((r) => (r.sent![k] ?? 0) / Math.max(1, r.accepted))).toFixed(2)),
              ]),
            )
          : null,
        /** server CPU per accepted fix (µs): the cost the server pays per fix, whatever the machine's load */
        serverCpuUsPerFix: median(rs.map((r) => (r.serverCpuPct * 10_000) / Math.max(1, r.accepted / r.seconds))),
      };
    };
    const http = summary('http');
    const jt808 = summary('jt808');
    const bareS = summary('bare');
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
    console.log(
      `\nbench:live — ${BUSES} buses, ${conn.subscribed} WebSocket clients (${FOLLOWERS} per trip), offered ${RATE} fixes/s, ${SECONDS} s × ${RUNS} runs (medians)`,
    );
    console.log(`load average ${load1.toFixed(1)} at start, ${load2.toFixed(1)} at end; ${os.cpus().length} cores`);
    console.log(
      '| path | accepted fixes/s | vs bare | delivered msgs/s | delivered / expected | ack→client p50 / p99 | ack→client holds it or newer p50 / p99 | send→client p50 / p99 | server event-loop delay p99 / max | process CPU | CPU µs/fix | load client CPU | refused | errors |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [name, s] of [
      ['single-fix HTTP (server as npm start)', http],
      ['JT/T 808 (server as npm start)', jt808],
      ['bare ws broadcast (limit)', bareS],
    ] as const) {
      console.log(
        `| ${name} | ${s.acceptedPerS.toFixed(0)} | ${pct(s.acceptedPerS, bareS.acceptedPerS)} | ${s.deliveredPerS.toFixed(0)} | ${(s.deliveryRatio * 100).toFixed(1)} % | ${ms(s.p50Ms)} / ${ms(s.p99Ms)} | ${ms(s.freshP50Ms)} / ${ms(s.freshP99Ms)} | ${ms(s.sendP50Ms)} / ${ms(s.sendP99Ms)} | ${s.loopDelayP99Ms == null ? '–' : `${s.loopDelayP99Ms.toFixed(0)} / ${s.loopDelayMaxMs!.toFixed(0)} ms`} | ${s.serverCpuPct.toFixed(0)} % | ${s.serverCpuUsPerFix.toFixed(0)} | ${s.clientCpuPct.toFixed(0)} % | ${s.refused} | ${s.errors} |`,
      );
    }
    console.log(
      'latencies are over every message owed (accepted fixes × the trip’s followers): one not delivered by the end of the run counts as later than any ("not delivered"); "holds it or newer" counts a position the server superseded by a newer one of the bus (a live feed sends the latest) as arrived with that one',
    );
    for (const [name, s] of [
      ['single-fix HTTP', http],
      ['JT/T 808', jt808],
    ] as const)
      if (s.messagesPerFix)
        console.log(
          `${name}: live messages written per accepted fix (server /metrics): ${Object.entries(s.messagesPerFix)
            .filter(([, v]) => v > 0)
            .map(([k, v]) => `${k} ${v}`)
            .join(' · ')}`,
        );
    console.log(
      `server RSS per WebSocket connection after GC: ${perConnectionKb.toFixed(1)} KB (${rssBeforeKb} → ${rssAfterKb} kB for ${conn.subscribed} clients); bare server clients: ${bareConn.subscribed}`,
    );
    console.log(
      JSON.stringify({
        bench: 'live',
        buses: BUSES,
        clients: conn.subscribed,
        offeredPerS: RATE,
        seconds: SECONDS,
        runs: RUNS,
        httpAcceptedPerS: Math.round(http.acceptedPerS),
        httpP50Ms: http.p50Ms,
        httpP99Ms: http.p99Ms,
        httpDeliveryRatio: Number(http.deliveryRatio.toFixed(4)),
        httpSendP99Ms: http.sendP99Ms,
        httpFreshP99Ms: http.freshP99Ms,
        httpSuperseded: http.superseded,
        httpVsBare: Number((http.acceptedPerS / bareS.acceptedPerS).toFixed(3)),
        httpServerCpuUsPerFix: Math.round(http.serverCpuUsPerFix),
        httpClientCpuPct: Math.round(http.clientCpuPct),
        httpLoopDelayP99Ms: Math.round(http.loopDelayP99Ms ?? NaN),
        httpLoopDelayMaxMs: Math.round(http.loopDelayMaxMs ?? NaN),
        httpMessagesPerFix: http.messagesPerFix,
        jt808AcceptedPerS: Math.round(jt808.acceptedPerS),
        jt808P50Ms: jt808.p50Ms,
        jt808P99Ms: jt808.p99Ms,
        jt808SendP99Ms: jt808.sendP99Ms,
        jt808FreshP99Ms: jt808.freshP99Ms,
        jt808Superseded: jt808.superseded,
        jt808LoopDelayP99Ms: Math.round(jt808.loopDelayP99Ms ?? NaN),
        jt808LoopDelayMaxMs: Math.round(jt808.loopDelayMaxMs ?? NaN),
        jt808MessagesPerFix: jt808.messagesPerFix,
        jt808VsBare: Number((jt808.acceptedPerS / bareS.acceptedPerS).toFixed(3)),
        bareDeliveredPerS: Math.round(bareS.deliveredPerS),
        bareP99Ms: bareS.p99Ms,
        // how old the server's fixes were when sent (s): under 60 the engine takes them as live reports
        fixAgeMinS: Math.floor(Math.min(...[...rows.http, ...rows.jt808].map((r) => r.fixAgeS.min))),
        fixAgeMaxS: Math.ceil(Math.max(...[...rows.http, ...rows.jt808].map((r) => r.fixAgeS.max))),
        perConnectionKb: Number(perConnectionKb.toFixed(2)),
        loadStart: Number(load1.toFixed(2)),
        loadEnd: Number(load2.toFixed(2)),
      }),
    );
    loader.send({ type: 'close' } satisfies LoadCommand);
    bare.send({ type: 'close' });
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
