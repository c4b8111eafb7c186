// Platform → terminal messages: 0x8001 general response, 0x8100 register response, 0x8202 tracking.
import { ByteWriter } from './bytes';
import { digitsToBcd } from './bcd';
import { JT808_ESCAPE, JT808_FLAG, wrapJt808Frame } from './frame';
import { encodeGbk } from './gbk';
import { encodeJt808Header, type Jt808HeaderFields, type Jt808HeaderVersion } from './header';

/** Whom a platform message goes to: the terminal's header form is echoed back. */
export interface Jt808Addressee {
  /** Terminal phone digits as received (12 or 20 digits; shorter strings are left-padded). */
  phone: string;
  version: Jt808HeaderVersion;
  protocolVersion?: number;
}

/** Builds a complete wire frame (checksum, escaping, 0x7E flags) for msgId + body. */
export function encodeJt808Frame(header: Jt808HeaderFields, body: Uint8Array): Uint8Array {
  const head = encodeJt808Header(header, body.length);
  const content = new Uint8Array(head.length + body.length);
  content.set(head);
  content.set(body, head.length);
  return wrapJt808Frame(content);
}

/** 0x8001 results: 0 ok, 1 failure, 2 message error, 3 unsupported, 4 alarm-processing confirmation. */
export type GeneralResult = 0 | 1 | 2 | 3 | 4;

export const GENERAL_RESULT = { ok: 0, failure: 1, messageError: 2, unsupported: 3, alarmConfirmed: 4 } as const;

export interface GeneralResponse extends Jt808Addressee {
  /** Platform serial of this message. */
  serial: number;
  replySerial: number;
  replyMsgId: number;
  result: GeneralResult;
}

export function encodeGeneralResponse(r: GeneralResponse): Uint8Array {
  const body = new ByteWriter(5).u16(r.replySerial).u16(r.replyMsgId).u8(r.result).toBytes();
  return encodeJt808Frame({ ...addressOf(r), msgId: 0x8001, serial: r.serial }, body);
}

/** 0x8100 results: 0 ok, 1 vehicle registered, 2 vehicle unknown, 3 terminal registered, 4 terminal unknown. */
export type RegisterResult = 0 | 1 | 2 | 3 | 4;

export interface RegisterResponse extends Jt808Addressee {
  serial: number;
  replySerial: number;
  result: RegisterResult;
  /** Sent only when result is 0. */
  authCode?: string;
}

export function encodeRegisterResponse(r: RegisterResponse): Uint8Array {
  const w = new ByteWriter(32).u16(r.replySerial).u8(r.result);
  if (r.result === 0 && r.authCode !== undefined) w.bytes(encodeGbk(r.authCode));
  return encodeJt808Frame({ ...addressOf(r), msgId: 0x8100, serial: r.serial }, w.toBytes());
}

export interface TemporaryTracking extends Jt808Addressee {
  serial: number;
  /** Report interval in seconds; 0 stops tracking (then no validity is sent). */
  intervalS: number;
  validityS?: number;
}

/** 0x8202 temporary position tracking control. */
export function encodeTemporaryTracking(r: TemporaryTracking): Uint8Array {
  const w = new ByteWriter(6).u16(r.intervalS);
  if (r.intervalS !== 0) w.u32(r.validityS ?? 0);
  return encodeJt808Frame({ ...addressOf(r), msgId: 0x8202, serial: r.serial }, w.toBytes());
}

/**
 * An acknowledgement the server owes a terminal once the message's data is durably stored.
 * Produced by the session handler for 0x0200 / 0x0704 / 0x0702; the platform serial is already
 * reserved, so encoding it later needs nothing else.
 */
export interface PendingAck extends Jt808Addressee {
  /** The terminal's message id and serial being acknowledged. */
  msgId: number;
  replySerial: number;
  /** Platform serial reserved for the 0x8001. */
  serial: number;
}

/** 0x8001 for a pending ack: result 0 after the commit, 1 when storage failed (the terminal keeps the data). */
export function encodePendingAck(ack: PendingAck, result: 0 | 1): Uint8Array {
  return encodeGeneralResponse({ ...ack, replyMsgId: ack.msgId, result });
}

/** Wire bytes of one 0x8001 at most: 2019 header (17) + body (5) + checksum, all escaped, and the two flags. */
export const PENDING_ACK_MAX_WIRE_BYTES = 2 + 2 * (17 + 5 + 1);

const ackContent = new Uint8Array(17 + 5 + 1);
let ackPhone = '';
let ackPhoneVersion: Jt808HeaderVersion = 2013;
let ackPhoneBcd: Uint8Array = new Uint8Array(6);

/**
 * Encodes pending acks back to back into `out` from `offset` (room for `PENDING_ACK_MAX_WIRE_BYTES` per ack
 * is needed) and returns the offset after them. Byte for byte what `encodePendingAck` gives for each ack, without
 * the intermediate arrays: acks answered together go out in one socket write.
 */
export function encodePendingAcksInto(
  acks: readonly PendingAck[],
  result: 0 | 1,
  out: Uint8Array,
  offset: number,
): number {
  const c = ackContent;
  let o = offset;
  for (let k = 0; k < acks.length; k++) {
    const a = acks[k]!;
    const is2019 = a.version === 2019;
    if (a.phone !== ackPhone || a.version !== ackPhoneVersion) {
      ackPhoneBcd = digitsToBcd(a.phone, is2019 ? 10 : 6);
      ackPhone = a.phone;
      ackPhoneVersion = a.version;
    }
    c[0] = 0x80;
    c[1] = 0x01;
    c[2] = is2019 ? 0x40 : 0x00;
    c[3] = 5;
    let n = 4;
    if (is2019) c[n++] = a.protocolVersion ?? 1;
    c.set(ackPhoneBcd, n);
    n += ackPhoneBcd.length;
    c[n++] = (a.serial >> 8) & 0xff;
    c[n++] = a.serial & 0xff;
    c[n++] = (a.replySerial >> 8) & 0xff;
    c[n++] = a.replySerial & 0xff;
    c[n++] = (a.msgId >> 8) & 0xff;
    c[n++] = a.msgId & 0xff;
    c[n++] = result;
    let sum = 0;
    for (let i = 0; i < n; i++) sum ^= c[i]!;
    c[n++] = sum;
    out[o++] = JT808_FLAG;
    for (let i = 0; i < n; i++) {
      const b = c[i]!;
      if (b === JT808_FLAG) {
        out[o++] = JT808_ESCAPE;
        out[o++] = 0x02;
      } else if (b === JT808_ESCAPE) {
        out[o++] = JT808_ESCAPE;
        out[o++] = 0x01;
      } else out[o++] = b;
    }
    out[o++] = JT808_FLAG;
  }
  return o;
}

function addressOf(a: Jt808Addressee): Pick<Jt808HeaderFields, 'phone' | 'version' | 'protocolVersion'> {
  return { phone: a.phone, version: a.version, protocolVersion: a.protocolVersion };
}
