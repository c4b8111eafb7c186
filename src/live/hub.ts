// The runtime-neutral live hub: connections authenticate (a token on the upgrade or a first `auth` message), then
// subscribe to topics they may see; topic messages are stamped by the sequencer, carried by the fan-out, and
// delivered to local subscribers. Sinks are plain { send, close } objects; the transport (ws on Node, a Durable
// Object on Workers) only moves text.
//
// Slow consumers: while a sink's bufferedAmount is above the high-water mark, messages wait in a per-connection
// queue where a newer position/eta of a topic replaces the queued older one; past the byte or length limit the
// connection is closed (4429), so a client that stops reading cannot grow server memory without bound.
import type { Revocation } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import type { Logger } from '../logging';
import { InProcessFanout, type LiveFanout } from './fanout';
import {
  type LiveMessage,
  type LiveMessageType,
  type LivePublisher,
  type PublishOptions,
  type SeqTicket,
  wireText,
} from './messages';
import { TopicSequencer } from './sequencer';
import { parseTopic, type Topic } from './topics';

export interface LiveSink {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes accepted by send() but not yet written to the network (ws: socket.bufferedAmount). */
  bufferedAmount?(): number;
}

export type Authorization =
  { ok: true } | { ok: false; status: 403 | 404; code: 'forbidden' | 'not_found'; message: string };

export interface HubLimits {
  /** above this many buffered bytes in the sink, messages queue in the hub (and positions conflate) */
  highWaterBytes: number;
  /** sink buffer + hub queue above this closes the connection */
  maxBufferedBytes: number;
  /** queued messages above this closes the connection */
  maxQueuedMessages: number;
  /** topics one session may follow (parents, attendants, devices) */
  maxSubscriptions: number;
  /**
   * topics one session of the office may follow (admin, supervisor, manager): the dashboard follows every school's
   * violations and the buses on its map, so a district's supervisor needs more than a parent does
   */
  maxStaffSubscriptions: number;
  /** a connection that has not authenticated by then is closed */
  authTimeoutMs: number;
  /** largest accepted client message, characters */
  maxInboundChars: number;
  /** how often the credentials of open sessions are checked again (a token revoked or a user disabled elsewhere) */
  credentialCheckMs: number;
}

export const DEFAULT_LIMITS: HubLimits = {
  highWaterBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxQueuedMessages: 1000,
  maxSubscriptions: 50,
  maxStaffSubscriptions: 1000,
  authTimeoutMs: 10_000,
  maxInboundChars: 16 * 1024,
  credentialCheckMs: 5000,
};

const STAFF_ROLES: ReadonlySet<Principal['role']> = new Set(['admin', 'supervisor', 'manager']);

/** How many topics one session of this caller may follow. */
export function subscriptionLimit(limits: HubLimits, principal: Principal): number {
  return STAFF_ROLES.has(principal.role) ? limits.maxStaffSubscriptions : limits.maxSubscriptions;
}

export interface HubOptions {
  log: Logger;
  now: () => number;
  fanout?: LiveFanout;
  authenticate(token: string): Promise<Principal | undefined>;
  authorize(principal: Principal, topic: Topic, name: string): Promise<Authorization>;
  /** Notices of this principal on a topic after `afterSeq` (resume); only notices are replayed. */
  replay?(principal: Principal, topic: Topic, afterSeq: number): Promise<LiveMessage[]>;
  /** Called when a message carrying an audience (a notice) was handed to its guardian's sink. */
  onDelivered?(message: LiveMessage): void;
  /** Of these token ids, those still valid; sessions on the others are closed (4401). Without it no re-check runs. */
  validTokens?(tokenIds: number[]): Promise<Set<number>>;
  /** A revocation arrived through the fan-out (the token cache drops the token or user). */
  onRevocation?(revocation: Revocation): void;
  limits?: Partial<HubLimits>;
}

export const CLOSE_AUTH_FAILED = 4401;
export const CLOSE_AUTH_TIMEOUT = 4408;
export const CLOSE_SLOW_CONSUMER = 4429;
export const CLOSE_PROTOCOL = 4400;
export const CLOSE_GOING_AWAY = 1001;

interface Outgoing {
  text: string;
  /** `${topic}|${type}` for position/eta: a newer one replaces the queued older one */
  conflateKey?: string;
  message?: LiveMessage;
}

interface Subscription {
  /** live messages held while the missed notices are read from storage */
  held?: LiveMessage[];
  lastSeq: number;
}

const CONFLATED: ReadonlySet<LiveMessageType> = new Set(['position', 'eta']);
const SNAPSHOT_TOPICS_MAX = 20_000;

