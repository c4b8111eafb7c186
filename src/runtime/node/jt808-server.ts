// JT/T 808 TCP server: sockets → frame splitter → session handler → ingest → replies.
//
// Per connection, frames are processed strictly in arrival order by one drain loop (a queue with one worker).
// Position, batch, driver-card and passenger-flow messages are acknowledged (0x8001 result 0) only after the
// ingest has committed them; when storage is unavailable they get result 1 and the terminal keeps its data.
// Consecutive frames already received are handed to the ingest as one submission (their acks still go out in
// frame order), which is what lets a terminal that pipelines its reports reach the database in batches.
//
// Registration and authentication need the registry: the handler's lookup is synchronous, so the device named
// by a 0x0100 / 0x0102 frame is resolved (asynchronously, through the ingest's cache) before that frame is
// handled, and the handler gets a lookup that closes over the resolved device. A registration issues a fresh
// auth code; its hash is stored before the 0x8100 carrying it is sent.
//
// Protection: connection limits (total and per remote address), an idle timeout, a garbage / bad-frame limit
// that closes the connection, a token bucket per connection (frames/s; excess frames are answered with result
// 1 and counted), a per-connection cap on frames waiting for the drain loop (reading pauses above it) and on
// unsent output (a peer that does not read is dropped).
import type { Metrics } from '../../pipeline/metrics';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { DeviceEvent, Fix } from '../../core/fix';
import {
  createJt808Session,
  encodeGeneralResponse,
  encodePendingAcksInto,
  PENDING_ACK_MAX_WIRE_BYTES,
  handleJt808Frame,
  Jt808FrameSplitter,
  JT808_MSG,
  normalizeJt808Phone,
  parseJt808Packet,
  type Jt808HandleResult,
  type Jt808HandlerContext,
  type Jt808Session,
  type Jt808TerminalInfo,
  type PendingAck,
} from '../../ingest/jt808';
import type { Logger } from '../../logging';
import { StorageUnavailableError, type DeviceInfo, type Ingest } from '../../pipeline/types';

export interface Jt808ServerLimits {
  /** Open connections at most; more are closed at once. Default 20,000. */
  maxConnections: number;
  /** Open connections per remote address at most (carrier NAT puts many terminals behind one). Default 256. */
  maxConnectionsPerAddress: number;
  /** A connection with no traffic for this long is closed. Default 5 minutes. */
  idleTimeoutMs: number;
  /** Bytes outside frames since the last good frame before the connection is closed. Default 4,096. */
  maxGarbageBytes: number;
  /** Unreadable frames (bad checksum, bad escape …) in a row before the connection is closed. Default 16. */
  maxBadFrames: number;
  /** Token bucket per connection: sustained frames per second … Default 50. */
  framesPerS: number;
  /** … and burst size. Default 500 (a terminal back-filling its blind-area store sends many at once). */
  burstFrames: number;
  /** Frames waiting for the drain loop at most; reading pauses above it. Default 512. */
  maxPendingFrames: number;
  /** Frames handed to the ingest in one submission at most. Default 256. */
  maxBatchFrames: number;
  /** Unsent output bytes at most before the peer is considered dead. Default 1 MiB. */
  maxWriteBufferBytes: number;
}

export const DEFAULT_JT808_LIMITS: Jt808ServerLimits = {
  maxConnections: 20_000,
  maxConnectionsPerAddress: 256,
  idleTimeoutMs: 5 * 60_000,
  maxGarbageBytes: 4096,
  maxBadFrames: 16,
  framesPerS: 50,
  burstFrames: 500,
  maxPendingFrames: 512,
  maxBatchFrames: 256,
  maxWriteBufferBytes: 1 << 20,
};

export interface Jt808ServerOptions {
  /** 0 = any free port (see the returned `port`). */
  port: number;
  host?: string;
  ingest: Ingest;
  log: Logger;
  now?: () => number;
  limits?: Partial<Jt808ServerLimits>;
}

