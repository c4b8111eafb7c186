// Load generator for the ingest benchmark, run as a child process (its own core, so the server under test
// does not share an event loop with its clients). Driven over IPC:
//   parent → { type: 'task', task }          child → { type: 'ready' } once connected and authenticated
//   parent → { type: 'go' }                   child → { type: 'done', result }
// Positions: device i moves east at ~10 m/s along its own parallel; its position is a function of the
// device time, so runs that continue in time stay plausible for the pipeline's jump filter.
import http from 'node:http';
import {
  encodeJt808Frame,
  encodeJt808Header,
  epochMsToBcdTime,
  Jt808FrameSplitter,
  unescapeJt808,
  xorChecksum,
  type Jt808HeaderVersion,
} from '../../src/ingest/jt808';
import { encodePositionBody, Jt808TerminalClient, type TerminalPosition } from '../../src/demo/jt808-terminal';

/** Shared by both kinds: where the devices drive, and how many fixes are sent twice. */
interface LoadCommon {
  /** Route paths ([lon, lat]); device i drives to and fro along routes[i % n]. Absent: benchPosition. */
  routes?: [number, number][][];
  /** Every `resendEvery`-th fix is sent a second time right after the first (0 or absent: none). */
  resendEvery?: number;
}

export type LoadTask =
  /** `authCode`: the code provisioned in the registry for every terminal (they authenticate without registering). */
  | (LoadCommon & {
      kind: 'jt808';
      port: number;
      phones: string[];
      fixesPerDevice: number;
      baseMs: number;
      t0Ms: number;
      window: number;
      authCode?: string;
    })
  | (LoadCommon & {
      kind: 'json';
      url: string;
      tokens: string[];
      fixesPerDevice: number;
      baseMs: number;
      t0Ms: number;
      batch: number;
    });

export interface LoadResult {
  elapsedMs: number;
  /** Distinct fixes (device, time) of the load. */
  fixes: number;
  /** Fixes sent, resends included. */
  sent: number;
  /** Answers "accepted" (JT/T 808 result 0, HTTP accepted items), resends included. */
  acked: number;
  /** Distinct fixes with at least one "accepted" answer. */
  uniqueAcked: number;
  /** Answers other than "accepted" (JT/T 808 result ≠ 0, HTTP 503 responses). */
  refused: number;
  errors: number;
  /** CPU time the load generator used during the measured phase (user + system). */
  cpuMs: number;
}

/** Cumulative lengths (m) of a path, for positions along it. */
function measure(path: [number, number][]): number[] {
  const cum = [0];
  for (let i = 1; i < path.length; i++) {
    const [lon0, lat0] = path[i - 1]!;
    const [lon1, lat1] = path[i]!;
    const kx = 111_320 * Math.cos((((lat0 + lat1) / 2) * Math.PI) / 180);
    cum.push(cum[i - 1]! + Math.hypot((lon1 - lon0) * kx, (lat1 - lat0) * 110_540));
  }
  return cum;
}

/**
 * Device `device` at `timeMs` on a route: 10 m/s (36 km/h) along the path from a start spread per device, turning
 * round at the ends (so consecutive fixes are always 10 m apart: plausible for the jump filter).
 */
export function routePosition(
  paths: { path: [number, number][]; cum: number[] }[],
  device: number,
  baseMs: number,
  timeMs: number,
): TerminalPosition {
  const r = paths[device % paths.length]!;
  const total = r.cum[r.cum.length - 1]!;
  let d = ((device * 137.5) % total) + ((timeMs - baseMs) / 1000) * 10;
  d %= 2 * total;
  if (d > total) d = 2 * total - d;
  let lo = 0;
  let hi = r.cum.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (r.cum[mid]! <= d) lo = mid;
    else hi = mid;
  }
  const seg = r.cum[hi]! - r.cum[lo]! || 1;
  const f = Math.min(1, Math.max(0, (d - r.cum[lo]!) / seg));
  const [lon0, lat0] = r.path[lo]!;
  const [lon1, lat1] = r.path[hi]!;
  const lat = Math.round((lat0 + f * (lat1 - lat0)) * 1e6) / 1e6;
  const lon = Math.round((lon0 + f * (lon1 - lon0)) * 1e6) / 1e6;
  const headingDeg = Math.round(
    ((Math.atan2((lon1 - lon0) * Math.cos((lat0 * Math.PI) / 180), lat1 - lat0) * 180) / Math.PI + 360) % 360,
  );
  return { timeMs, lat, lon, speedKph: 36, headingDeg, altitudeM: 12, mileageKm: 1234.5 };
}

