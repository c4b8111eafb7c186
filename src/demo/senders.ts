// One sender per simulated bus, speaking its device's protocol. Reports are sent in order, one request in
// flight per bus; a report the server refuses for storage (0x8001 result 1, HTTP 503) is kept and resent.
// A JT/T 808 terminal whose connection the server closed reconnects (authenticating with the code it was
// issued) before its next report. Every fix that never got a positive acknowledgement is counted in `unacked`.
import {
  encodeBatchBody,
  encodeDriverCardBody,
  encodePositionBody,
  Jt808TerminalClient,
  type TerminalPosition,
} from './jt808-terminal';
import type { Jt808Credentials } from './auth-codes';
import type { SimBus } from './fleet';

export interface SenderStats {
  sent: number;
  acked: number;
  refused: number;
  resent: number;
  errors: number;
  backfilled: number;
  /** Fixes never acknowledged (failed, refused past the retries, still pending at the end, or dropped). */
  unacked: number;
  /** JT/T 808: connections re-established after the server closed one. */
  reconnects: number;
}

export interface SenderTargets {
  jt808Host: string;
  jt808Port: number;
  /** Base URL of the OsmAnd endpoint (`http://127.0.0.1:5055/` or `http://127.0.0.1:3000/osmand`). */
  osmandUrl: string;
  apiUrl: string;
  /** JT/T 808 terminals' kept auth codes (and how to open a re-registration window). */
  jt808Credentials?: Jt808Credentials;
}

export interface Sender {
  readonly stats: SenderStats;
  start(): Promise<void>;
  /** A live report. */
  report(p: TerminalPosition): Promise<void>;
  /** Reports stored while out of coverage, sent late (JT/T 808: 0x0704 type 1). */
  backfill(ps: TerminalPosition[]): Promise<void>;
  /** JT/T 808 only: driver card inserted. */
  driverCard(card: { timeMs: number; name: string; certificateNo: string; validUntil: string }): Promise<void>;
  /** The device goes silent (switched off). */
  stop(): Promise<void>;
}

const newStats = (): SenderStats => ({
  sent: 0,
  acked: 0,
  refused: 0,
  resent: 0,
  errors: 0,
  backfilled: 0,
  unacked: 0,
  reconnects: 0,
});

export function createSender(
  bus: SimBus,
  targets: SenderTargets,
  log: (msg: string, f?: Record<string, unknown>) => void,
): Sender {
  if (bus.protocol === 'jt808') return new Jt808Sender(bus, targets, log);
  if (bus.protocol === 'osmand') return new OsmandSender(bus, targets, log);
  return new JsonSender(bus, targets, log);
}

class Jt808Sender implements Sender {
  readonly stats = newStats();
  private client: Jt808TerminalClient | undefined;
  /** Refused batches, kept for resending, with the number of fixes each holds. */
  private pending: { body: Uint8Array; fixes: number }[] = [];
  private off = false;
  private authCode: string | undefined;
  private lastConnectAttemptMs = 0;

  constructor(
    private readonly bus: SimBus,
    private readonly t: SenderTargets,
    private readonly log: (msg: string, f?: Record<string, unknown>) => void,
  ) {}

  /** Authenticates with the code the terminal keeps; registers (0x0100) only when it has none that works. */
  async start(): Promise<void> {
    this.client = await this.connect();
    this.log('jt808 terminal online', { busId: this.bus.busId, phone: this.bus.identifier });
  }