export interface Jt808ServerStats {
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  closedIdle: number;
  closedGarbage: number;
  closedSlowReader: number;
  bytesIn: number;
  framesIn: number;
  badFrames: number;
  garbageBytes: number;
  rateLimitedFrames: number;
  /** Times a connection's reading was paused because its frames waited for storage. */
  readPauses: number;
  fixesAcked: number;
  fixesRefusedStorage: number;
  registrations: number;
  authentications: number;
  unknownTerminals: number;
}

export interface Jt808Server {
  port: number;
  stats(): Jt808ServerStats;
  /** Stops listening, closes every connection and waits for in-flight ingest calls to settle. */
  close(): Promise<void>;
}

/** SHA-256 hex, as the registry stores secrets. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const AUTH_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A fresh auth code: 16 characters from an unambiguous alphabet (80 bits). */
export function generateAuthCode(): string {
  const bytes = randomBytes(16);
  let s = '';
  for (const b of bytes) s += AUTH_CODE_ALPHABET[b & 31];
  return s;
}

function verifyAgainstHash(code: string, secretHash: string | null): boolean {
  if (!secretHash || secretHash.length !== 64) return false;
  const a = Buffer.from(sha256Hex(code), 'hex');
  const b = Buffer.from(secretHash.toLowerCase(), 'hex');
  return b.length === a.length && timingSafeEqual(a, b);
}

/** The unescaped message id of a wire frame, or -1 when the first bytes do not allow it. */
export function peekMsgId(wire: Uint8Array): number {
  let id = 0;
  let got = 0;
  for (let i = 1; i < wire.length - 1 && got < 2; i++) {
    let c = wire[i];
    if (c === 0x7d) {
      const n = wire[++i];
      if (n === 0x01) c = 0x7d;
      else if (n === 0x02) c = 0x7e;
      else return -1;
    }
    id = (id << 8) | c;
    got++;
  }
  return got === 2 ? id : -1;
}

interface QueuedFrame {
  wire: Uint8Array;
  /** Over the connection's rate: answered with result 1 without being handled. */
  limited: boolean;
}

interface Item {
  replies: Uint8Array[];
  fixes: Fix[];
  events: DeviceEvent[];
  pendingAcks: PendingAck[];
}

const MAX_DEVICES_PER_CONNECTION = 8;
// Shared empty lists (never added to).
const NO_REPLIES: Uint8Array[] = [];
const NO_FIXES: Fix[] = [];
const NO_EVENTS: DeviceEvent[] = [];
const NO_ACKS: PendingAck[] = [];

/** The fixes of items[from, to) in one array; the items let go of theirs (only the acks are needed later). */
function takeFixes(items: Item[], from: number, to: number): Fix[] {
  const fixes: Fix[] = [];
  for (let k = from; k < to; k++) {
    const it = items[k]!;
    for (const f of it.fixes) fixes.push(f);
    it.fixes = NO_FIXES;
  }
  return fixes;
}

/** Where a flush's replies are assembled before being copied out (one event loop: never in use twice at once). */
let outputScratch = Buffer.allocUnsafeSlow(16 * 1024);