/** What a new subscriber gets at once: the latest position and ETA, and the trip's latest lifecycle event (started,
 * ended, cancelled), so a page that read the trip just before it started does not miss the start. */
function snapshotKeyOf(m: LiveMessage): LiveMessageType | null {
  if (CONFLATED.has(m.type)) return m.type;
  const event = (m.data as { event?: unknown } | null)?.event;
  return m.type === 'trip' && typeof event === 'string' && event.startsWith('trip.') ? 'trip' : null;
}

export class LiveConnection {
  principal?: Principal;
  readonly subs = new Map<string, Subscription>();
  private queue: Outgoing[] = [];
  private queuedChars = 0;
  private inbound: Promise<void> = Promise.resolve();
  private inboundPending = 0;
  private authTimer?: ReturnType<typeof setTimeout>;
  closed = false;

  constructor(
    private readonly hub: LiveHub,
    readonly sink: LiveSink,
    readonly id: number,
  ) {}

  get queuedMessages(): number {
    return this.queue.length;
  }
  get queuedBytes(): number {
    return this.queuedChars;
  }

  /** Text from the client. Messages are handled one at a time, in order. */
  receive(text: string): void {
    if (this.closed) return;
    if (++this.inboundPending > 32) return this.close(CLOSE_PROTOCOL, 'too many requests in flight');
    this.inbound = this.inbound
      .then(() => this.hub.handle(this, text))
      .catch((err) => this.hub.log.error('live message failed', { connection: this.id, error: String(err) }))
      .finally(() => this.inboundPending--);
  }

  /** The transport saw the socket close. */
  closedByPeer(): void {
    this.teardown();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.teardown();
    try {
      this.sink.close(code, reason);
    } catch {
      /* already gone */
    }
  }

  sendControl(obj: Record<string, unknown>): void {
    this.enqueue({ text: JSON.stringify({ ...obj, ts: this.hub.now() }) });
  }

  sendMessage(m: LiveMessage): void {
    const text = this.hub.wireTextOf(m);
    if (CONFLATED.has(m.type)) this.enqueue({ text, conflateKey: `${m.topic}|${m.type}`, message: m });
    else this.enqueue({ text, message: m });
  }

  /** Moves queued messages to the sink while its buffer is below the high-water mark. */
  flush(): void {
    const limits = this.hub.limits;
    while (this.queue.length && !this.closed && this.buffered() < limits.highWaterBytes) {
      const o = this.queue.shift()!;
      this.queuedChars -= o.text.length;
      this.write(o);
    }
  }

  setAuthTimer(ms: number): void {
    this.authTimer = setTimeout(() => {
      if (!this.principal) this.close(CLOSE_AUTH_TIMEOUT, 'authentication timeout');
    }, ms);
    this.authTimer.unref?.();
  }

  clearAuthTimer(): void {
    clearTimeout(this.authTimer);
  }

  private buffered(): number {
    try {
      return this.sink.bufferedAmount?.() ?? 0;
    } catch {
      return 0;
    }
  }

  private enqueue(o: Outgoing): void {
    if (this.closed) return;
    const limits = this.hub.limits;
    if (this.queue.length === 0 && this.buffered() < limits.highWaterBytes) {
      this.write(o);
      return;
    }
    if (o.conflateKey) {
      const i = this.queue.findIndex((q) => q.conflateKey === o.conflateKey);
      if (i >= 0) {
        // Drop the older one and append the newer at the end, so seqs stay in order on the wire.
        this.queuedChars -= this.queue[i]!.text.length;
        this.queue.splice(i, 1);
        this.hub.counters.conflated++;
      }
    }
    this.queue.push(o);
    this.queuedChars += o.text.length;
    if (this.queue.length > limits.maxQueuedMessages || this.queuedChars + this.buffered() > limits.maxBufferedBytes) {
      this.hub.counters.slowClosed++;
      this.hub.log.warn('live client too slow; disconnected', {
        connection: this.id,
        userId: this.principal?.userId,
        queued: this.queue.length,
        bytes: this.queuedChars + this.buffered(),
      });
      this.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
    }
  }

  private write(o: Outgoing): void {
    try {
      this.sink.send(o.text);
    } catch (err) {
      this.hub.log.warn('live send failed', { connection: this.id, error: String(err) });
      this.teardown();
      return;
    }
    this.hub.sentByType[o.message?.type ?? 'control']++;
    if (o.message?.audience) this.hub.delivered(o.message);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    this.queue = [];
    this.queuedChars = 0;
    this.hub.detach(this);
  }
}

