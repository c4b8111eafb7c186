// One terminal connection: frame splitter → queue → one drain loop (frames strictly in arrival order) →
// session handler → ingest → replies. Registration and authentication wait for the registry look-up; other
// frames already received go to the ingest as one submission (their answers still go out in frame order).
import type net from 'node:net';
import type { DeviceEvent, Fix } from '../../../core/fix';
import {
  createJt808Session,
  handleJt808Frame,
  Jt808FrameSplitter,
  JT808_MSG,
  normalizeJt808Phone,
  parseJt808Packet,
  refuseJt808Frame,
  type Jt808HandleResult,
  type Jt808HandlerContext,
  type Jt808Session,
} from '../../../ingest/jt808';
import type { Logger } from '../../../logging';
import { StorageUnavailableError, type DeviceInfo, type Ingest } from '../../../pipeline/types';
import { sha256Hex } from './auth-code';
import { registerPlate } from './protocol';
import { ConnectionDevices } from './device-cache';
import { FrameTokenBucket, type Jt808ServerLimits } from './limits';
import {
  encodeItems,
  NO_ACKS,
  NO_EVENTS,
  NO_FIXES,
  NO_REPLIES,
  needsRegistry,
  takeFixes,
  type Item,
  type QueuedFrame,
} from './protocol';
import type { Jt808ServerStats } from './stats';

/** What every connection of one server shares. */
export interface ConnectionContext {
  limits: Jt808ServerLimits;
  now: () => number;
  ingest: Ingest;
  log: Logger;
  stats: Jt808ServerStats;
  /** Logs, once per terminal, that its phone field is not BCD (it is keyed by the field's hex digits). */
  warnNonBcdOnce(deviceId: string, phoneHex: string): void;
  /** Called once when the socket has closed. */
  onClosed(conn: Connection): void;
}

/** The handler's view when the registry could not be asked: no terminal is known. */
const NO_REGISTRY: Jt808HandlerContext = { nowMs: 0, lookupTerminal: () => undefined };

let nextConnId = 1;

export class Connection {
  readonly id = nextConnId++;
  readonly remote: string;
  private readonly splitter = new Jt808FrameSplitter();
  private readonly queue: QueuedFrame[] = [];
  private session: Jt808Session = createJt808Session();
  /** Registry entries resolved on this connection. */
  private readonly devices = new ConnectionDevices();
  /** The device this connection has authenticated as. */
  private device: DeviceInfo | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private paused = false;
  private readonly bucket: FrameTokenBucket;
  private garbageSinceGood = 0;
  private badInARow = 0;
  /** Set when the connection must close after answering the frames handled so far. */
  private closeRequested: string | undefined;
  /** The phone string of this connection's last pending ack (shared by the acks that follow). */
  private ackPhone = '';
  /** The handler's context, reused from frame to frame (its clock is set before each frame). */
  private readonly ctx: Jt808HandlerContext = { nowMs: 0, lookupTerminal: (id) => this.devices.terminalInfo(id) };

