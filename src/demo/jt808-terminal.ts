// A JT/T 808 terminal over real TCP, for the simulator, the ingest benchmark and the server tests:
// terminal-side message encoders (0x0100, 0x0102, 0x0200, 0x0702, 0x0704, 0x0002) and a client that sends
// frames and waits for the platform's answers by serial.
import net from 'node:net';
import {
  alarmFlagsFromNames,
  encodeGbk,
  encodeJt808Frame,
  epochMsToBcdTime,
  Jt808FrameSplitter,
  parseJt808Packet,
  STATUS_ACC,
  STATUS_DOOR_FRONT,
  STATUS_FIX,
  STATUS_SOUTH,
  STATUS_WEST,
  type Jt808HeaderVersion,
} from '../ingest/jt808';

const GPS_BDS = (1 << 18) | (1 << 19);

export interface TerminalPosition {
  timeMs: number;
  lat: number;
  lon: number;
  speedKph?: number;
  headingDeg?: number;
  altitudeM?: number;
  /** Default true. */
  valid?: boolean;
  acc?: boolean;
  doorOpen?: boolean;
  alarms?: string[];
  mileageKm?: number;
  satellites?: number;
}

/** 0x0200 body (28 bytes + mileage, CSQ and satellite items). Times are sent as terminal local time. */
export function encodePositionBody(
  p: TerminalPosition,
  version: Jt808HeaderVersion = 2013,
  tzOffsetMin = 480,
): Uint8Array {
  const items: number[] = [];
  if (p.mileageKm !== undefined) {
    const m = Math.round(p.mileageKm * 10) >>> 0;
    items.push(0x01, 4, (m >>> 24) & 0xff, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff);
  }
  items.push(0x30, 1, 25, 0x31, 1, p.satellites ?? 12);
  const out = new Uint8Array(28 + items.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, alarmFlagsFromNames(p.alarms ?? [], version) >>> 0);
  let status = GPS_BDS;
  if (p.valid !== false) status |= STATUS_FIX;
  if (p.acc !== false) status |= STATUS_ACC;
  if (p.doorOpen) status |= STATUS_DOOR_FRONT;
  if (p.lat < 0) status |= STATUS_SOUTH;
  if (p.lon < 0) status |= STATUS_WEST;
  dv.setUint32(4, status >>> 0);
  dv.setUint32(8, Math.round(Math.abs(p.lat) * 1e6) >>> 0);
  dv.setUint32(12, Math.round(Math.abs(p.lon) * 1e6) >>> 0);
  dv.setUint16(16, Math.max(0, Math.round(p.altitudeM ?? 0)) & 0xffff);
  dv.setUint16(18, Math.max(0, Math.round((p.speedKph ?? 0) * 10)) & 0xffff);
  dv.setUint16(20, Math.round((((p.headingDeg ?? 0) % 360) + 360) % 360));
  out.set(epochMsToBcdTime(p.timeMs, tzOffsetMin), 22);
  out.set(items, 28);
  return out;
}

export interface RegisterFields {
  provinceId?: number;
  cityId?: number;
  manufacturer?: string;
  model?: string;
  terminalId?: string;
  plateColor?: number;
  plate?: string;
}

function fixedAscii(text: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(new TextEncoder().encode(text).subarray(0, n));
  return out;
}

/** 0x0100 body, 2013 layout (or 2019 when `version` is 2019). */
export function encodeRegisterBody(f: RegisterFields = {}, version: Jt808HeaderVersion = 2013): Uint8Array {
  const [makerLen, modelLen, idLen] = version === 2019 ? [11, 30, 30] : [5, 20, 7];
  const plate = encodeGbk(f.plate ?? '');
  const out = new Uint8Array(4 + makerLen + modelLen + idLen + 1 + plate.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, f.provinceId ?? 31);
  dv.setUint16(2, f.cityId ?? 115);
  let o = 4;
  out.set(fixedAscii(f.manufacturer ?? 'BGSIM', makerLen), o);
  o += makerLen;
  out.set(fixedAscii(f.model ?? 'SIM-1', modelLen), o);
  o += modelLen;
  out.set(fixedAscii(f.terminalId ?? '0000001', idLen), o);
  o += idLen;
  out[o++] = f.plateColor ?? 2;
  out.set(plate, o);
  return out;
}

