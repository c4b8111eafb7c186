// The ingest of a stateless JT/T 808 gateway: every call goes to the Worker over one WebSocket
// (src/runtime/worker/gateway-protocol.ts), which hands fixes to the bus's Durable Object. A call resolves when the
// Worker answers — for fixes, after the object's commit — so the JT/T 808 server acknowledges (0x8001 result 0) only
// stored data. While the link is down, or a call is not answered in time, calls fail with StorageUnavailableError:
// the terminal is answered result 1 and keeps its data. The link reconnects by itself.
// Its metrics (the gateway's /metrics, src/runtime/gateway/http.ts) say whether the link is up, how often it was lost,
// how many calls wait for an answer, and how calls ended and how long they took, by operation.
import WebSocket from 'ws';
import type { DeviceEvent, Fix, Protocol } from '../../core/fix';
import type { Jt808RegistrationFacts } from '../../ingest/jt808/registration';
import type { Logger } from '../../logging';
import { Metrics } from '../../pipeline/metrics';
import { type DeviceInfo, type Ingest, StorageUnavailableError, type SubmitResult } from '../../pipeline/types';
import { GATEWAY_PATH, type GatewayReply, type GatewayRequest } from '../worker/gateway-protocol';

type Body = GatewayRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface WorkerIngestOptions {
  /** the Worker's base URL (http(s)://…); the link goes to ws(s)://…/api/v1/gateway */
  workerUrl: string;
  token: string;
  log: Logger;
  /** a call not answered within this time fails (the terminal resends) */
  callTimeoutMs?: number;
  reconnectMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  op: GatewayRequest['op'];
  startMs: number;
}

/** How a call ended: answered, refused by the Worker (storage or otherwise), not answered in time, link down/lost. */
type CallResult = 'ok' | 'error' | 'storage' | 'timeout' | 'link_down';

/** The link to the Worker as an operator sees it (the gateway's /healthz). */
export interface WorkerLinkState {
  up: boolean;
  /** when the link last went up or down (start-up counts as down) */
  sinceMs: number;
  /** times an open link was lost */
  drops: number;
  callsInFlight: number;
}

export class WorkerIngest implements Ingest {
  readonly metrics = new Metrics();
  private ws?: WebSocket;
  private open = false;
  private openSinceMs = Date.now();
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly rejected = this.metrics.counter(
    'busguard_fixes_rejected_total',
    'Fixes and inputs refused, by protocol and reason',
  );
  private readonly linkDrops = this.metrics.counter(
    'busguard_gateway_worker_link_drops_total',
    'Times the gateway lost an open WebSocket link to the Worker',
  );
  private readonly calls = this.metrics.counter(
    'busguard_gateway_calls_total',
    'Calls from the gateway to the Worker, by operation and result (ok, error, storage, timeout, link_down)',
  );
  private readonly callMs = this.metrics.summary(
    'busguard_gateway_call_duration_ms',
    'Time until the Worker answered a call (answered calls only), by operation',
  );
  private readonly deviceCache = new Map<string, { info: DeviceInfo | undefined; expiresMs: number }>();

  constructor(private readonly opts: WorkerIngestOptions) {
    this.metrics.gauge(
      'busguard_gateway_worker_link_up',
      'Whether the WebSocket link to the Worker is open (1) or not (0)',
      () => (this.open ? 1 : 0),
    );
    this.metrics.gauge(
      'busguard_gateway_calls_in_flight',
      'Calls sent to the Worker and not answered yet',
      () => this.pending.size,
    );
    this.linkDrops.inc({}, 0); // a 0 sample from the start, so rate() and alerts see the series
    this.connect();
  }

  /** The link's state now (the gateway's /healthz). */
  link(): WorkerLinkState {
    return { up: this.open, sinceMs: this.openSinceMs, drops: this.linkDrops.get(), callsInFlight: this.pending.size };
  }