export async function startJt808Server(opts: Jt808ServerOptions): Promise<Jt808Server> {
  const limits: Jt808ServerLimits = { ...DEFAULT_JT808_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const { ingest, log } = opts;
  const stats: Jt808ServerStats = {
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    closedIdle: 0,
    closedGarbage: 0,
    closedSlowReader: 0,
    bytesIn: 0,
    framesIn: 0,
    badFrames: 0,
    garbageBytes: 0,
    rateLimitedFrames: 0,
    readPauses: 0,
    fixesAcked: 0,
    fixesRefusedStorage: 0,
    registrations: 0,
    authentications: 0,
    unknownTerminals: 0,
  };
  const perAddress = new Map<string, number>();
  const connections = new Set<Connection>();
  let nextConnId = 1;

  class Connection {
    readonly id = nextConnId++;
    readonly remote: string;
    private readonly splitter = new Jt808FrameSplitter();
    private readonly queue: QueuedFrame[] = [];
    private session: Jt808Session = createJt808Session();
    /** Registry entries resolved on this connection, by normalized phone (null = not registered). */
    private readonly devices = new Map<string, DeviceInfo | null>();
    /** The device this connection has authenticated as. */
    private device: DeviceInfo | undefined;
    private running: Promise<void> | undefined;
    private closed = false;
    private paused = false;
    private tokens: number;
    private lastRefillMs: number;
    private garbageSinceGood = 0;
    private badInARow = 0;
    /** Set when the connection must close after answering the frames handled so far. */
    private closeRequested: string | undefined;
    /** The phone string of this connection's last pending ack (shared by the acks that follow). */
    private ackPhone = '';
    /** The handler's context, reused from frame to frame (its clock is set before each frame). */
    private readonly ctx: Jt808HandlerContext = { nowMs: 0, lookupTerminal: (id) => this.terminalInfo(id) };

    constructor(
      readonly socket: net.Socket,
      readonly address: string,
    ) {
      this.remote = `${address}:${socket.remotePort ?? ''}`;
      this.tokens = limits.burstFrames;
      this.lastRefillMs = now();
      socket.setNoDelay(true);
      socket.setTimeout(limits.idleTimeoutMs, () => {
        stats.closedIdle++;
        log.info('jt808 idle connection closed', { conn: this.id, remote: this.remote, deviceId: this.session.deviceId });
        this.close();
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => log.debug('jt808 socket error', { conn: this.id, error: err.message }));
      socket.on('close', () => this.onClose());
    }

    get drainPromise(): Promise<void> | undefined {
      return this.running;
    }

    close(): void {
      if (this.closed) return;
      this.closed = true;
      this.queue.length = 0;
      this.socket.destroy();
    }

    private onClose(): void {
      this.closed = true;
      this.queue.length = 0;
      this.splitter.flush();
      connections.delete(this);
      stats.connectionsOpen--;
      const n = (perAddress.get(this.address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(this.address);
      else perAddress.set(this.address, n);
      log.debug('jt808 connection closed', { conn: this.id, remote: this.remote, deviceId: this.session.deviceId });
    }

    private onData(chunk: Buffer): void {
      if (this.closed) return;
      stats.bytesIn += chunk.length;
      const garbageBefore = this.splitter.garbageBytes;
      const frames = this.splitter.push(chunk);
      const garbage = this.splitter.garbageBytes - garbageBefore;
      if (garbage > 0) {
        stats.garbageBytes += garbage;
        this.garbageSinceGood += garbage;
        if (this.garbageSinceGood > limits.maxGarbageBytes) {
          this.closeForGarbage(`${this.garbageSinceGood} garbage bytes without a good frame`);
          return;
        }
      }
      if (frames.length === 0) return;
      stats.framesIn += frames.length;
      const t = now();
      this.tokens = Math.min(limits.burstFrames, this.tokens + ((t - this.lastRefillMs) / 1000) * limits.framesPerS);
      this.lastRefillMs = t;
      for (const wire of frames) {
        let limited = false;
        if (this.tokens >= 1) this.tokens -= 1;
        else limited = true;
        this.queue.push({ wire, limited });
      }
      // Reading pauses when too many frames wait, and while the position queue is full (storage back-pressure:
      // this terminal's submissions wait for room instead of being refused); the drain loop resumes it.
      if (!this.paused && (this.queue.length >= limits.maxPendingFrames || ingest.storageFull?.() === true)) {
        this.paused = true;
        stats.readPauses++;
        this.socket.pause();
      }
      this.running ??= this.drain().finally(() => {
        this.running = undefined;
      });
    }

    private closeForGarbage(reason: string): void {
      stats.closedGarbage++;
      ingest.countRejected('jt808', 'garbage_connection');
      log.warn('jt808 connection closed: garbage', { conn: this.id, remote: this.remote, deviceId: this.session.deviceId, reason });
      this.close();
    }

    private async drain(): Promise<void> {
      try {
        while (this.queue.length > 0 && !this.closed) {
          const first = this.queue[0];
          const msgId = first.limited ? -1 : peekMsgId(first.wire);
          if (msgId === JT808_MSG.register || msgId === JT808_MSG.authenticate) {
            this.queue.shift();
            await this.handleRegistry(first.wire);
          } else {
            const batch: QueuedFrame[] = [];
            while (batch.length < limits.maxBatchFrames && this.queue.length > 0) {
              const q = this.queue[0];
              if (!q.limited) {
                const id = peekMsgId(q.wire);
                if (id === JT808_MSG.register || id === JT808_MSG.authenticate) break;
              }
              batch.push(this.queue.shift()!);
            }
            await this.handleBatch(batch);
          }
          if (this.paused && this.queue.length <= limits.maxPendingFrames / 2 && !this.closed) {
            this.paused = false;
            this.socket.resume();
          }
        }
      } catch (err) {
        log.error('jt808 connection failed', { conn: this.id, remote: this.remote, error: err instanceof Error ? err.stack : String(err) });
        this.close();
      }
    }

    /** Feeds one frame through the handler and does the bookkeeping shared by every kind of frame. */
    private handle(wire: Uint8Array): Jt808HandleResult {
      const ctx = this.ctx;
      ctx.nowMs = now();
      const res = handleJt808Frame(this.session, wire, ctx);
      this.session = res.session;
      if (res.dropped && !res.message) {
        stats.badFrames++;
        this.badInARow++;
        ingest.countRejected('jt808', res.dropped.code);
        log.warn('jt808 frame dropped', { conn: this.id, remote: this.remote, deviceId: this.session.deviceId, code: res.dropped.code, error: res.dropped.message });
        // Answered like any bad frame; the connection closes once what came before it is answered.
        if (this.badInARow > limits.maxBadFrames) this.closeRequested ??= `${this.badInARow} unreadable frames in a row`;
      } else {
        this.badInARow = 0;
        this.garbageSinceGood = 0;
        if (res.dropped) {
          ingest.countRejected('jt808', res.dropped.code);
          log.info('jt808 message refused', { conn: this.id, deviceId: res.message?.deviceId, code: res.dropped.code, error: res.dropped.message });
        }
      }
      if (!this.session.authenticated) this.device = undefined;
      return res;
    }

    private terminalInfo(deviceId: string): Jt808TerminalInfo | undefined {
      const d = this.devices.get(deviceId);
      if (!d) return undefined;
      return {
        tzOffsetMin: d.tzOffsetMin,
        verifyAuthCode: (code) => verifyAgainstHash(code, d.secretHash),
        issueAuthCode: generateAuthCode,
      };
    }

    /** 0x0100 / 0x0102: resolve the terminal, handle the frame, persist an issued auth code, then answer. */
    private async handleRegistry(wire: Uint8Array): Promise<void> {
      const parsed = parseJt808Packet(wire);
      let lookupFailed = false;
      if (parsed.ok) {
        const deviceId = normalizeJt808Phone(parsed.packet.header.phone);
        // Asked again at every registration / authentication (the ingest caches it), so a terminal added to
        // the registry or re-registered elsewhere is seen without reconnecting.
        try {
          const found = await ingest.lookupDevice('jt808', deviceId);
          if (this.devices.size >= MAX_DEVICES_PER_CONNECTION && !this.devices.has(deviceId)) this.devices.clear();
          this.devices.set(deviceId, found ?? null);
        } catch (err) {
          lookupFailed = true;
          log.warn('jt808 registry lookup failed', { conn: this.id, deviceId, error: String(err) });
        }
        if (this.closed) return;
        if (lookupFailed) {
          // Cannot tell who this is: authentication fails (result 1, the terminal retries); a registration
          // gets no answer rather than a wrong "not registered".
          if (parsed.packet.header.msgId === JT808_MSG.authenticate) {
            const res = handleJt808Frame(this.session, wire, {
              nowMs: now(),
              lookupTerminal: () => ({ verifyAuthCode: () => false, issueAuthCode: () => '' }),
            });
            this.session = res.session;
            this.device = undefined;
            this.write(res.replies);
          }
          return;
        }
      }
      const res = this.handle(wire);
      if (this.closed) return;
      if (this.closeRequested) {
        this.write(res.replies);
        this.closeForGarbage(this.closeRequested);
        return;
      }
      const deviceId = res.message?.deviceId;
      const device = deviceId !== undefined ? (this.devices.get(deviceId) ?? undefined) : undefined;
      if (res.message?.msgId === JT808_MSG.register && res.errors.some((e) => e.code === 'unknown_terminal')) {
        stats.unknownTerminals++;
        ingest.countRejected('jt808', 'unknown_terminal');
        log.warn('jt808 registration from an unknown terminal', { conn: this.id, remote: this.remote, deviceId });
      }
      if (res.issuedAuthCode !== undefined && device) {
        try {
          await ingest.saveAuthCode(device, res.issuedAuthCode);
        } catch (err) {
          log.warn('jt808 auth code not stored; registration unanswered', { conn: this.id, deviceId, error: String(err) });
          return;
        }
        this.devices.set(deviceId!, { ...device, secretHash: sha256Hex(res.issuedAuthCode) });
        stats.registrations++;
        log.info('jt808 terminal registered', { conn: this.id, deviceId });
      }
      if (res.message?.msgId === JT808_MSG.authenticate) {
        if (this.session.authenticated && device) {
          this.device = this.devices.get(deviceId!) ?? device;
          stats.authentications++;
          log.info('jt808 terminal authenticated', { conn: this.id, remote: this.remote, deviceId });
        } else if (!this.session.authenticated) {
          ingest.countRejected('jt808', device ? 'auth_failed' : 'unknown_terminal');
          log.warn('jt808 authentication refused', { conn: this.id, remote: this.remote, deviceId, known: !!device });
        }
      }
      const events = res.events.filter((e) => e.type !== 'authenticate');
      if (events.length && device) {
        try {
          await ingest.submitEvents(device, events, now());
        } catch (err) {
          log.warn('jt808 events not stored', { conn: this.id, deviceId, error: String(err) });
        }
      }
      if (this.closed) return;
      this.write(res.replies);
    }

    /**
     * Frames that need no registry look-up, handled in order and submitted together. While a submission waits for
     * its commit only what its answers need stays referenced (replies and pending acks): the frames and the decoded
     * fixes are dropped once submitted, so they die young instead of being copied by every scavenge of the wait.
     */
    private async handleBatch(batch: QueuedFrame[]): Promise<void> {
      const items: Item[] = [];
      const device = this.device;
      for (const q of batch) {
        if (this.closeRequested) break;
        if (q.limited) {
          items.push({ replies: this.refuseLimited(q.wire), fixes: NO_FIXES, events: NO_EVENTS, pendingAcks: NO_ACKS });
          continue;
        }
        const res = this.handle(q.wire);
        // Empty lists are swapped for shared ones and the terminal's phone string for the connection's copy:
        // what stays referenced until the commit is the item and its acks, nothing per frame besides.
        for (const a of res.pendingAcks) {
          if (a.phone === this.ackPhone) a.phone = this.ackPhone;
          else this.ackPhone = a.phone;
        }
        items.push({
          replies: res.replies.length ? res.replies : NO_REPLIES,
          fixes: res.fixes.length ? res.fixes : NO_FIXES,
          events: res.events.length ? res.events : NO_EVENTS,
          pendingAcks: res.pendingAcks.length ? res.pendingAcks : NO_ACKS,
        });
      }
      batch.length = 0; // the drain loop does not look at it again
      // Run: consecutive items whose only storage work is fixes go in one submission; events in order between.
      let i = 0;
      while (i < items.length && !this.closed) {
        const start = i;
        while (i < items.length && items[i].events.length === 0) i++;
        if (i > start) {
          const result = await this.storeFixes(device, takeFixes(items, start, i), i - start);
          if (this.closed) return;
          this.flushItems(items, start, i, result);
        }
        if (i < items.length) {
          const k = i++;
          const result = await this.storeEvents(device, items[k]);
          if (this.closed) return;
          this.flushItems(items, k, k + 1, result);
        }
      }
      if (this.closeRequested && !this.closed) this.closeForGarbage(this.closeRequested);
    }

    /** Not async on purpose: nothing here keeps `fixes` referenced while the ingest commits them. */
    private storeFixes(device: DeviceInfo | undefined, fixes: Fix[], frames: number): Promise<0 | 1> {
      if (fixes.length === 0) return Promise.resolve(0);
      if (!device) {
        // The handler emits fixes only for an authenticated session, which always has its device.
        log.error('jt808 fixes without an authenticated device', { conn: this.id, count: fixes.length });
        return Promise.resolve(1);
      }
      const count = fixes.length;
      let submitted: Promise<unknown>;
      try {
        submitted = ingest.submitFixes(device, fixes, now());
      } catch (err) {
        submitted = Promise.reject(err);
      }
      return submitted.then(
        () => {
          stats.fixesAcked += count;
          return 0 as const;
        },
        (err: unknown) => {
          stats.fixesRefusedStorage += count;
          if (err instanceof StorageUnavailableError) {
            log.warn('jt808 storage unavailable: positions refused (result 1)', { conn: this.id, deviceId: device.identifier, fixes: count, frames });
          } else {
            log.error('jt808 ingest failed: positions refused (result 1)', { conn: this.id, deviceId: device.identifier, error: err instanceof Error ? err.stack : String(err) });
          }
          return 1 as const;
        },
      );
    }

    private async storeEvents(device: DeviceInfo | undefined, item: Item): Promise<0 | 1> {
      const events = item.events.filter((e) => e.type !== 'authenticate');
      if (item.fixes.length) {
        const r = await this.storeFixes(device, item.fixes, 1);
        if (r !== 0) return r;
      }
      if (!device || events.length === 0) return 0;
      try {
        await ingest.submitEvents(device, events, now());
        return 0;
      } catch (err) {
        log.warn('jt808 events not stored (result 1)', { conn: this.id, deviceId: device.identifier, error: String(err) });
        return 1;
      }
    }

    /** The replies and acks of items[from, to), in frame order, in one buffer and one socket write. */
    private flushItems(items: Item[], from: number, to: number, result: 0 | 1): void {
      if (this.closed) return;
      let size = 0;
      for (let k = from; k < to; k++) {
        const it = items[k]!;
        for (const r of it.replies) size += r.length;
        size += it.pendingAcks.length * PENDING_ACK_MAX_WIRE_BYTES;
      }
      if (size === 0) return;
      // Encoded into a scratch buffer, then copied into a buffer of the exact size (the socket may keep it queued;
      // an upper-bound sized buffer would use up Node's small-buffer pool ~2.5 times faster).
      if (outputScratch.length < size) outputScratch = Buffer.allocUnsafeSlow(Math.max(size, outputScratch.length * 2));
      const scratch = outputScratch;
      let o = 0;
      for (let k = from; k < to; k++) {
        const it = items[k]!;
        for (const r of it.replies) {
          scratch.set(r, o);
          o += r.length;
        }
        if (it.pendingAcks.length) o = encodePendingAcksInto(it.pendingAcks, result, scratch, o);
      }
      const out = Buffer.allocUnsafe(o);
      scratch.copy(out, 0, 0, o);
      this.write([out]);
    }

    /** Answers a frame over the rate limit with 0x8001 result 1 (the terminal keeps its data and resends). */
    private refuseLimited(wire: Uint8Array): Uint8Array[] {
      stats.rateLimitedFrames++;
      ingest.countRejected('jt808', 'rate_limited');
      const p = parseJt808Packet(wire);
      if (!p.ok) return [];
      const h = p.packet.header;
      if (h.msgId === JT808_MSG.terminalResponse || h.msgId >= 0x8000) return [];
      const serial = this.session.nextPlatformSerial;
      this.session = { ...this.session, nextPlatformSerial: (serial + 1) & 0xffff };
      const to = h.protocolVersion === undefined ? { phone: h.phone, version: h.version } : { phone: h.phone, version: h.version, protocolVersion: h.protocolVersion };
      return [encodeGeneralResponse({ ...to, serial, replySerial: h.serial, replyMsgId: h.msgId, result: 1 })];
    }

    private write(frames: Uint8Array[]): void {
      if (this.closed || frames.length === 0) return;
      if (frames.length === 1) this.socket.write(frames[0]);
      else this.socket.write(Buffer.concat(frames));
      if (this.socket.writableLength > limits.maxWriteBufferBytes) {
        stats.closedSlowReader++;
        log.warn('jt808 peer does not read its replies; closed', { conn: this.id, remote: this.remote, deviceId: this.session.deviceId });
        this.close();
      }
    }
  }

  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = perAddress.get(address) ?? 0;
    if (connections.size >= limits.maxConnections || fromAddress >= limits.maxConnectionsPerAddress) {
      stats.connectionsRefused++;
      ingest.countRejected('jt808', 'connection_limit');
      log.warn('jt808 connection refused: limit', { remote: address, open: connections.size, fromAddress });
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    perAddress.set(address, fromAddress + 1);
    stats.connectionsAccepted++;
    stats.connectionsOpen++;
    const conn = new Connection(socket, address);
    connections.add(conn);
    log.debug('jt808 connection', { conn: conn.id, remote: conn.remote });
  });
  server.maxConnections = limits.maxConnections + 64; // our own check answers first; this is a backstop

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error('jt808 server error', { error: err.message }));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info('jt808 listening', { host: opts.host ?? '0.0.0.0', port });

  let closing: Promise<void> | undefined;
  return {
    port,
    stats: () => ({ ...stats }),
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const drains = [...connections].map((c) => c.drainPromise).filter((p): p is Promise<void> => p !== undefined);
        for (const c of connections) c.close();
        await Promise.allSettled(drains);
        await closed;
        log.info('jt808 server closed', { port });
      })()),
  };
}

