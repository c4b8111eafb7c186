// Fleet simulator: drives buses along the routes in the registry and reports their positions to a running
// busguard over loopback, in each device's protocol (JT/T 808 over TCP, OsmAnd over HTTP, JSON batches).
// The command line is scripts/simulate.ts (`npm run simulate -- --help`); the server's demo mode runs it too
// (src/runtime/node/demo-simulator.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminalPosition } from './jt808-terminal';
import { SimAttendant } from './attendant';
import { Api, loadFleet, type SimBus, type SimProtocol } from './fleet';
import { BusMotion, RoutePath } from './route-motion';
import { createSender, type Sender, type SenderStats } from './senders';
import { createJt808Credentials } from './auth-codes';

export interface SimulateOptions {
  apiUrl: string;
  token: string;
  jt808Host: string;
  jt808Port: number;
  osmandUrl: string;
  buses?: number;
  protocol?: SimProtocol;
  speedup: number;
  durationS: number;
  intervalS: number;
  seed: number;
  overspeed: boolean;
  detour: boolean;
  gpsDropout: boolean;
  blindArea: boolean;
  deviceOff: boolean;
  expiredDriverCard: boolean;
  deviceTokens: Map<string, string>;
  /** JT/T 808 auth codes known beforehand (the demo's provisioned secrets), by identifier. */
  jt808AuthCodes: Map<string, string>;
  /** Where terminals keep the auth codes they are issued; undefined = in memory for this run. */
  authCodeFile?: string;
  /** OsmAnd device passwords, by device identifier (the demo's are in DATA_DIR/demo-tokens.json). */
  deviceSecrets: Map<string, string>;
  /** Attendant tokens by attendant id: those buses' trips get a simulated attendant (check-in, boarding, sweep). */
  attendantTokens: Map<number, string>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function assertLoopback(what: string, host: string): void {
  if (!LOOPBACK.has(host)) throw new Error(`${what} must be a loopback address (got ${host})`);
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function num(args: string[], name: string, dflt: number, min: number, max: number): number {
  const v = arg(args, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number in [${min}, ${max}]`);
  return n;
}

export function parseArgs(args: string[], env: Record<string, string | undefined>): SimulateOptions {
  const apiUrl = arg(args, '--api') ?? `http://127.0.0.1:${env.PORT || 3000}`;
  const dataDir = env.DATA_DIR || './data';
  let deviceTokens = new Map<string, string>();
  const deviceSecrets = new Map<string, string>();
  const attendantTokens = new Map<number, string>();
  const jt808AuthCodes = new Map<string, string>();
  let token = arg(args, '--token') ?? env.BUSGUARD_TOKEN ?? env.ADMIN_TOKEN;
  try {
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo-tokens.json'), 'utf8')) as {
      tokens: { role: string; name: string; token: string; attendantId?: number }[];
      devices?: { protocol: string; identifier: string; secret?: string }[];
    };
    token ??= demo.tokens.find((t) => t.role === 'manager')?.token;
    // The demo prints one device token: the JSON partner feed's.
    const jsonDevice = demo.devices?.find((d) => d.protocol === 'json');
    const deviceToken = demo.tokens.find((t) => t.role === 'device')?.token;
    if (jsonDevice && deviceToken) deviceTokens = new Map([[jsonDevice.identifier, deviceToken]]);
    for (const d of demo.devices ?? [])
      if (d.protocol === 'osmand' && d.secret) deviceSecrets.set(d.identifier, d.secret);
    for (const d of demo.devices ?? [])
      if (d.protocol === 'jt808' && d.secret) jt808AuthCodes.set(d.identifier, d.secret);
    for (const t of demo.tokens)
      if (t.role === 'attendant' && t.attendantId != null) attendantTokens.set(t.attendantId, t.token);
  } catch {
    /* no demo tokens file */
  }
  if (!token) throw new Error('no API token: pass --token, set BUSGUARD_TOKEN, or run next to a demo DATA_DIR');
  const [jt808Host = '', jt808PortText] = (arg(args, '--jt808') ?? `127.0.0.1:${env.JT808_PORT || 6808}`).split(
    /:(?=\d+$)/,
  );
  let osmandUrl = arg(args, '--osmand') ?? `http://127.0.0.1:${env.OSMAND_PORT || 5055}/`;
  if (osmandUrl === 'api') osmandUrl = new URL('/osmand', apiUrl).toString();
  assertLoopback('--api', new URL(apiUrl).hostname);
  assertLoopback('--osmand', new URL(osmandUrl).hostname);
  assertLoopback('--jt808', jt808Host);
  const protocol = arg(args, '--protocol');
  if (protocol !== undefined && !['jt808', 'osmand', 'json'].includes(protocol))
    throw new Error('--protocol must be jt808, osmand or json');
  const busesText = arg(args, '--buses');
  return {
    apiUrl,
    token,
    jt808Host,
    jt808Port: Number(jt808PortText),
    osmandUrl,
    buses: busesText === undefined ? undefined : num(args, '--buses', 0, 1, 2000),
    protocol: protocol as SimProtocol | undefined,
    speedup: num(args, '--speedup', 1, 0.1, 1000),
    durationS: num(args, '--duration', 60, 1, 3600),
    intervalS: num(args, '--interval', 5, 1, 600),
    seed: num(args, '--seed', 1, 0, 2 ** 31),
    overspeed: args.includes('--overspeed'),
    detour: args.includes('--detour'),
    gpsDropout: args.includes('--gps-dropout'),
    blindArea: args.includes('--blind-area'),
    deviceOff: args.includes('--device-off'),
    expiredDriverCard: args.includes('--expired-driver-card'),
    deviceTokens,
    jt808AuthCodes,
    authCodeFile: arg(args, '--auth-codes') ?? (env.DATA_DIR ? join(env.DATA_DIR, 'jt808-auth-codes.json') : undefined),
    deviceSecrets,
    attendantTokens,
    log: (msg, fields) =>
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`),
  };
}

interface Running {
  bus: SimBus;
  motion: BusMotion;
  sender: Sender;
  /** Reports held while out of coverage (blind-area scenario). */
  stored: TerminalPosition[];
  online: boolean;
  off: boolean;
  /** The trip's simulated attendant, when the simulator has the attendant's token. */
  attendant?: SimAttendant;
  /** Sends in order, one at a time. */
  chain: Promise<void>;
  queued: number;
}

export interface SimulationSummary {
  buses: {
    busId: number;
    protocol: string;
    identifier: string;
    route: string;
    distanceM: number;
    stats: SenderStats;
    attendant?: SimAttendant['stats'];
  }[];
  total: SenderStats;
  simulatedS: number;
}

export async function simulate(o: SimulateOptions): Promise<SimulationSummary> {
  const api = new Api(o.apiUrl, o.token);
  const fleet = await loadFleet(api, {
    buses: o.buses,
    protocol: o.protocol,
    deviceTokens: o.deviceTokens,
    deviceSecrets: o.deviceSecrets,
    attendantTokens: o.attendantTokens,
    log: o.log,
  });
  if (fleet.length === 0) throw new Error('no bus to simulate');
  const jt808Credentials = createJt808Credentials({
    file: o.authCodeFile,
    known: o.jt808AuthCodes,
    openWindow: async (deviceId) => {
      await api.call('POST', `/api/v1/devices/${deviceId}/reregistration`, { validMinutes: 5 });
    },
    log: o.log,
  });
  const targets = {
    jt808Host: o.jt808Host,
    jt808Port: o.jt808Port,
    osmandUrl: o.osmandUrl,
    apiUrl: o.apiUrl,
    jt808Credentials,
  };
  const wallStart = Date.now();
  const simSpanS = o.durationS * o.speedup;
  // Device time = wall time at the end of the run; earlier by (speedup - 1) × elapsed before it.
  const simStartMs = Math.floor((wallStart - (o.speedup - 1) * o.durationS * 1000) / 1000) * 1000;
  const yesterday = new Date(wallStart - 86_400_000).toISOString().slice(0, 10);

  const running: Running[] = [];
  await Promise.all(
    fleet.map(async (bus, i) => {
      const motion = new BusMotion(new RoutePath(bus.path), bus.stops, {
        seed: o.seed * 1000 + i,
        overspeedKph: o.overspeed ? 75 : undefined,
        detourM: o.detour ? 400 : undefined,
      });
      const sender = createSender(bus, targets, o.log);
      try {
        await sender.start();
      } catch (err) {
        o.log('device could not come online; bus skipped', {
          busId: bus.busId,
          protocol: bus.protocol,
          error: String(err),
        });
        return;
      }
      const r: Running = {
        bus,
        motion,
        sender,
        stored: [],
        online: true,
        off: false,
        chain: Promise.resolve(),
        queued: 0,
      };
      if (bus.attendant) {
        r.attendant = new SimAttendant(api, bus.attendant, o.log);
        await r.attendant.checkIn(); // the attendant checks in before the bus sets off: the trip starts
      }
      running.push(r);
      if (bus.protocol === 'jt808') {
        const expired = o.expiredDriverCard;
        await sender.driverCard({
          timeMs: simStartMs,
          name: bus.driver?.name ?? 'SIM DRIVER',
          certificateNo: bus.driver?.certificateNo ?? `SIM${bus.busId}`.padEnd(18, '0'),
          validUntil: expired ? yesterday : (bus.driver?.certificateExpiry ?? '2030-12-31'),
        });
        if (expired)
          o.log('driver card with an expired certificate reported', { busId: bus.busId, validUntil: yesterday });
      } else if (o.expiredDriverCard) {
        o.log('driver cards are a JT/T 808 message; not sent for this bus', {
          busId: bus.busId,
          protocol: bus.protocol,
        });
      }
    }),
  );
  o.log('simulation started', {
    buses: running.length,
    speedup: o.speedup,
    durationS: o.durationS,
    simulatedS: simSpanS,
    firstDeviceTime: new Date(simStartMs).toISOString(),
  });

  const enqueue = (r: Running, job: () => Promise<void>, fixes = 1) => {
    if (r.queued > 2000) {
      r.sender.stats.unacked += fixes; // bounded: a stalled server does not grow the queue forever
      return;
    }
    r.queued++;
    r.chain = r.chain
      .then(job)
      .catch(() => {})
      .finally(() => r.queued--);
  };

  let simS = 0;
  const inWindow = (from: number, to: number) => simS >= from * simSpanS && simS < to * simSpanS;
  const deadline = wallStart + o.durationS * 1000;
  let lastProgress = wallStart;
  while (Date.now() < deadline) {
    const targetS = Math.min(simSpanS, Math.floor(((Date.now() - wallStart) / 1000) * o.speedup));
    while (simS < targetS) {
      simS++;
      for (const r of running) {
        r.motion.step();
        if (r.off || simS % o.intervalS !== 0) continue;
        const m = r.motion.sample();
        const p: TerminalPosition = {
          timeMs: simStartMs + simS * 1000,
          lat: m.lat,
          lon: m.lon,
          speedKph: m.speedKph,
          headingDeg: m.headingDeg,
          altitudeM: 10,
          doorOpen: m.atStop,
          acc: true,
          mileageKm: m.distanceM / 1000,
        };
        if (o.deviceOff && simS >= 0.8 * simSpanS) {
          r.off = true;
          o.log('device switched off', { busId: r.bus.busId });
          enqueue(r, () => r.sender.stop());
          continue;
        }
        if (o.gpsDropout && inWindow(0.4, 0.5)) {
          if (r.bus.protocol === 'jt808') enqueue(r, () => r.sender.report({ ...p, valid: false, speedKph: 0 }));
          continue;
        }
        if (o.blindArea && inWindow(0.6, 0.75)) {
          if (r.online) o.log('entered a blind area', { busId: r.bus.busId });
          r.online = false;
          r.stored.push(p);
          continue;
        }
        if (!r.online) {
          r.online = true;
          const back = r.stored.splice(0);
          o.log('back in coverage: back-filling', { busId: r.bus.busId, positions: back.length });
          enqueue(r, () => r.sender.backfill(back), back.length);
        }
        enqueue(r, () => r.sender.report(p));
        const att = r.attendant;
        if (att && m.atStop) enqueue(r, () => att.atStop(p), 0);
        if (att && m.done && !att.stats.swept) enqueue(r, () => att.sweep(p), 0);
      }
    }
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      o.log('progress', {
        simulatedS: simS,
        acked: running.reduce((n, r) => n + r.sender.stats.acked, 0),
        queued: running.reduce((n, r) => n + r.queued, 0),
      });
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  // Let in-flight reports finish (bounded); a trip the run leaves unfinished ends with the attendant's sweep
  // (the demo never leaves a trip that would raise a false "child left on board" alarm); then go offline.
  await Promise.race([Promise.all(running.map((r) => r.chain)), new Promise((res) => setTimeout(res, 10_000))]);
  for (const r of running) {
    const m = r.motion.sample();
    if (r.attendant && !r.attendant.stats.swept)
      await r.attendant.sweep(
        { lat: m.lat, lon: m.lon, timeMs: simStartMs + simS * 1000 },
        // (a trip the engine has not yet seen reach its last stop is ended explicitly, with the reason)
        'the demo run ended',
      );
  }
  await Promise.race([Promise.all(running.map((r) => r.chain)), new Promise((res) => setTimeout(res, 10_000))]);
  await Promise.race([Promise.all(running.map((r) => r.sender.stop())), new Promise((res) => setTimeout(res, 5_000))]);

  const total: SenderStats = {
    sent: 0,
    acked: 0,
    refused: 0,
    resent: 0,
    errors: 0,
    backfilled: 0,
    unacked: 0,
    reconnects: 0,
  };
  const buses = running.map((r) => {
    for (const k of Object.keys(total) as (keyof SenderStats)[]) total[k] += r.sender.stats[k];
    return {
      busId: r.bus.busId,
      protocol: r.bus.protocol,
      identifier: r.bus.identifier,
      route: r.bus.routeName,
      distanceM: Math.round(r.motion.sample().distanceM),
      stats: { ...r.sender.stats },
      ...(r.attendant ? { attendant: { ...r.attendant.stats } } : {}),
    };
  });
  return { buses, total, simulatedS: simS };
}