export class LiveHub implements LivePublisher {
  readonly limits: HubLimits;
  readonly log: Logger;
  readonly counters = { conflated: 0, slowClosed: 0, refused: 0, revoked: 0 };
  /** Messages written to sockets, by type ('control': authenticated, subscribed, errors…). */
  readonly sentByType: Record<LiveMessageType | 'control', number> = {
    position: 0,
    eta: 0,
    notice: 0,
    trip: 0,
    violation: 0,
    control: 0,
  };
  private readonly sequencer: TopicSequencer;
  private readonly fanout: LiveFanout;
  private readonly unsubscribeFanout: () => void;
  private readonly unsubscribeRevocations: () => void;
  private readonly credentialTimer: ReturnType<typeof setInterval> | undefined;
  private checkingCredentials = false;
  private readonly connections = new Set<LiveConnection>();
  private readonly byTopic = new Map<string, Set<LiveConnection>>();
  /** latest position and eta per topic: sent to a new subscriber at once */
  private readonly snapshots = new Map<string, Map<LiveMessageType, LiveMessage>>();
  private nextId = 1;
  /** the wire text of the message being delivered: one JSON.stringify per message, not one per recipient */
  private lastWire: { message: LiveMessage; text: string } | undefined;

  constructor(private readonly opts: HubOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.log = opts.log;
    this.fanout = opts.fanout ?? new InProcessFanout();
    this.sequencer = new TopicSequencer({
      now: opts.now,
      emit: (m) => this.fanout.publish(m),
      onTimeout: (topic, seq) => opts.log.warn('live reservation timed out', { topic, seq }),
    });
    this.unsubscribeFanout = this.fanout.subscribe((m) => this.deliverLocal(m));
    this.unsubscribeRevocations = this.fanout.subscribeRevocations((r) => this.onRevocation(r));
    if (opts.validTokens) {
      this.credentialTimer = setInterval(() => void this.checkCredentials(), this.limits.credentialCheckMs);
      this.credentialTimer.unref?.();
    }
  }

  /** Credentials ended (on this instance): every instance closes the sessions that used them. */
  revoke(revocation: Revocation): void {
    this.fanout.publishRevocation(revocation);
  }

  private onRevocation(r: Revocation): void {
    try {
      this.opts.onRevocation?.(r);
    } catch (err) {
      this.log.warn('revocation handler failed', { error: String(err) });
    }
    for (const c of [...this.connections]) {
      const p = c.principal;
      if (p && (r.kind === 'token' ? p.tokenId === r.tokenId : p.userId === r.userId)) this.endSession(c);
    }
  }

  /** Re-checks the credentials of every open session (revoked, expired, user disabled or deleted anywhere). */
  async checkCredentials(): Promise<void> {
    if (this.checkingCredentials || !this.opts.validTokens) return;
    const ids = new Set<number>();
    for (const c of this.connections) if (c.principal) ids.add(c.principal.tokenId);
    if (ids.size === 0) return;
    this.checkingCredentials = true;
    try {
      const valid = await this.opts.validTokens([...ids]);
      for (const tokenId of ids) if (!valid.has(tokenId)) this.opts.onRevocation?.({ kind: 'token', tokenId });
      for (const c of [...this.connections])
        if (c.principal && ids.has(c.principal.tokenId) && !valid.has(c.principal.tokenId)) this.endSession(c);
    } catch (err) {
      // The database is unreachable: sessions stay (a revocation on this instance still closes them at once).
      this.log.warn('live credential check failed', { error: String(err) });
    } finally {
      this.checkingCredentials = false;
    }
  }

  private endSession(c: LiveConnection): void {
    this.counters.revoked++;
    this.log.info('live session closed: credentials ended', {
      connection: c.id,
      userId: c.principal?.userId,
      tokenId: c.principal?.tokenId,
    });
    c.sendControl({
      type: 'error',
      status: 401,
      code: 'unauthorized',
      message: 'Token revoked, expired or user disabled',
    });
    c.close(CLOSE_AUTH_FAILED, 'credentials revoked');
  }

  now(): number {
    return this.opts.now();
  }

  publish(topic: string, type: LiveMessageType, data: unknown, opts?: PublishOptions): void {
    this.sequencer.publish(topic, type, data, opts);
  }

  reserve(topic: string): SeqTicket {
    return this.sequencer.reserve(topic);
  }

  /** Whether anyone here listens to a topic (publishers may skip building messages nobody reads). */
  hasSubscribers(topic: string): boolean {
    return (this.byTopic.get(topic)?.size ?? 0) > 0;
  }