/** Exposes the server's counters on /metrics. */
export function registerJt808Metrics(metrics: Metrics, server: Jt808Server): void {
  metrics.gauge('busguard_jt808_connections_open', 'Open JT/T 808 connections', () => server.stats().connectionsOpen);
  const counters: [keyof Jt808ServerStats, string][] = [
    ['connectionsAccepted', 'JT/T 808 connections accepted'],
    ['connectionsRefused', 'JT/T 808 connections refused by the limits'],
    ['closedIdle', 'JT/T 808 connections closed for idleness'],
    ['closedGarbage', 'JT/T 808 connections closed for garbage or repeated bad frames'],
    ['closedSlowReader', 'JT/T 808 connections closed because they did not read their replies'],
    ['framesIn', 'JT/T 808 frames received'],
    ['badFrames', 'JT/T 808 frames refused (checksum, escape, header)'],
    ['rateLimitedFrames', 'JT/T 808 frames refused by the per-connection rate limit'],
    ['fixesAcked', 'JT/T 808 positions acknowledged after commit'],
    ['fixesRefusedStorage', 'JT/T 808 positions answered with result 1 (storage unavailable)'],
    ['unknownTerminals', 'JT/T 808 registrations or logins from terminals not in the registry'],
  ];
  for (const [field, help] of counters) {
    const snake = field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    metrics.counterFrom(`busguard_jt808_${snake}_total`, help, () => server.stats()[field]);
  }
}
