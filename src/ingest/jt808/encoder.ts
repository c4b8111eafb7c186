// Platform → terminal messages: 0x8001 general response, 0x8100 register response, 0x8202 tracking.
import { ByteWriter } from './bytes';
import { wrapJt808Frame } from './frame';
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

function addressOf(a: Jt808Addressee): Pick<Jt808HeaderFields, 'phone' | 'version' | 'protocolVersion'> {
  return { phone: a.phone, version: a.version, protocolVersion: a.protocolVersion };
}