  /**
   * A new client. With a principal (token checked on the upgrade) it is authenticated at once; otherwise its first
   * message must be `{ type: 'auth', token }` within the auth timeout.
   */
  connect(sink: LiveSink, principal?: Principal): LiveConnection {
    const conn = new LiveConnection(this, sink, this.nextId++);
    this.connections.add(conn);
    if (principal) this.authenticated(conn, principal);
    else conn.setAuthTimer(this.limits.authTimeoutMs);
    return conn;
  }

  /** Moves queued messages of every connection whose sink has drained (call on a short timer or on drain). */
  flush(): void {
    for (const c of this.connections) if (c.queuedMessages) c.flush();
  }

  stats() {
    let queuedMessages = 0;
    let queuedBytes = 0;
    for (const c of this.connections) {
      queuedMessages += c.queuedMessages;
      queuedBytes += c.queuedBytes;
    }
    return {
      connections: this.connections.size,
      topics: this.byTopic.size,
      queuedMessages,
      queuedBytes,
      pendingReservations: this.sequencer.pendingCount(),
      sent: Object.values(this.sentByType).reduce((a, n) => a + n, 0),
      ...this.counters,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.credentialTimer);
    for (const c of [...this.connections]) c.close(CLOSE_GOING_AWAY, 'server shutting down');
    this.unsubscribeFanout();
    this.unsubscribeRevocations();
  }

  /** The session is signed in: it is told who it is and how many topics it may follow. */
  private authenticated(conn: LiveConnection, principal: Principal): void {
    conn.principal = principal;
    conn.sendControl({
      type: 'authenticated',
      role: principal.role,
      name: principal.name,
      maxTopics: subscriptionLimit(this.limits, principal),
    });
  }

  /** @internal */
  detach(conn: LiveConnection): void {
    this.connections.delete(conn);
    for (const topic of conn.subs.keys()) this.unsubscribe(conn, topic);
  }

  /** @internal */
  delivered(m: LiveMessage): void {
    try {
      this.opts.onDelivered?.(m);
    } catch (err) {
      this.log.warn('onDelivered failed', { error: String(err) });
    }
  }