  /** Resolves once the link is up (start-up, tests). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.open) {
      if (Date.now() > deadline) throw new Error('gateway link to the Worker not up');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private connect(): void {
    if (this.closed) return;
    const url = new URL(GATEWAY_PATH, this.opts.workerUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.opts.token}` } });
    this.ws = ws;
    ws.on('open', () => {
      this.open = true;
      this.openSinceMs = Date.now();
      this.opts.log.info('gateway linked to the Worker', { url: url.toString() });
    });
    ws.on('message', (data) => {
      let reply: GatewayReply;
      try {
        reply = JSON.parse(data.toString()) as GatewayReply;
      } catch {
        return;
      }
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      this.count(p, reply.ok ? 'ok' : reply.storage ? 'storage' : 'error');
      if (reply.ok) p.resolve(reply.result);
      else if (reply.storage) p.reject(new StorageUnavailableError(reply.message, reply.retryAfterS, reply.reason));
      else p.reject(new Error(reply.message));
    });
    ws.on('error', (err) => this.opts.log.warn('gateway link error', { error: String(err) }));
    ws.on('unexpected-response', (_req, res) => {
      this.opts.log.error('gateway link refused by the Worker', { status: res.statusCode });
      ws.terminate();
    });
    ws.on('close', () => {
      if (this.open) {
        this.open = false;
        this.openSinceMs = Date.now();
        if (!this.closed) {
          this.linkDrops.inc();
          this.opts.log.warn('gateway link to the Worker lost', { callsInFlight: this.pending.size });
        }
      }
      // Calls in flight are not known to be stored: the terminals get result 1 and resend.
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.count(p, 'link_down');
        p.reject(new StorageUnavailableError('gateway link to the Worker lost'));
        this.pending.delete(id);
      }
      if (!this.closed) setTimeout(() => this.connect(), this.opts.reconnectMs ?? 1000).unref();
    });
  }

  private count(p: Pending, result: CallResult): void {
    this.calls.inc({ op: p.op, result });
    if (result === 'ok' || result === 'storage' || result === 'error')
      this.callMs.observe(Date.now() - p.startMs, { op: p.op });
  }

  private call<T>(body: Body): Promise<T> {
    const ws = this.ws;
    const op = body.op;
    if (!this.open || !ws) {
      this.calls.inc({ op, result: 'link_down' });
      return Promise.reject(new StorageUnavailableError('gateway link to the Worker is down'));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.pending.get(id);
        this.pending.delete(id);
        if (p) this.count(p, 'timeout');
        reject(new StorageUnavailableError('the Worker did not answer in time'));
      }, this.opts.callTimeoutMs ?? 15_000);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, op, startMs: Date.now() });
      ws.send(JSON.stringify({ id, ...body }));
    });
  }

  async lookupDevice(protocol: Protocol, identifier: string): Promise<DeviceInfo | undefined> {
    const key = `${protocol}:${identifier}`;
    const hit = this.deviceCache.get(key);
    if (hit && hit.expiresMs > Date.now()) return hit.info;
    const info = (await this.call<DeviceInfo | null>({ op: 'lookupDevice', protocol, identifier })) ?? undefined;
    if (this.deviceCache.size > 50_000) this.deviceCache.clear();
    this.deviceCache.set(key, { info, expiresMs: Date.now() + (info ? 30_000 : 5000) });
    return info;
  }

  submitFixes(device: DeviceInfo, fixes: Fix[], receivedMs: number): Promise<SubmitResult> {
    if (fixes.length === 0) return Promise.resolve({ outcomes: [] });
    return this.call<SubmitResult>({ op: 'submitFixes', device, fixes, receivedMs });
  }

  async submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void> {
    await this.call<null>({ op: 'submitEvents', device, events, receivedMs });
  }

  registrationFacts(device: DeviceInfo, plate: string): Promise<Jt808RegistrationFacts> {
    return this.call<Jt808RegistrationFacts>({ op: 'registrationFacts', device, plate });
  }

  async completeRegistration(device: DeviceInfo, authCode: string): Promise<boolean> {
    const stored = await this.call<boolean>({ op: 'completeRegistration', device, authCode });
    this.deviceCache.delete(`${device.protocol}:${device.identifier}`);
    return stored;
  }

  countRejected(protocol: Protocol, reason: string, n = 1): void {
    this.rejected.inc({ protocol, reason }, n);
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const done = new Promise<void>((r) => ws.once('close', () => r()));
    ws.close();
    await done;
  }
}
