// bench:live's client process (forked by scripts/bench-live.ts): the WebSocket clients (guardians following
// their child's trip) and the devices that feed fixes at a fixed rate, in one process with one clock, so the
// latency from a fix's acceptance (HTTP 200 / JT/T 808 0x8001 result 0, as the device sees it) to each
// client's receipt is measured without clock skew. Commands arrive over IPC; results go back the same way.
import http from 'node:http';
import WebSocket from 'ws';
import { Jt808TerminalClient } from '../../src/demo/jt808-terminal';
import type { LiveWorld } from './live-world';

export type LoadCommand =
  | { type: 'connect'; set: string; wsUrl: string; guardians: LiveWorld['guardians'] }
  | {
      type: 'phase';
      name: string;
      via: 'http' | 'jt808' | 'bare';
      rate: number;
      seconds: number;
      /** clients per bus that follow its trip (each accepted fix should reach this many) */
      followersPerBus: number;
      world: Omit<LiveWorld, 'guardians'>;
      httpUrl?: string;
      jt808Port?: number;
    }
  | { type: 'close' };

export type LoadReply =
  | { type: 'connected'; open: number; failed: number; subscribed: number; refused: number; ms: number }
  | {
      type: 'phase';
      name: string;
      offered: number;
      accepted: number;
      refused: number;
      errors: number;
      seconds: number;
      deliveries: number;
      expectedDeliveries: number;
      latencyMs: Latency;
      fromSendMs: Latency;
      refusalSamples: string[];
      /**
       * from a fix's acceptance until each follower holds that position or a newer one of the bus (a position the
       * server superseded by a newer one before sending counts as arrived with the newer one)
       */
      freshMs: Latency;
      /** messages owed that never arrived themselves but were covered by a newer position of the bus */
      superseded: number;
      /** how old the fixes were when sent (wall clock − fix time), s; negative: ahead of the clock */
      fixAgeS: { min: number; max: number };
    }
  | { type: 'error'; message: string };

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const send = (m: LoadReply) => process.send!(m);

// ---- clients ----
const clientSets = new Map<string, WebSocket[]>();
const receipts: { key: string; client: number; busId: number; timeMs: number; atMs: number }[] = [];
/** The trip each client of the connected set follows, by client number. */
let tripOfClient: number[] = [];
let recording = false;
const keyRe = /"busId":(\d+).*?"timeMs":(\d+)/;