/** 0x0102 body: the code (2013), or length + code + IMEI + software version (2019). */
export function encodeAuthBody(code: string, version: Jt808HeaderVersion = 2013): Uint8Array {
  const c = encodeGbk(code);
  if (version !== 2019) return c;
  const imei = fixedAscii('860000000000001', 15);
  const sw = new TextEncoder().encode('1.0.0');
  return Uint8Array.from([c.length, ...c, ...imei, sw.length, ...sw]);
}

export interface DriverCardFields {
  timeMs: number;
  inserted: boolean;
  name?: string;
  certificateNo?: string;
  issuer?: string;
  /** YYYY-MM-DD */
  validUntil?: string;
}

/** 0x0702 body (2013 layout): card inserted with a successful read, or removed. */
export function encodeDriverCardBody(f: DriverCardFields, tzOffsetMin = 480): Uint8Array {
  const time = epochMsToBcdTime(f.timeMs, tzOffsetMin);
  if (!f.inserted) return Uint8Array.from([0x02, ...time]);
  const name = encodeGbk(f.name ?? 'DRIVER');
  const cert = fixedAscii(f.certificateNo ?? '', 20);
  const org = encodeGbk(f.issuer ?? 'TRANSPORT');
  const d = (f.validUntil ?? '2030-12-31').replace(/-/g, '');
  const bcd = [0, 2, 4, 6].map((i) => (Number(d[i]) << 4) | Number(d[i + 1]));
  return Uint8Array.from([0x01, ...time, 0x00, name.length, ...name, ...cert, org.length, ...org, ...bcd]);
}

/** 0x0704 body: count, type (0 normal, 1 blind-area back-fill), then length-prefixed 0x0200 bodies. */
export function encodeBatchBody(bodies: Uint8Array[], blindArea: boolean): Uint8Array {
  const len = bodies.reduce((n, b) => n + 2 + b.length, 3);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, bodies.length);
  out[2] = blindArea ? 1 : 0;
  let o = 3;
  for (const b of bodies) {
    dv.setUint16(o, b.length);
    out.set(b, o + 2);
    o += 2 + b.length;
  }
  return out;
}

export interface PlatformReply {
  msgId: number;
  serial: number;
  replySerial: number;
  /** 0x8001 only. */
  replyMsgId?: number;
  result: number;
  /** 0x8100 with result 0 only. */
  authCode?: string;
}

/** Decodes a platform frame (0x8001, 0x8100; other messages come back with result -1). */
export function decodePlatformReply(frame: Uint8Array): PlatformReply | undefined {
  const p = parseJt808Packet(frame);
  if (!p.ok) return undefined;
  const { header, body } = p.packet;
  const u16 = (o: number) => (body[o]! << 8) | body[o + 1]!;
  if (header.msgId === 0x8001 && body.length >= 5) {
    return { msgId: 0x8001, serial: header.serial, replySerial: u16(0), replyMsgId: u16(2), result: body[4]! };
  }
  if (header.msgId === 0x8100 && body.length >= 3) {
    const r: PlatformReply = { msgId: 0x8100, serial: header.serial, replySerial: u16(0), result: body[2]! };
    if (body[2] === 0) r.authCode = new TextDecoder().decode(body.subarray(3));
    return r;
  }
  return { msgId: header.msgId, serial: header.serial, replySerial: -1, result: -1 };
}