  /** Connects and authenticates: with the code issued earlier when there is one, else after registering. */
  private async connect(): Promise<Jt808TerminalClient> {
    this.lastConnectAttemptMs = Date.now();
    const c = await Jt808TerminalClient.connect(this.t.jt808Port, this.bus.identifier, { host: this.t.jt808Host });
    try {
      // The code kept from an earlier run (or this one), else the demo's provisioned one; register only without.
      const creds = this.t.jt808Credentials;
      const kept = this.authCode ?? creds?.code(this.bus.identifier);
      if (kept !== undefined && (await c.authenticate(kept)).result === 0) {
        this.authCode = kept;
        return c;
      }
      const plate = this.bus.plate ?? '';
      let reg = await c.register({ plate });
      if (reg.result === 3 && creds) {
        // The terminal holds a code this simulator does not have: a manager lets it register once more.
        await creds.openWindow(this.bus.deviceId);
        this.log('jt808 re-registration window opened', { busId: this.bus.busId, deviceId: this.bus.deviceId });
        reg = await c.register({ plate });
      }
      if (reg.result !== 0 || !reg.authCode) throw new Error(`registration refused (0x8100 result ${reg.result})`);
      creds?.remember(this.bus.identifier, reg.authCode);
      const auth = await c.authenticate(reg.authCode);
      if (auth.result !== 0) throw new Error(`authentication refused (result ${auth.result})`);
      this.authCode = reg.authCode;
      return c;
    } catch (err) {
      await c.close().catch(() => {});
      throw err;
    }
  }

  /** The open connection, reconnecting (at most once a second) when the server closed it. */
  private async connection(): Promise<Jt808TerminalClient | undefined> {
    if (this.client && !this.client.closed) return this.client;
    if (Date.now() - this.lastConnectAttemptMs < 1000) return undefined;
    try {
      this.client = await this.connect();
      this.stats.reconnects++;
      this.log('jt808 terminal reconnected', { busId: this.bus.busId, phone: this.bus.identifier });
      return this.client;
    } catch (err) {
      this.log('jt808 reconnect failed', {
        busId: this.bus.busId,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  private async request(msgId: number, body: Uint8Array, fixes: number): Promise<void> {
    if (this.off) return;
    this.stats.sent += fixes;
    const c = await this.connection();
    if (!c) {
      this.stats.errors++;
      this.stats.unacked += fixes;
      return;
    }
    // Resend what storage refused before, oldest first.
    while (this.pending.length > 0) {
      const r = await c.request(0x0704, this.pending[0]!.body).catch(() => undefined);
      if (!r || r.result !== 0) break;
      const done = this.pending.shift()!;
      this.stats.resent++;
      this.stats.acked += done.fixes;
      this.stats.unacked -= done.fixes;
    }
    const r = await c.request(msgId, body).catch((err: Error) => {
      this.stats.errors++;
      this.log('jt808 request failed', { busId: this.bus.busId, error: err.message });
      return undefined;
    });
    if (r?.result === 0) this.stats.acked += fixes;
    else {
      this.stats.unacked += fixes;
      if (r?.result === 1 && (msgId === 0x0200 || msgId === 0x0704)) {
        this.stats.refused += fixes;
        // A refused position goes into the blind-area store and is re-sent as a batch.
        if (this.pending.length < 1000)
          this.pending.push({ body: msgId === 0x0704 ? body : encodeBatchBody([body.subarray(0)], true), fixes });
      }
    }
  }

  report(p: TerminalPosition): Promise<void> {
    return this.request(0x0200, encodePositionBody(p), 1);
  }

  async backfill(ps: TerminalPosition[]): Promise<void> {
    // 0x0704 bodies stay within 1,023 bytes (3 + Σ (2 + body)); larger uploads would need subpackaging.
    let chunk: Uint8Array[] = [];
    let size = 3;
    const flush = async () => {
      if (chunk.length === 0) return;
      const before = this.stats.acked;
      await this.request(0x0704, encodeBatchBody(chunk, true), chunk.length);
      this.stats.backfilled += this.stats.acked - before;
      chunk = [];
      size = 3;
    };
    for (const p of ps) {
      const body = encodePositionBody(p);
      if (size + 2 + body.length > 1023) await flush();
      chunk.push(body);
      size += 2 + body.length;
    }
    await flush();
  }

  async driverCard(card: { timeMs: number; name: string; certificateNo: string; validUntil: string }): Promise<void> {
    await this.request(0x0702, encodeDriverCardBody({ ...card, inserted: true, issuer: 'SIM TRANSPORT' }), 0);
  }

  async stop(): Promise<void> {
    this.off = true;
    await this.client?.close();
  }
}

class OsmandSender implements Sender {
  readonly stats = newStats();
  private off = false;
  constructor(
    private readonly bus: SimBus,
    private readonly t: SenderTargets,
    private readonly log: (msg: string, f?: Record<string, unknown>) => void,
  ) {}

  async start(): Promise<void> {}

  private async send(p: TerminalPosition, backfill: boolean): Promise<void> {
    if (this.off) return;
    const q = new URLSearchParams({
      id: this.bus.identifier,
      lat: p.lat.toFixed(6),
      lon: p.lon.toFixed(6),
      timestamp: String(Math.floor(p.timeMs / 1000)),
      speed: ((p.speedKph ?? 0) / 1.852).toFixed(2),
      bearing: String(p.headingDeg ?? 0),
      altitude: String(p.altitudeM ?? 0),
      valid: p.valid === false ? 'false' : 'true',
    });
    if (this.bus.secret) q.set('password', this.bus.secret);
    const url = `${this.t.osmandUrl.replace(/\/$/, '')}/?${q}`;
    this.stats.sent++;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.ok) {
          this.stats.acked++;
          if (backfill) this.stats.backfilled++;
          return;
        }
        if (res.status !== 503) {
          this.stats.errors++;
          this.stats.unacked++;
          this.log('osmand report refused', { busId: this.bus.busId, status: res.status });
          return;
        }
        this.stats.refused++;
        await new Promise((r) => setTimeout(r, 500));
        this.stats.resent++;
      } catch (err) {
        this.stats.errors++;
        this.stats.unacked++;
        this.log('osmand request failed', { busId: this.bus.busId, error: String(err) });
        return;
      }
    }
    this.stats.unacked++; // still refused after the retries
  }

  report(p: TerminalPosition): Promise<void> {
    return this.send(p, false);
  }

  async backfill(ps: TerminalPosition[]): Promise<void> {
    for (const p of ps) await this.send(p, true);
  }

  async driverCard(): Promise<void> {}

  async stop(): Promise<void> {
    this.off = true;
  }
}

class JsonSender implements Sender {
  readonly stats = newStats();
  private off = false;
  constructor(
    private readonly bus: SimBus,
    private readonly t: SenderTargets,
    private readonly log: (msg: string, f?: Record<string, unknown>) => void,
  ) {}