  constructor(
    readonly socket: net.Socket,
    readonly address: string,
    private readonly c: ConnectionContext,
  ) {
    this.remote = `${address}:${socket.remotePort ?? ''}`;
    this.bucket = new FrameTokenBucket(c.limits, c.now());
    socket.setNoDelay(true);
    socket.setTimeout(c.limits.idleTimeoutMs, () => {
      c.stats.closedIdle++;
      c.log.info('jt808 idle connection closed', {
        conn: this.id,
        remote: this.remote,
        deviceId: this.session.deviceId,
      });
      this.close();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => c.log.debug('jt808 socket error', { conn: this.id, error: err.message }));
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
    this.c.onClosed(this);
    this.c.log.debug('jt808 connection closed', {
      conn: this.id,
      remote: this.remote,
      deviceId: this.session.deviceId,
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const { stats, limits } = this.c;
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
    this.bucket.refill(this.c.now());
    for (const wire of frames) this.queue.push({ wire, limited: !this.bucket.take() });
    // Backpressure: past its pending-frame limit, or while the position writer is full, the terminal is not read
    // until the drain loop has committed what it sent (one read per commit); its reports wait, none is refused.
    if (!this.paused && (this.queue.length >= limits.maxPendingFrames || this.c.ingest.storageFull?.() === true)) {
      this.paused = true;
      stats.readPauses++;
      this.socket.pause();
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private closeForGarbage(reason: string): void {
    this.c.stats.closedGarbage++;
    this.c.ingest.countRejected('jt808', 'garbage_connection');
    this.c.log.warn('jt808 connection closed: garbage', {
      conn: this.id,
      remote: this.remote,
      deviceId: this.session.deviceId,
      reason,
    });
    this.close();
  }

  private async drain(): Promise<void> {
    const { limits } = this.c;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const first = this.queue[0]!;
        if (needsRegistry(first)) {
          this.queue.shift();
          await this.handleRegistry(first.wire);
        } else {
          const batch: QueuedFrame[] = [];
          while (batch.length < limits.maxBatchFrames && this.queue.length > 0 && !needsRegistry(this.queue[0]!))
            batch.push(this.queue.shift()!);
          await this.handleBatch(batch);
        }
        if (this.paused && this.queue.length <= limits.maxPendingFrames / 2 && !this.closed) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } catch (err) {
      this.c.log.error('jt808 connection failed', {
        conn: this.id,
        remote: this.remote,
        error: err instanceof Error ? err.stack : String(err),
      });
      this.close();
    }
  }

  /** Feeds one frame through the handler and does the bookkeeping shared by every kind of frame. */
  private handle(wire: Uint8Array, ctx: Jt808HandlerContext = this.ctx): Jt808HandleResult {
    const { stats, ingest, log, limits } = this.c;
    ctx.nowMs = this.c.now();
    const res = handleJt808Frame(this.session, wire, ctx);
    this.session = res.session;
    if (res.dropped && !res.message) {
      stats.badFrames++;
      this.badInARow++;
      ingest.countRejected('jt808', res.dropped.code);
      log.warn('jt808 frame dropped', {
        conn: this.id,
        remote: this.remote,
        deviceId: this.session.deviceId,
        code: res.dropped.code,
        error: res.dropped.message,
      });
      // Answered like any bad frame; the connection closes once what came before it is answered.
      if (this.badInARow > limits.maxBadFrames) this.closeRequested ??= `${this.badInARow} unreadable frames in a row`;
    } else {
      this.badInARow = 0;
      this.garbageSinceGood = 0;
      if (res.dropped) {
        ingest.countRejected('jt808', res.dropped.code);
        log.info('jt808 message refused', {
          conn: this.id,
          deviceId: res.message?.deviceId,
          code: res.dropped.code,
          error: res.dropped.message,
        });
      }
    }
    if (res.errors.length && res.message && res.errors.some((e) => e.code === 'phone_not_bcd'))
      this.c.warnNonBcdOnce(res.message.deviceId, res.message.phone);
    if (!this.session.authenticated) this.device = undefined;
    return res;
  }

  /**
   * 0x0100 / 0x0102: resolve the terminal (and, for a registration, the registry facts it is decided on), handle
   * the frame, store an issued auth code, then answer.
   */
  private async handleRegistry(wire: Uint8Array): Promise<void> {
    const { stats, ingest, log } = this.c;
    const parsed = parseJt808Packet(wire);
    if (parsed.ok) {
      const { header, body } = parsed.packet;
      const deviceId = normalizeJt808Phone(header.phone);
      // Asked again at every registration / authentication (the ingest caches it), so a terminal added to
      // the registry or re-registered elsewhere is seen without reconnecting.
      let lookupFailed = false;
      try {
        const found = await ingest.lookupDevice('jt808', deviceId);
        this.devices.set(deviceId, found ?? null);
        if (found && header.msgId === JT808_MSG.register) {
          const plate = registerPlate(body, header.version);
          this.devices.setRegistrationFacts(deviceId, plate, await ingest.registrationFacts(found, plate));
        }
      } catch (err) {
        lookupFailed = true;
        log.warn('jt808 registry lookup failed', { conn: this.id, deviceId, error: String(err) });
      }
      if (this.closed) return;
      if (lookupFailed) {
        // Cannot tell who this is: authentication fails (result 1, the terminal retries); a registration
        // gets no answer rather than a wrong "not registered".
        if (header.msgId === JT808_MSG.authenticate) {
          const res = handleJt808Frame(this.session, wire, { ...NO_REGISTRY, nowMs: this.c.now() });
          this.session = res.session;
          this.device = undefined;
          this.write(res.replies);
        }
        return;
      }
    }
    const before = this.session;
    let res = this.handle(wire);
    if (this.closed) return;
    if (this.closeRequested) {
      this.write(res.replies);
      this.closeForGarbage(this.closeRequested);
      return;
    }
    const deviceId = res.message?.deviceId;
    const device = deviceId !== undefined ? this.devices.get(deviceId) : undefined;
    if (res.issuedAuthCode !== undefined && device) {
      let stored: boolean;
      try {
        stored = await ingest.completeRegistration(device, res.issuedAuthCode);
      } catch (err) {
        log.warn('jt808 auth code not stored; registration unanswered', {
          conn: this.id,
          deviceId,
          error: String(err),
        });
        return;
      }
      if (this.closed) return;
      if (stored) {
        this.devices.set(deviceId!, { ...device, secretHash: sha256Hex(res.issuedAuthCode) });
        stats.registrations++;
      } else {
        // Another registration took the terminal (or its window) first: answered as a registered terminal is.
        this.devices.setRegistrationFacts(deviceId!, '', {
          holdsAuthCode: true,
          windowOpen: false,
          busPlate: null,
          plateOfOtherRegisteredBus: false,
        });
        this.session = before;
        res = this.handle(wire);
      }
    }
    if (res.message?.msgId === JT808_MSG.register) this.logRegistration(res, device);
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
    // The register event (with its answer) goes into the device's history, accepted or refused.
    const events = res.events.filter((e) => e.type !== 'authenticate');
    if (events.length && device) {
      try {
        await ingest.submitEvents(device, events, this.c.now());
      } catch (err) {
        log.warn('jt808 events not stored', { conn: this.id, deviceId, error: String(err) });
      }
    }
    if (this.closed) return;
    this.write(res.replies);
  }

  /** Logs and counts a registration's answer (the 0x8100 result and, when refused, why). */
  private logRegistration(res: Jt808HandleResult, device: DeviceInfo | undefined): void {
    const { stats, ingest, log } = this.c;
    const deviceId = res.message?.deviceId;
    const ev = res.events.find((e) => e.type === 'register');
    const result = ev?.type === 'register' ? ev.attributes.result : undefined;
    const fields = {
      conn: this.id,
      remote: this.remote,
      deviceId,
      registryId: device?.deviceId,
      result,
      plate: ev?.type === 'register' ? ev.attributes.plate : undefined,
    };
    if (result === 0) {
      log.info('jt808 terminal registered', fields);
    } else if (res.errors.some((e) => e.code === 'unknown_terminal')) {
      stats.unknownTerminals++;
      ingest.countRejected('jt808', 'unknown_terminal');
      log.warn('jt808 registration from an unknown terminal', fields);
    } else if (result !== undefined) {
      ingest.countRejected('jt808', 'registration_refused');
      log.warn('jt808 registration refused', {
        ...fields,
        reason: ev?.type === 'register' ? ev.attributes.reason : undefined,
      });
    }
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
      while (i < items.length && items[i]!.events.length === 0) i++;
      if (i > start) {
        const result = await this.storeFixes(device, takeFixes(items, start, i), i - start);
        if (this.closed) return;
        this.flushItems(items, start, i, result);
      }
      if (i < items.length) {
        const k = i++;
        const result = await this.storeEvents(device, items[k]!);
        if (this.closed) return;
        this.flushItems(items, k, k + 1, result);
      }
    }
    if (this.closeRequested && !this.closed) this.closeForGarbage(this.closeRequested);
  }

  /** Not async on purpose: nothing here keeps `fixes` referenced while the ingest commits them. */
  private storeFixes(device: DeviceInfo | undefined, fixes: Fix[], frames: number): Promise<0 | 1> {
    const { stats, ingest, log } = this.c;
    if (fixes.length === 0) return Promise.resolve(0);
    if (!device) {
      // The handler emits fixes only for an authenticated session, which always has its device.
      log.error('jt808 fixes without an authenticated device', { conn: this.id, count: fixes.length });
      return Promise.resolve(1);
    }
    const count = fixes.length;
    let submitted: Promise<unknown>;
    try {
      submitted = ingest.submitFixes(device, fixes, this.c.now());
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
          log.warn('jt808 storage unavailable: positions refused (result 1)', {
            conn: this.id,
            deviceId: device.identifier,
            fixes: count,
            frames,
          });
        } else {
          log.error('jt808 ingest failed: positions refused (result 1)', {
            conn: this.id,
            deviceId: device.identifier,
            error: err instanceof Error ? err.stack : String(err),
          });
        }
        return 1 as const;
      },
    );
  }

  private async storeEvents(device: DeviceInfo | undefined, item: Item): Promise<0 | 1> {
    const events: DeviceEvent[] = item.events.filter((e) => e.type !== 'authenticate');
    if (item.fixes.length) {
      const r = await this.storeFixes(device, item.fixes, 1);
      if (r !== 0) return r;
    }
    if (!device || events.length === 0) return 0;
    try {
      await this.c.ingest.submitEvents(device, events, this.c.now());
      return 0;
    } catch (err) {
      this.c.log.warn('jt808 events not stored (result 1)', {
        conn: this.id,
        deviceId: device.identifier,
        error: String(err),
      });
      return 1;
    }
  }

  /** The replies and acks of items[from, to), in frame order, in one socket write. */
  private flushItems(items: Item[], from: number, to: number, result: 0 | 1): void {
    if (this.closed) return;
    const out = encodeItems(items, from, to, result);
    if (out) this.write([out]);
  }

  /** A frame over the rate limit: 0x8001 result 1 (the terminal keeps its data and resends). */
  private refuseLimited(wire: Uint8Array): Uint8Array[] {
    this.c.stats.rateLimitedFrames++;
    this.c.ingest.countRejected('jt808', 'rate_limited');
    const refused = refuseJt808Frame(this.session, wire, 1);
    this.session = refused.session;
    return refused.replies;
  }

  private write(frames: Uint8Array[]): void {
    if (this.closed || frames.length === 0) return;
    if (frames.length === 1) this.socket.write(frames[0]!);
    else this.socket.write(Buffer.concat(frames));
    if (this.socket.writableLength > this.c.limits.maxWriteBufferBytes) {
      this.c.stats.closedSlowReader++;
      this.c.log.warn('jt808 peer does not read its replies; closed', {
        conn: this.id,
        remote: this.remote,
        deviceId: this.session.deviceId,
      });
      this.close();
    }
  }
}