/** A terminal connection: numbered frames out, platform replies in (kept in order, matched by serial). */
export class Jt808TerminalClient {
  readonly replies: PlatformReply[] = [];
  private readonly splitter = new Jt808FrameSplitter();
  private readonly waiters: {
    match: (r: PlatformReply) => boolean;
    resolve: (r: PlatformReply) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
  }[] = [];
  private serial = 0;
  closed = false;
  /** Resolves when the server closes the connection (or it errors). */
  readonly closedPromise: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    /** BCD digits as sent (12 for 2013, 20 for 2019; shorter numbers are left-padded). */
    readonly phone: string,
    readonly version: Jt808HeaderVersion,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.splitter.push(chunk)) {
        const r = decodePlatformReply(f);
        if (!r) continue;
        const i = this.waiters.findIndex((w) => w.match(r));
        if (i >= 0) {
          const w = this.waiters.splice(i, 1)[0]!;
          clearTimeout(w.timer);
          w.resolve(r);
        } else {
          this.replies.push(r);
          if (this.replies.length > 100_000) this.replies.splice(0, 50_000);
        }
      }
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error('connection closed'));
        }
        resolve();
      });
      socket.on('error', () => {});
    });
  }

  static connect(
    port: number,
    phone: string,
    /** `localAddress`: the loopback address to connect from (many terminals look like many vehicles, not one host). */
    opts: { host?: string; version?: Jt808HeaderVersion; localAddress?: string } = {},
  ): Promise<Jt808TerminalClient> {
    const version = opts.version ?? 2013;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: opts.host ?? '127.0.0.1', localAddress: opts.localAddress });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Jt808TerminalClient(socket, phone.padStart(version === 2019 ? 20 : 12, '0'), version));
      });
      socket.once('error', reject);
    });
  }

  /** Encodes a frame from this terminal, taking the next serial. */
  frame(msgId: number, body: Uint8Array): { serial: number; wire: Uint8Array } {
    const serial = this.serial;
    this.serial = (this.serial + 1) & 0xffff;
    return { serial, wire: encodeJt808Frame({ msgId, phone: this.phone, serial, version: this.version }, body) };
  }

  write(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /** Sends a message; returns its serial. */
  send(msgId: number, body: Uint8Array): number {
    const f = this.frame(msgId, body);
    this.socket.write(f.wire);
    return f.serial;
  }

  /** The reply matching `match` (already received, or the next one to arrive). */
  waitFor(match: (r: PlatformReply) => boolean, timeoutMs = 5000): Promise<PlatformReply> {
    const i = this.replies.findIndex(match);
    if (i >= 0) return Promise.resolve(this.replies.splice(i, 1)[0]!);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const k = this.waiters.findIndex((w) => w.resolve === resolve);
        if (k >= 0) this.waiters.splice(k, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ match, resolve, reject, timer });
    });
  }

  /** Sends and waits for the 0x8001 / 0x8100 answering it. */
  async request(msgId: number, body: Uint8Array, timeoutMs = 5000): Promise<PlatformReply> {
    const serial = this.send(msgId, body);
    const answerId = msgId === 0x0100 ? 0x8100 : 0x8001;
    return this.waitFor(
      (r) => r.msgId === answerId && r.replySerial === serial && (answerId === 0x8100 || r.replyMsgId === msgId),
      timeoutMs,
    );
  }

  register(fields: RegisterFields = {}, timeoutMs?: number): Promise<PlatformReply> {
    return this.request(0x0100, encodeRegisterBody(fields, this.version), timeoutMs);
  }

  authenticate(code: string, timeoutMs?: number): Promise<PlatformReply> {
    return this.request(0x0102, encodeAuthBody(code, this.version), timeoutMs);
  }

  position(p: TerminalPosition, timeoutMs?: number, tzOffsetMin = 480): Promise<PlatformReply> {
    return this.request(0x0200, encodePositionBody(p, this.version, tzOffsetMin), timeoutMs);
  }

  heartbeat(timeoutMs?: number): Promise<PlatformReply> {
    return this.request(0x0002, new Uint8Array(0), timeoutMs);
  }

  close(): Promise<void> {
    if (!this.closed) this.socket.end();
    return this.closedPromise;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
