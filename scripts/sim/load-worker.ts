// Load generator for the ingest benchmark, run as a child process (its own core, so the server under test
// does not share an event loop with its clients). Driven over IPC:
//   parent → { type: 'task', task }          child → { type: 'ready' } once connected and authenticated
//   parent → { type: 'go' }                   child → { type: 'done', result }
// Positions: device i moves east at ~10 m/s along its own parallel; its position is a function of the
// device time, so runs that continue in time stay plausible for the pipeline's jump filter.
import { encodePositionBody, Jt808TerminalClient, type TerminalPosition } from './jt808-terminal';

export type LoadTask =
  | { kind: 'jt808'; port: number; phones: string[]; fixesPerDevice: number; baseMs: number; t0Ms: number; window: number }
  | { kind: 'json'; url: string; tokens: string[]; fixesPerDevice: number; baseMs: number; t0Ms: number; batch: number };

export interface LoadResult {
  elapsedMs: number;
  fixes: number;
  acked: number;
  refused: number;
  errors: number;
  /** CPU time the load generator used during the measured phase (user + system). */
  cpuMs: number;
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
        await fn(items[i], i);
      }
    }),
  );
}

async function runJt808(task: Extract<LoadTask, { kind: 'jt808' }>, go: Promise<void>): Promise<LoadResult> {
  const clients: Jt808TerminalClient[] = [];
  await pool(task.phones, 50, async (phone, i) => {
    const c = await Jt808TerminalClient.connect(task.port, phone);
    const reg = await c.register({}, 30_000);
    if (reg.result !== 0 || !reg.authCode) throw new Error(`register ${phone}: result ${reg.result}`);
    const auth = await c.authenticate(reg.authCode, 30_000);
    if (auth.result !== 0) throw new Error(`auth ${phone}: result ${auth.result}`);
    clients[i] = c;
  });
  process.send!({ type: 'ready' });
  await go;
  const r: LoadResult = { elapsedMs: 0, fixes: task.phones.length * task.fixesPerDevice, acked: 0, refused: 0, errors: 0, cpuMs: 0 };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    clients.map(async (c, d) => {
      // Up to `window` reports in flight per terminal (a terminal back-filling its store pipelines them).
      let sent = 0;
      const inflight = new Set<Promise<void>>();
      while (sent < task.fixesPerDevice) {
        while (inflight.size < task.window && sent < task.fixesPerDevice) {
          const body = encodePositionBody(benchPosition(d, task.baseMs, task.t0Ms + sent * 1000));
          sent++;
          const p: Promise<void> = c
            .request(0x0200, body, 60_000)
            .then((rep) => {
              if (rep.result === 0) r.acked++;
              else r.refused++;
            })
            .catch(() => {
              r.errors++;
            })
            .finally(() => inflight.delete(p));
          inflight.add(p);
        }
        await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  r.elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  r.cpuMs = (used.user + used.system) / 1000;
  for (const c of clients) c.destroy();
  return r;
}

async function runJson(task: Extract<LoadTask, { kind: 'json' }>, go: Promise<void>): Promise<LoadResult> {
  process.send!({ type: 'ready' });
  await go;
  const r: LoadResult = { elapsedMs: 0, fixes: task.tokens.length * task.fixesPerDevice, acked: 0, refused: 0, errors: 0, cpuMs: 0 };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    task.tokens.map(async (token, d) => {
      for (let k = 0; k < task.fixesPerDevice; k += task.batch) {
        const n = Math.min(task.batch, task.fixesPerDevice - k);
        const positions = Array.from({ length: n }, (_, j) => {
          const p = benchPosition(100_000 + d, task.baseMs, task.t0Ms + (k + j) * 1000);
          return { time: p.timeMs, lat: Number(p.lat.toFixed(6)), lon: Number(p.lon.toFixed(6)), speedKph: p.speedKph, headingDeg: p.headingDeg, altitudeM: p.altitudeM };
        });
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            const res = await fetch(task.url, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ positions }),
              signal: AbortSignal.timeout(60_000),
            });
            const body = (await res.json()) as { accepted?: number };
            if (res.ok) {
              r.acked += body.accepted ?? 0;
              break;
            }
            r.refused += n;
            if (res.status !== 503) break;
            await new Promise((x) => setTimeout(x, 200));
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