  /** @internal One client message. */
  async handle(conn: LiveConnection, text: string): Promise<void> {
    if (conn.closed) return;
    if (text.length > this.limits.maxInboundChars) return conn.close(CLOSE_PROTOCOL, 'message too large');
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      return conn.sendControl({
        type: 'error',
        status: 400,
        code: 'bad_request',
        message: 'Messages are JSON objects with a type',
      });
    }
    const type = msg.type;
    if (type === 'ping') return conn.sendControl({ type: 'pong' });
    if (type === 'auth') return this.authenticate(conn, msg);
    if (!conn.principal) {
      conn.sendControl({
        type: 'error',
        status: 401,
        code: 'unauthorized',
        message: 'Authenticate first: { "type": "auth", "token": "…" }',
      });
      return;
    }
    if (type === 'subscribe') return this.subscribe(conn, msg);
    if (type === 'unsubscribe') {
      const topic = typeof msg.topic === 'string' ? msg.topic : '';
      if (conn.subs.has(topic)) this.unsubscribe(conn, topic);
      return conn.sendControl({ type: 'unsubscribed', topic });
    }
    conn.sendControl({
      type: 'error',
      status: 400,
      code: 'bad_request',
      message: `Unknown message type ${JSON.stringify(String(type)).slice(0, 40)}`,
    });
  }

  private async authenticate(conn: LiveConnection, msg: Record<string, unknown>): Promise<void> {
    if (conn.principal)
      return conn.sendControl({
        type: 'error',
        status: 400,
        code: 'already_authenticated',
        message: 'This connection is already authenticated',
      });
    const token = typeof msg.token === 'string' && msg.token.length <= 256 ? msg.token : undefined;
    const principal = token ? await this.opts.authenticate(token) : undefined;
    if (conn.closed) return;
    if (!principal) {
      this.counters.refused++;
      conn.sendControl({
        type: 'error',
        status: 401,
        code: 'unauthorized',
        message: 'Token is unknown, expired or revoked',
      });
      conn.close(CLOSE_AUTH_FAILED, 'unauthorized');
      return;
    }
    conn.clearAuthTimer();
    this.authenticated(conn, principal);
  }

  private async subscribe(conn: LiveConnection, msg: Record<string, unknown>): Promise<void> {
    const name = msg.topic;
    const topic = parseTopic(name);
    if (!topic || typeof name !== 'string') {
      this.counters.refused++;
      return conn.sendControl({
        type: 'error',
        status: 400,
        code: 'bad_topic',
        topic: typeof name === 'string' ? name.slice(0, 64) : null,
        message: 'Topics are trip:<id>, bus:<id> and school:<id>:violations',
      });
    }
    const lastSeq =
      typeof msg.lastSeq === 'number' && Number.isFinite(msg.lastSeq) && msg.lastSeq >= 0 ? msg.lastSeq : undefined;
    const most = subscriptionLimit(this.limits, conn.principal!);
    if (!conn.subs.has(name) && conn.subs.size >= most) {
      return conn.sendControl({
        type: 'error',
        status: 429,
        code: 'too_many_subscriptions',
        topic: name,
        message: `At most ${most} topics per connection`,
      });
    }
    let verdict: Authorization;
    try {
      verdict = await this.opts.authorize(conn.principal!, topic, name);
    } catch (err) {
      // Every subscribe gets an answer: the scope check could not run (database unreachable, …).
      this.log.warn('live authorization failed', { connection: conn.id, topic: name, error: String(err) });
      if (conn.closed) return;
      return conn.sendControl({
        type: 'error',
        status: 503,
        code: 'unavailable',
        topic: name,
        message: 'The subscription could not be checked; try again',
      });
    }
    if (conn.closed) return;
    if (!verdict.ok) {
      this.counters.refused++;
      return conn.sendControl({
        type: 'error',
        status: verdict.status,
        code: verdict.code,
        topic: name,
        message: verdict.message,
      });
    }
    const sub: Subscription = { lastSeq: lastSeq ?? 0 };
    const wantsReplay = lastSeq !== undefined && this.opts.replay !== undefined;
    if (wantsReplay) sub.held = [];
    conn.subs.set(name, sub);
    let set = this.byTopic.get(name);
    if (!set) this.byTopic.set(name, (set = new Set()));
    set.add(conn);
    conn.sendControl({ type: 'subscribed', topic: name, seq: this.sequencer.current(name) ?? null });

    // The latest position, ETA and trip lifecycle event at once (unless the client already had them).
    const snap = this.snapshots.get(name);
    const pending: LiveMessage[] = snap
      ? [...snap.values()].filter((m) => lastSeq === undefined || m.seq > lastSeq)
      : [];
    if (wantsReplay) {
      let missed: LiveMessage[] = [];
      try {
        missed = await this.opts.replay!(conn.principal!, topic, lastSeq!);
      } catch (err) {
        this.log.warn('live replay failed', { connection: conn.id, topic: name, error: String(err) });
        conn.sendControl({
          type: 'error',
          status: 503,
          code: 'replay_unavailable',
          topic: name,
          message: 'Missed notices could not be read; fetch them over REST',
        });
      }
      if (conn.closed || conn.subs.get(name) !== sub) return;
      pending.push(...missed, ...(sub.held ?? []));
      sub.held = undefined;
    }
    pending.sort((a, b) => a.seq - b.seq);
    for (const m of pending) this.sendTo(conn, sub, m);
  }

  private unsubscribe(conn: LiveConnection, topic: string): void {
    conn.subs.delete(topic);
    const set = this.byTopic.get(topic);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.byTopic.delete(topic);
  }

  private deliverLocal(m: LiveMessage): void {
    const key = snapshotKeyOf(m);
    if (key) {
      let snap = this.snapshots.get(m.topic);
      if (!snap) {
        if (this.snapshots.size >= SNAPSHOT_TOPICS_MAX) this.snapshots.delete(this.snapshots.keys().next().value!);
        this.snapshots.set(m.topic, (snap = new Map()));
      }
      snap.set(key, m);
    }
    const set = this.byTopic.get(m.topic);
    if (!set) return;
    for (const conn of set) {
      const sub = conn.subs.get(m.topic);
      if (!sub) continue;
      if (sub.held) {
        if (m.type === 'notice' || sub.held.length < 100) sub.held.push(m);
        continue;
      }
      this.sendTo(conn, sub, m);
    }
  }

  /** What goes on the wire for `m`, computed once for all its recipients (messages are not changed once sent). */
  wireTextOf(m: LiveMessage): string {
    const last = this.lastWire;
    if (last?.message === m) return last.text;
    const text = wireText(m);
    this.lastWire = { message: m, text };
    return text;
  }

  private sendTo(conn: LiveConnection, sub: Subscription, m: LiveMessage): void {
    if (m.seq <= sub.lastSeq) return; // already had it (replayed and live copies of one notice share the seq)
    if (m.audience && conn.principal?.guardianId !== m.audience.guardianId) return;
    sub.lastSeq = m.seq;
    conn.sendMessage(m);
  }
}

export function createHub(opts: HubOptions): LiveHub {
  return new LiveHub(opts);
}