async function connectAll(set: string, wsUrl: string, guardians: LiveWorld['guardians']): Promise<void> {
  for (const c of clientSets.get(set) ?? []) c.terminate();
  const clients: WebSocket[] = [];
  clientSets.set(set, clients);
  if (guardians.length) tripOfClient = guardians.map((g) => g.tripId);
  const started = Date.now();
  let open = 0;
  let failed = 0;
  let subscribed = 0;
  let refused = 0;
  const one = (g: LiveWorld['guardians'][number], client: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${g.token}` }, perMessageDeflate: false });
      const topic = `trip:${g.tripId}`;
      const timer = setTimeout(() => {
        failed++;
        ws.terminate();
        resolve();
      }, 60_000);
      ws.on('open', () => {
        open++;
        ws.send(JSON.stringify({ type: 'subscribe', topic }));
      });
      ws.on('message', (raw: Buffer) => {
        const text = raw.toString();
        if (text.startsWith('{"type":"position"')) {
          if (!recording) return;
          const m = keyRe.exec(text);
          if (m)
            receipts.push({
              key: `${m[1]}:${m[2]}`,
              client,
              busId: Number(m[1]),
              timeMs: Number(m[2]),
              atMs: Date.now(),
            });
          return;
        }
        if (text.includes('"subscribed"')) {
          subscribed++;
          clearTimeout(timer);
          resolve();
        } else if (text.includes('"error"')) {
          refused++;
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      clients.push(ws);
    });
  const queue = guardians.map((g, client) => ({ g, client }));
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      for (let q = queue.shift(); q; q = queue.shift()) await one(q.g, q.client);
    }),
  );
  send({ type: 'connected', open, failed, subscribed, refused, ms: Date.now() - started });
}

// ---- motion: each bus drives its path at 36 km/h of device time, one fix per device second ----
interface Motion {
  cum: number[];
  path: [number, number][];
}
const motions = new Map<number, Motion>();
const busState = new Map<number, { k: number; t0Ms: number }>();

function motionOf(paths: [number, number][][], i: number): Motion {
  let m = motions.get(i);
  if (m) return m;
  const path = paths[i]!;
  const cum = [0];
  for (let j = 1; j < path.length; j++) {
    const [x0, y0] = path[j - 1]!;
    const [x1, y1] = path[j]!;
    const dx = (x1 - x0) * 111_320 * Math.cos(((y0 + y1) / 2) * (Math.PI / 180));
    const dy = (y1 - y0) * 110_540;
    cum.push(cum[j - 1]! + Math.hypot(dx, dy));
  }
  motions.set(i, (m = { cum, path }));
  return m;
}

function nextFix(world: Omit<LiveWorld, 'guardians'>, b: number) {
  const bus = world.buses[b]!;
  let st = busState.get(bus.busId);
  // Device time starts at the wall clock and moves a second per fix (10 m at 36 km/h). At 2 fixes/s per bus a run
  // pulls it ahead of the clock, the pauses between runs let the clock catch up: the reports stay live ones (less
  // than the preset's 60 s back-fill lag old, within its 300 s of clock skew ahead), as a terminal on the road sends.
  if (!st) busState.set(bus.busId, (st = { k: 0, t0Ms: Math.floor(Date.now() / 1000) * 1000 }));
  const m = motionOf(world.paths, bus.pathIndex);
  const total = m.cum[m.cum.length - 1]!;
  const along = Math.min(total, st.k * 10);
  let j = 1;
  while (j < m.cum.length - 1 && m.cum[j]! < along) j++;
  const seg = m.cum[j]! - m.cum[j - 1]!;
  const f = seg > 0 ? (along - m.cum[j - 1]!) / seg : 0;
  const [x0, y0] = m.path[j - 1]!;
  const [x1, y1] = m.path[j]!;
  const headingDeg = ((Math.atan2((x1 - x0) * Math.cos((y0 * Math.PI) / 180), y1 - y0) * 180) / Math.PI + 360) % 360;
  const timeMs = st.t0Ms + st.k * 1000;
  st.k++;
  return {
    busId: bus.busId,
    tripId: bus.tripId,
    timeMs,
    lon: x0 + f * (x1 - x0),
    lat: y0 + f * (y1 - y0),
    speedKph: along < total ? 36 : 0,
    headingDeg: Math.round(headingDeg) % 360,
  };
}

// ---- senders ----
// Each device keeps its own connection, as a phone or a tracker does (one keep-alive socket, its posts one after
// another): devices sharing a small pool would wait behind each other in this process, which no fleet does.
const agents = new Map<number, http.Agent>();
const agentOf = (busId: number) => {
  let a = agents.get(busId);
  if (!a) agents.set(busId, (a = new http.Agent({ keepAlive: true, maxSockets: 1 })));
  return a;
};

function post(
  agent: http.Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}

const terminals = new Map<number, Jt808TerminalClient>();
const loopbackFor = (n: number) => `127.1.${(n >> 8) & 255}.${n & 255 || 1}`;
const refusalSamples: string[] = [];

async function ensureTerminals(world: Omit<LiveWorld, 'guardians'>, port: number): Promise<void> {
  const queue = world.buses.filter((b) => !terminals.has(b.busId));
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        // Each terminal from its own loopback address, as vehicles come from their own: the server's per-address
        // connection limit stays as `npm start` sets it.
        const c = await Jt808TerminalClient.connect(port, b.phone, { localAddress: loopbackFor(b.busId) });
        const auth = await c.authenticate(b.authCode, 30_000);
        if (auth.result !== 0) throw new Error(`terminal ${b.phone}: authentication answered ${auth.result}`);
        terminals.set(b.busId, c);
      }
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * For every message owed (an accepted fix × each follower of its bus's trip): how long after the fix's acceptance
 * the follower held that position or a newer one of the bus; Infinity when it never did. A live feed sends the
 * latest position, not every one: a fix superseded before it was sent is fresh once the newer one arrives.
 */
function freshness(world: Omit<LiveWorld, 'guardians'>, ackAt: Map<string, number>) {
  const busOfTrip = new Map(world.buses.map((b) => [b.tripId, b.busId]));
  const followers = new Map<number, number[]>();
  tripOfClient.forEach((tripId, client) => {
    const busId = busOfTrip.get(tripId);
    if (busId === undefined) return;
    const list = followers.get(busId);
    if (list) list.push(client);
    else followers.set(busId, [client]);
  });
  // Per client and bus, in arrival order: the newest fix time held so far, and when.
  const held = new Map<string, { newestMs: number[]; atMs: number[] }>();
  for (const r of receipts) {
    const k = `${r.client}:${r.busId}`;
    let h = held.get(k);
    if (!h) held.set(k, (h = { newestMs: [], atMs: [] }));
    h.newestMs.push(Math.max(r.timeMs, h.newestMs.at(-1) ?? -Infinity));
    h.atMs.push(r.atMs);
  }
  const delivered = new Set(receipts.map((r) => `${r.client}:${r.key}`));
  const fresh: number[] = [];
  let superseded = 0;
  for (const [key, ack] of ackAt) {
    const [busId, timeMs] = key.split(':').map(Number) as [number, number];
    for (const client of followers.get(busId) ?? []) {
      const h = held.get(`${client}:${busId}`);
      let lo = 0;
      let hi = h?.newestMs.length ?? 0;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (h!.newestMs[mid]! >= timeMs) hi = mid;
        else lo = mid + 1;
      }
      if (!h || lo >= h.newestMs.length) fresh.push(Infinity);
      else {
        fresh.push(Math.max(0, h.atMs[lo]! - ack));
        if (!delivered.has(`${client}:${key}`)) superseded++;
      }
    }
  }
  fresh.sort((a, b) => a - b);
  return { fresh, superseded };
}

async function runPhase(cmd: Extract<LoadCommand, { type: 'phase' }>): Promise<void> {
  if (cmd.via === 'jt808') await ensureTerminals(cmd.world, cmd.jt808Port!);
  const ackAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  refusalSamples.length = 0;
  let offered = 0;
  let accepted = 0;
  let refused = 0;
  let errors = 0;
  let inflight = 0;
  const maxInflight = 2048;
  receipts.length = 0;
  recording = true;
  const startedMs = Date.now();
  const endMs = startedMs + cmd.seconds * 1000;
  let rr = 0;
  const fixAgeS = { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };

  const fire = () => {
    const b = rr++ % cmd.world.buses.length;
    const fix = nextFix(cmd.world, b);
    const key = `${fix.busId}:${fix.timeMs}`;
    const ageS = (Date.now() - fix.timeMs) / 1000;
    fixAgeS.min = Math.min(fixAgeS.min, ageS);
    fixAgeS.max = Math.max(fixAgeS.max, ageS);
    offered++;
    inflight++;
    sentAt.set(key, Date.now());
    const done = (ok: boolean, failed = false) => {
      inflight--;
      if (ok) {
        accepted++;
        ackAt.set(key, Date.now());
      } else if (failed) errors++;
      else refused++;
    };
    const bus = cmd.world.buses[b]!;
    if (cmd.via === 'jt808') {
      const c = terminals.get(bus.busId)!;
      c.position(
        { timeMs: fix.timeMs, lat: fix.lat, lon: fix.lon, speedKph: fix.speedKph, headingDeg: fix.headingDeg },
        30_000,
      ).then(
        (r) => done(r.result === 0),
        () => done(false, true),
      );
    } else if (cmd.via === 'http') {
      const body = JSON.stringify({
        positions: [
          { time: fix.timeMs, lat: fix.lat, lon: fix.lon, speedKph: fix.speedKph, headingDeg: fix.headingDeg },
        ],
      });
      post(
        agentOf(bus.busId),
        `${cmd.httpUrl}/api/v1/telemetry/positions`,
        { authorization: `Bearer ${bus.deviceToken}` },
        body,
      ).then((r) => {
        if (r.status === 0) return done(false, true);
        const ok = r.status === 200 && r.body.includes('"accepted":1');
        if (!ok && refusalSamples.length < 5) refusalSamples.push(`${r.status} ${r.body.slice(0, 200)}`);
        done(ok);
      });
    } else {
      const data = {
        busId: fix.busId,
        tripId: fix.tripId,
        lat: fix.lat,
        lon: fix.lon,
        speedKph: fix.speedKph,
        headingDeg: fix.headingDeg,
        timeMs: fix.timeMs,
      };
      post(
        agentOf(bus.busId),
        `${cmd.httpUrl}/publish`,
        {},
        JSON.stringify({ topic: `trip:${fix.tripId}`, data }),
      ).then((r) => (r.status === 0 ? done(false, true) : done(r.status === 200)));
    }
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now >= endMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor(((now - startedMs) * cmd.rate) / 1000) - offered;
      for (let i = 0; i < due && inflight < maxInflight; i++) fire();
    }, 5);
  });
  // Let what was accepted reach the clients.
  const drainUntil = Date.now() + 5000;
  while ((inflight > 0 || Date.now() < drainUntil - 3000) && Date.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  recording = false;

  // From acceptance as the device sees it (the push may beat the acknowledgement: then 0), and from sending.
  const latencies: number[] = [];
  const fromSend: number[] = [];
  for (const r of receipts) {
    const ack = ackAt.get(r.key);
    if (ack === undefined) continue;
    latencies.push(Math.max(0, r.atMs - ack));
    fromSend.push(r.atMs - sentAt.get(r.key)!);
  }
  const deliveries = latencies.length;
  // A message owed to a client (an accepted fix × the trip's followers) that had not arrived when recording stopped
  // counts as later than any: the percentiles are over every message owed, so a lagging server cannot look fast by
  // delivering less.
  for (let missing = accepted * cmd.followersPerBus - latencies.length; missing > 0; missing--) {
    latencies.push(Infinity);
    fromSend.push(Infinity);
  }
  latencies.sort((a, b) => a - b);
  fromSend.sort((a, b) => a - b);
  const { fresh, superseded } = freshness(cmd.world, ackAt);
  const summary = (xs: number[]): Latency => ({
    p50: percentile(xs, 0.5),
    p90: percentile(xs, 0.9),
    p99: percentile(xs, 0.99),
    max: xs[xs.length - 1] ?? NaN,
  });
  send({
    type: 'phase',
    name: cmd.name,
    offered,
    accepted,
    refused,
    errors,
    seconds: cmd.seconds,
    deliveries,
    expectedDeliveries: accepted * cmd.followersPerBus,
    latencyMs: summary(latencies),
    fromSendMs: summary(fromSend),
    freshMs: summary(fresh),
    superseded,
    refusalSamples: [...refusalSamples],
    fixAgeS,
  });
}

process.on('message', (cmd: LoadCommand) => {
  const run = async () => {
    if (cmd.type === 'connect') await connectAll(cmd.set, cmd.wsUrl, cmd.guardians);
    else if (cmd.type === 'phase') await runPhase(cmd);
    else {
      for (const set of clientSets.values()) for (const c of set) c.terminate();
      for (const t of terminals.values()) t.destroy();
      for (const a of agents.values()) a.destroy();
      process.exit(0);
    }
  };
  run().catch((err: Error) => send({ type: 'error', message: err.stack ?? String(err) }));
});