/** The position function of a task: along its routes, or benchPosition. */
export function positionsOf(task: LoadCommon): (device: number, baseMs: number, timeMs: number) => TerminalPosition {
  if (!task.routes?.length) return benchPosition;
  const paths = task.routes.map((path) => ({ path, cum: measure(path) }));
  return (device, baseMs, timeMs) => routePosition(paths, device, baseMs, timeMs);
}

/** Device `device` at `timeMs`: 0.0001° of longitude (~10 m) east per second since `baseMs`. */
export function benchPosition(device: number, baseMs: number, timeMs: number): TerminalPosition {
  const lat = 22 + (device % 200) * 0.01;
  const lon = 113 + Math.floor(device / 200) * 0.05 + ((timeMs - baseMs) / 1000) * 0.0001;
  return { timeMs, lat, lon, speedKph: 36, headingDeg: 90, altitudeM: 12, mileageKm: 1234.5 };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/**
 * Encodes the 0x0200 reports of one terminal by patching a template (serial, latitude, longitude, time) instead of
 * building each frame from scratch: the load generator shares the machine with the server under test, so its own
 * CPU per report is kept small. Reports that differ from the template in anything else go the ordinary way, and
 * `check` compares a report with the ordinary encoder byte for byte.
 */
class PositionFrameEncoder {
  private readonly content: Uint8Array;
  private readonly serialAt: number;
  private readonly bodyAt: number;

  constructor(
    private readonly phone: string,
    private readonly version: Jt808HeaderVersion,
    private readonly template: TerminalPosition,
  ) {
    const body = encodePositionBody(template, version);
    const head = encodeJt808Header({ msgId: 0x0200, phone, serial: 0, version }, body.length);
    this.content = new Uint8Array(head.length + body.length + 1);
    this.content.set(head);
    this.content.set(body, head.length);
    this.serialAt = head.length - 2;
    this.bodyAt = head.length;
  }

  /** The ordinary encoding. */
  slow(serial: number, p: TerminalPosition): Uint8Array {
    return encodeJt808Frame(
      { msgId: 0x0200, phone: this.phone, serial, version: this.version },
      encodePositionBody(p, this.version),
    );
  }

  /** Writes the frame at `out[o]` (room for 2 + 2 × content bytes needed); returns the offset after it. */
  encodeInto(serial: number, p: TerminalPosition, out: Uint8Array, o: number): number {
    const t = this.template;
    if (
      p.lat < 0 !== t.lat < 0 ||
      p.lon < 0 !== t.lon < 0 ||
      p.speedKph !== t.speedKph ||
      p.altitudeM !== t.altitudeM ||
      p.mileageKm !== t.mileageKm ||
      p.satellites !== t.satellites ||
      p.alarms !== t.alarms ||
      p.valid !== t.valid ||
      p.acc !== t.acc ||
      p.doorOpen !== t.doorOpen
    ) {
      const f = this.slow(serial, p);
      out.set(f, o);
      return o + f.length;
    }
    const c = this.content;
    c[this.serialAt] = (serial >> 8) & 0xff;
    c[this.serialAt + 1] = serial & 0xff;
    const b = this.bodyAt;
    const lat = Math.round(Math.abs(p.lat) * 1e6) >>> 0;
    const lon = Math.round(Math.abs(p.lon) * 1e6) >>> 0;
    const heading = Math.round((((p.headingDeg ?? 0) % 360) + 360) % 360);
    c[b + 8] = lat >>> 24;
    c[b + 9] = (lat >>> 16) & 0xff;
    c[b + 10] = (lat >>> 8) & 0xff;
    c[b + 11] = lat & 0xff;
    c[b + 12] = lon >>> 24;
    c[b + 13] = (lon >>> 16) & 0xff;
    c[b + 14] = (lon >>> 8) & 0xff;
    c[b + 15] = lon & 0xff;
    c[b + 20] = heading >> 8;
    c[b + 21] = heading & 0xff;
    c.set(epochMsToBcdTime(p.timeMs, 480), b + 22);
    const n = c.length - 1;
    let sum = 0;
    for (let i = 0; i < n; i++) sum ^= c[i]!;
    c[n] = sum;
    out[o++] = 0x7e;
    for (let i = 0; i <= n; i++) {
      const x = c[i]!;
      if (x === 0x7e) {
        out[o++] = 0x7d;
        out[o++] = 0x02;
      } else if (x === 0x7d) {
        out[o++] = 0x7d;
        out[o++] = 0x01;
      } else out[o++] = x;
    }
    out[o++] = 0x7e;
    return o;
  }

  get maxWireBytes(): number {
    return 2 + 2 * this.content.length;
  }

  /** Throws unless the fast encoding of `p` is the ordinary one. */
  check(serial: number, p: TerminalPosition): void {
    const out = new Uint8Array(this.maxWireBytes);
    const fast = out.subarray(0, this.encodeInto(serial, p, out, 0));
    const slow = this.slow(serial, p);
    if (fast.length !== slow.length || fast.some((x, i) => x !== slow[i]))
      throw new Error('load generator: fast 0x0200 encoding differs from the ordinary one');
  }
}

/** A 0x8001 (2013 header) from the platform: the acknowledged serial and message id and the result, or undefined. */
function readGeneralResponse(
  wire: Uint8Array,
): { replySerial: number; replyMsgId: number; result: number } | undefined {
  const u = unescapeJt808(wire, 1, wire.length - 1);
  if (!u.ok) return undefined;
  const c = u.content;
  // header (12) + body (5) + checksum
  if (c.length !== 18 || ((c[0]! << 8) | c[1]!) !== 0x8001 || xorChecksum(c, 0, 17) !== c[17]) return undefined;
  return { replySerial: (c[12]! << 8) | c[13]!, replyMsgId: (c[14]! << 8) | c[15]!, result: c[16]! };
}

async function runJt808(task: Extract<LoadTask, { kind: 'jt808' }>, go: Promise<void>): Promise<LoadResult> {
  const clients: Jt808TerminalClient[] = [];
  await pool(task.phones, 50, async (phone, i) => {
    const c = await Jt808TerminalClient.connect(task.port, phone);
    let code = task.authCode;
    if (code === undefined) {
      const reg = await c.register({}, 30_000);
      if (reg.result !== 0 || !reg.authCode) throw new Error(`register ${phone}: result ${reg.result}`);
      code = reg.authCode;
    }
    const auth = await c.authenticate(code, 30_000);
    if (auth.result !== 0) throw new Error(`auth ${phone}: result ${auth.result}`);
    clients[i] = c;
  });
  process.send!({ type: 'ready' });
  await go;
  const n = task.fixesPerDevice;
  const every = task.resendEvery ?? 0;
  const position = positionsOf(task);
  // Send order of one terminal: fix k, and fix k again right after it when (k + 1) % every === 0.
  const order: number[] = [];
  for (let k = 0; k < n; k++) {
    order.push(k);
    if (every > 0 && (k + 1) % every === 0) order.push(k);
  }
  const sends = order.length;
  const r: LoadResult = {
    elapsedMs: 0,
    fixes: task.phones.length * n,
    sent: task.phones.length * sends,
    acked: 0,
    uniqueAcked: 0,
    refused: 0,
    errors: 0,
    cpuMs: 0,
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  // Each terminal keeps at most `window` reports unacknowledged (as a terminal keeps unacknowledged reports for
  // resending): it sends as many as its window allows in one write, and sends more as acks (0x8001, matched by
  // serial) come back. A report answered twice, or an answer to nothing sent, counts as an error.
  await Promise.all(
    clients.map(
      (c, d) =>
        new Promise<void>((resolve) => {
          const answeredSend = new Uint8Array(sends); // 1 once the send is answered
          const ackedFix = new Uint8Array(n); // 1 once the fix had an "accepted" answer
          const splitter = new Jt808FrameSplitter();
          let sent = 0;
          let answered = 0;
          const first = c.frame(0x0200, new Uint8Array(0)).serial; // the client's next serial (that frame is not sent)
          const finish = () => {
            clearTimeout(timer);
            c.socket.removeAllListeners('data');
            resolve();
          };
          const timer = setTimeout(() => {
            r.errors += sends - answered;
            finish();
          }, 120_000);
          const at = (k: number) => position(d, task.baseMs, task.t0Ms + k * 1000);
          const encoder = new PositionFrameEncoder(c.phone, c.version, at(0));
          encoder.check(first, at(0));
          encoder.check(first + n - 1, at(n - 1));
          const fill = () => {
            const k = Math.min(sends, answered + task.window) - sent;
            if (k <= 0) return;
            const out = Buffer.allocUnsafe(k * encoder.maxWireBytes);
            let o = 0;
            for (let j = 0; j < k; j++, sent++)
              o = encoder.encodeInto((first + sent) & 0xffff, at(order[sent]!), out, o);
            c.socket.write(out.subarray(0, o));
          };
          c.socket.removeAllListeners('data');
          c.socket.on('data', (chunk: Buffer) => {
            for (const f of splitter.push(chunk)) {
              const a = readGeneralResponse(f);
              // Sends are numbered from `first` (mod 2^16); the window keeps them well inside one wrap.
              let i = a ? (a.replySerial - (first & 0xffff) + 0x10000) % 0x10000 : -1;
              while (i >= 0 && i + 0x10000 < sent && answeredSend[i] === 1) i += 0x10000;
              if (!a || a.replyMsgId !== 0x0200 || i >= sent || answeredSend[i] !== 0) {
                r.errors++;
                continue;
              }
              answeredSend[i] = 1;
              answered++;
              if (a.result === 0) {
                r.acked++;
                const fix = order[i]!;
                if (ackedFix[fix] === 0) {
                  ackedFix[fix] = 1;
                  r.uniqueAcked++;
                }
              } else r.refused++;
            }
            if (answered === sends) finish();
            else fill();
          });
          c.closedPromise.then(() => {
            if (answered < sends) {
              r.errors += sends - answered;
              answered = sends;
              finish();
            }
          });
          fill();
        }),
    ),
  );
  r.elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  r.cpuMs = (used.user + used.system) / 1000;
  for (const c of clients) c.destroy();
  return r;
}

/** Keep-alive HTTP/1.1 connections for the JSON load (node:http: far less client CPU per request than fetch). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function postJson(
  url: string,
  token: string,
  payload: string,
  timeoutMs: number,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function runJson(task: Extract<LoadTask, { kind: 'json' }>, go: Promise<void>): Promise<LoadResult> {
  process.send!({ type: 'ready' });
  await go;
  const every = task.resendEvery ?? 0;
  const position = positionsOf(task);
  const r: LoadResult = {
    elapsedMs: 0,
    fixes: task.tokens.length * task.fixesPerDevice,
    sent: 0,
    acked: 0,
    uniqueAcked: 0,
    refused: 0,
    errors: 0,
    cpuMs: 0,
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    task.tokens.map(async (token, d) => {
      for (let k = 0; k < task.fixesPerDevice; k += task.batch) {
        const n = Math.min(task.batch, task.fixesPerDevice - k);
        // The body is written as text (the same numbers as JSON.stringify of the rounded values would carry).
        // Every `every`-th fix is in the batch twice: its copy follows it (a resend the server must store once).
        let payload = '{"positions":[';
        let items = 0;
        for (let j = 0; j < n; j++) {
          const p = position(100_000 + d, task.baseMs, task.t0Ms + (k + j) * 1000);
          const item = `{"time":${p.timeMs},"lat":${p.lat.toFixed(6)},"lon":${p.lon.toFixed(6)},"speedKph":${p.speedKph},"headingDeg":${p.headingDeg},"altitudeM":${p.altitudeM}}`;
          payload += `${items++ ? ',' : ''}${item}`;
          if (every > 0 && (k + j + 1) % every === 0) {
            payload += `,${item}`;
            items++;
          }
        }
        payload += ']}';
        r.sent += items;
        for (let attempt = 0; attempt < 50; attempt++) {
          try {
            const res = await postJson(task.url, token, payload, 60_000);
            if (res.status >= 200 && res.status < 300) {
              const body = JSON.parse(res.body) as { accepted?: number; items?: { duplicate?: boolean }[] };
              r.acked += body.accepted ?? 0;
              let dup = 0;
              for (const it of body.items ?? []) if (it.duplicate) dup++;
              r.uniqueAcked += (body.accepted ?? 0) - dup;
              break;
            }
            r.refused++;
            if (res.status !== 503) break;
            // Busy or down: resend after the server's Retry-After (capped: this is a bounded benchmark).
            await new Promise((x) => setTimeout(x, Math.min(1000, 1000 * (Number(res.headers['retry-after']) || 0.2))));
          } catch {
            r.errors++;
            break;
          }
        }
      }
    }),
  );
  r.elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  r.cpuMs = (used.user + used.system) / 1000;
  return r;
}

if (process.send) {
  let release!: () => void;
  const go = new Promise<void>((res) => (release = res));
  process.on('message', (m: { type: string; task?: LoadTask }) => {
    if (m.type === 'go') release();
    if (m.type === 'task' && m.task) {
      const task = m.task;
      (task.kind === 'jt808' ? runJt808(task, go) : runJson(task, go))
        .then((result) => {
          process.send!({ type: 'done', result }, () => process.exit(0));
        })
        .catch((err: Error) => {
          process.send!({ type: 'error', message: err.stack ?? err.message }, () => process.exit(1));
        });
    }
  });
}