  async start(): Promise<void> {}

  private async post(ps: TerminalPosition[], backfill: boolean): Promise<void> {
    if (this.off || ps.length === 0) return;
    const positions = ps.map((p) => ({
      time: new Date(p.timeMs).toISOString(),
      lat: Number(p.lat.toFixed(6)),
      lon: Number(p.lon.toFixed(6)),
      speedKph: p.speedKph ?? 0,
      headingDeg: (p.headingDeg ?? 0) % 360,
      ...(p.alarms?.length ? { alarms: p.alarms } : {}),
    }));
    this.stats.sent += ps.length;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await fetch(new URL('/api/v1/telemetry/positions', this.t.apiUrl), {
          method: 'POST',
          headers: { authorization: `Bearer ${this.bus.deviceToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ positions }),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.ok) {
          this.stats.acked += ps.length;
          if (backfill) this.stats.backfilled += ps.length;
          return;
        }
        if (res.status !== 503) {
          this.stats.errors++;
          this.stats.unacked += ps.length;
          this.log('json batch refused', { busId: this.bus.busId, status: res.status });
          return;
        }
        this.stats.refused += ps.length;
        await new Promise((r) => setTimeout(r, 500));
        this.stats.resent += ps.length;
      } catch (err) {
        this.stats.errors++;
        this.stats.unacked += ps.length;
        this.log('json request failed', { busId: this.bus.busId, error: String(err) });
        return;
      }
    }
    this.stats.unacked += ps.length; // still refused after the retries
  }

  report(p: TerminalPosition): Promise<void> {
    return this.post([p], false);
  }

  async backfill(ps: TerminalPosition[]): Promise<void> {
    for (let i = 0; i < ps.length; i += 500) await this.post(ps.slice(i, i + 500), true);
  }

  async driverCard(): Promise<void> {}

  async stop(): Promise<void> {
    this.off = true;
  }
}
