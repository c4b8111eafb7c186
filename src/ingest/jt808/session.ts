// Session-level JT/T 808 handling that is still pure: (session, raw frame, ctx) → new session,
// fixes, events, replies to send now, acks to send after storage, errors.
//
// Policy decisions:
// - Positions (0x0200, 0x0704), driver-card reports (0x0702) and passenger-flow reports (0x1005)
//   from a session that has not authenticated (or from another phone than the authenticated one)
//   are refused with 0x8001 result 1 (failure): the terminal keeps the data and re-sends it after it
//   authenticates; no fixes or events are emitted.
// - Those data messages are NOT acknowledged here: they come back as `pendingAcks`, which the
//   server encodes with `encodePendingAck(ack, 0)` after the database commit (or result 1 when
//   storage is down). Everything else is answered immediately in `replies`.
// - A frame with a bad checksum or an unreadable body is dropped and, when its header was readable,
//   answered with 0x8001 result 2 (message error). Encrypted bodies get result 3 (unsupported).
// - Registration (0x0100) of a registry terminal that the context admits (./registration.ts: result 3 for a
//   terminal already holding an auth code without a re-registration window, 1 / 2 for a plate that is not its
//   bus) issues a fresh auth code through the context; the 0x8100 carrying it is in `replies`, and
//   `issuedAuthCode` tells the runtime to store the code before sending it. Unknown terminals get result 4. Authentication (0x0102) asks the context to verify the presented code.
// - Subpackages are acknowledged one by one with result 0 as they arrive; the packet completing a
//   message is answered like the whole message would be.
import type { DecodeError, DecodeResult, DeviceEvent } from '../../core/fix';
import {
  encodeGeneralResponse,
  encodeRegisterResponse,
  type GeneralResult,
  type Jt808Addressee,
  type PendingAck,
  type RegisterResult,
} from './encoder';
import { normalizeJt808Phone, type Jt808Header, type Jt808HeaderVersion } from './header';
import { decodeRegister0100 } from './msg-0100-register';
import { decodeAuth0102 } from './msg-0102-auth';
import { decodePositionBody } from './msg-0200-position';
import { decodeDriverCard0702 } from './msg-0702-driver-card';
import { decodeBatch0704 } from './msg-0704-batch';
import { decodePassengerFlow1005 } from './msg-1005-passenger-flow';
import { parseJt808Packet } from './packet';
import type { Jt808RegistrationDecision } from './registration';
import {
  addSubpackage,
  DEFAULT_SUBPACKAGE_LIMITS,
  emptySubpackageState,
  type SubpackageLimits,
  type SubpackageState,
} from './subpackage';
import { u16 } from './bytes';

export const JT808_MSG = {
  terminalResponse: 0x0001,
  heartbeat: 0x0002,
  unregister: 0x0003,
  register: 0x0100,
  authenticate: 0x0102,
  position: 0x0200,
  positionQueryResponse: 0x0201,
  driverCard: 0x0702,
  batch: 0x0704,
  passengerFlow: 0x1005,
  platformResponse: 0x8001,
  registerResponse: 0x8100,
  temporaryTracking: 0x8202,
} as const;

export interface Jt808Session {
  authenticated: boolean;
  /** Normalized phone (device id) of the authenticated terminal, or of the last frame seen. */
  deviceId?: string;
  /** Phone BCD digits as the terminal sends them. */
  phone?: string;
  version?: Jt808HeaderVersion;
  protocolVersion?: number;
  /** Terminal clock offset (minutes east of UTC) from the registry at authentication. */
  tzOffsetMin?: number;
  /** Next platform message serial (wraps at 0xFFFF). */
  nextPlatformSerial: number;
  subpackages: SubpackageState;
}

export function createJt808Session(): Jt808Session {
  return { authenticated: false, nextPlatformSerial: 0, subpackages: emptySubpackageState() };
}

/**
 * What the handler needs to know about a registered terminal. The registry keeps only a hash of the auth
 * code, so the handler asks the runtime to verify a presented code and to issue a fresh one at registration.
 */
export interface Jt808TerminalInfo {
  /** Terminal clock offset east of UTC; default 480 (GMT+8). */
  tzOffsetMin?: number;
  /** True when `authCode` (as sent in 0x0102) is the terminal's current auth code. */
  verifyAuthCode(authCode: string): boolean;
  /**
   * A fresh auth code for a registering terminal (0x0100). The handler puts it in the 0x8100 reply and in
   * `issuedAuthCode`; the runtime must persist it before sending that reply.
   */
  issueAuthCode(): string;
  /**
   * Whether a registration (0x0100) naming `plate` is admitted (see ./registration.ts: the server decides with
   * `decideJt808Registration` over the registry's facts). Absent: admitted — only for tools and tests that
   * model no registry (`plainAuthCodeTerminal`).
   */
  admitRegistration?(plate: string): Jt808RegistrationDecision;
}

/** A terminal whose auth code is known in plain text (tests, tools, benchmarks): verifies and issues `authCode`. */
export function plainAuthCodeTerminal(authCode: string, tzOffsetMin?: number): Jt808TerminalInfo {
  const info: Jt808TerminalInfo = { verifyAuthCode: (code) => code === authCode, issueAuthCode: () => authCode };
  if (tzOffsetMin !== undefined) info.tzOffsetMin = tzOffsetMin;
  return info;
}

export interface Jt808HandlerContext {
  /** Current time, used only to expire unfinished subpackaged messages. */
  nowMs: number;
  /** Registry snapshot by device id (normalized phone): registered terminals only. */
  lookupTerminal(deviceId: string): Jt808TerminalInfo | undefined;
  subpackageLimits?: SubpackageLimits;
}

export interface Jt808MessageSummary {
  msgId: number;
  /** Phone BCD digits as sent. */
  phone: string;
  deviceId: string;
  serial: number;
  version: Jt808HeaderVersion;
  protocolVersion?: number;
  /** Message-specific decode (register/auth info, driver card, batch type, passenger flow…). */
  decoded?: unknown;
}

export interface Jt808HandleResult extends DecodeResult<Uint8Array> {
  session: Jt808Session;
  /** Acks to encode with `encodePendingAck` once the fixes/events are durably stored. */
  pendingAcks: PendingAck[];
  /** The message the frame carried, when its header could be read and it was not a partial subpackage. */
  message?: Jt808MessageSummary;
  /** Why the frame or message was dropped (also listed in `errors`); undefined when it was accepted. */
  dropped?: DecodeError;
  /**
   * Set when a 0x0100 registration was accepted: the auth code sent in the 0x8100 reply (in `replies`).
   * Persist it (hashed) first; send `replies` only once it is stored, and drop them if storing fails
   * (the terminal registers again).
   */
  issuedAuthCode?: string;
}

export function handleJt808Frame(
  session: Jt808Session,
  rawFrame: Uint8Array,
  ctx: Jt808HandlerContext,
): Jt808HandleResult {
  const s = copySession(session);
  const out: Jt808HandleResult = { session: s, fixes: [], events: [], replies: [], errors: [], pendingAcks: [] };
  const parsed = parseJt808Packet(rawFrame);
  if (!parsed.ok) {
    drop(out, parsed.error);
    if (parsed.header && expectsAnswer(parsed.header.msgId)) reply(out, s, parsed.header, 2);
    return out;
  }
  const packet = parsed.packet;
  for (const w of packet.warnings) out.errors.push(w);
  let header = packet.header;
  let body = packet.body;

  if (header.encryption !== 0) {
    drop(out, {
      code: 'encrypted_unsupported',
      message: `encrypted body (mode ${header.encryption}) is not supported`,
    });
    if (expectsAnswer(header.msgId)) reply(out, s, header, 3);
    return out;
  }

  if (header.subpackaged) {
    const added = addSubpackage(
      s.subpackages,
      header,
      body,
      ctx.nowMs,
      ctx.subpackageLimits ?? DEFAULT_SUBPACKAGE_LIMITS,
    );
    s.subpackages = added.state;
    for (const e of added.errors) out.errors.push(e);
    if (!added.complete) {
      if (added.errors.some((e) => e.code === 'bad_subpackage' || e.code === 'subpackage_too_large')) {
        drop(out, added.errors[added.errors.length - 1]!);
        reply(out, s, header, 2);
      } else {
        reply(out, s, header, 0);
      }
      return out;
    }
    // Describe the message by its first packet, answer the packet that completed it.
    body = added.complete.body;
    header = { ...added.complete.header, serial: header.serial, packetIndex: header.packetIndex };
  }

  const deviceId = normalizeJt808Phone(header.phone);
  const message: Jt808MessageSummary = {
    msgId: header.msgId,
    phone: header.phone,
    deviceId,
    serial: header.serial,
    version: header.version,
  };
  if (header.protocolVersion !== undefined) message.protocolVersion = header.protocolVersion;
  out.message = message;
  if (!s.authenticated) {
    s.deviceId = deviceId;
    s.phone = header.phone;
    s.version = header.version;
    s.protocolVersion = header.protocolVersion;
  }

  switch (header.msgId) {
    case JT808_MSG.heartbeat:
      out.events.push({ type: 'heartbeat', deviceId, protocol: 'jt808' });
      reply(out, s, header, 0);
      return out;

    case JT808_MSG.unregister:
      out.events.push({ type: 'unregister', deviceId, protocol: 'jt808' });
      s.authenticated = false;
      reply(out, s, header, 0);
      return out;

    case JT808_MSG.terminalResponse:
      if (body.length >= 5) message.decoded = { replySerial: u16(body, 0), replyMsgId: u16(body, 2), result: body[4] };
      return out;

    case JT808_MSG.register:
      return handleRegister(out, s, header, body, deviceId, ctx);

    case JT808_MSG.authenticate:
      return handleAuth(out, s, header, body, deviceId, ctx);

    case JT808_MSG.position:
    case JT808_MSG.positionQueryResponse: {
      if (!requireAuth(out, s, header, deviceId)) return out;
      const offset = header.msgId === JT808_MSG.positionQueryResponse ? 2 : 0;
      const fix = decodePositionBody(
        body,
        offset,
        body.length,
        { deviceId, version: header.version, tzOffsetMin: s.tzOffsetMin },
        out.errors,
      );
      if (!fix) {
        return refuseBody(out, s, header, out.errors[out.errors.length - 1]!); // decodePositionBody records why it returned nothing
      }
      out.fixes = [fix]; // exact-size arrays: a pushed-to empty array grows to 17 slots
      if (header.msgId === JT808_MSG.position) pend(out, s, header);
      return out;
    }

    case JT808_MSG.batch: {
      if (!requireAuth(out, s, header, deviceId)) return out;
      const batch = decodeBatch0704(
        body,
        { deviceId, version: header.version, tzOffsetMin: s.tzOffsetMin },
        out.errors,
      );
      if (!batch || (batch.fixes.length === 0 && batch.declaredCount > 0)) {
        return refuseBody(
          out,
          s,
          header,
          out.errors[out.errors.length - 1] ?? { code: 'bad_body', message: 'no position in batch could be decoded' },
        );
      }
      message.decoded = {
        batchType: batch.batchType,
        declaredCount: batch.declaredCount,
        decodedCount: batch.fixes.length,
      };
      for (const f of batch.fixes) out.fixes.push(f);
      pend(out, s, header);
      return out;
    }

    case JT808_MSG.driverCard: {
      if (!requireAuth(out, s, header, deviceId)) return out;
      const card = decodeDriverCard0702(body, s.tzOffsetMin);
      if (typeof card === 'string') {
        return refuseBody(out, s, header, { code: 'bad_body', message: card });
      }
      message.decoded = card;
      for (const p of card.problems) out.errors.push({ code: 'driver_card_field', message: p });
      const ev: Extract<DeviceEvent, { type: 'driverCard' }> = {
        type: 'driverCard',
        deviceId,
        protocol: 'jt808',
        inserted: card.inserted,
      };
      if (card.timeMs !== undefined) ev.timeMs = card.timeMs;
      if (card.readResult !== undefined) ev.readResult = card.readResult;
      if (card.driverName !== undefined) ev.driverName = card.driverName;
      if (card.certificateNo !== undefined) ev.certificateNo = card.certificateNo;
      if (card.issuer !== undefined) ev.issuer = card.issuer;
      if (card.certificateExpiry !== undefined) ev.certificateExpiry = card.certificateExpiry;
      if (card.idCardNo !== undefined) ev.idCardNo = card.idCardNo;
      out.events.push(ev);
      pend(out, s, header);
      return out;
    }

    case JT808_MSG.passengerFlow: {
      if (!requireAuth(out, s, header, deviceId)) return out;
      const flow = decodePassengerFlow1005(body, s.tzOffsetMin);
      if (typeof flow === 'string') {
        return refuseBody(out, s, header, { code: 'bad_body', message: flow });
      }
      message.decoded = flow;
      pend(out, s, header);
      return out;
    }

    default:
      if (!expectsAnswer(header.msgId)) return out;
      drop(out, {
        code: 'unsupported_message',
        message: `message 0x${header.msgId.toString(16).padStart(4, '0')} is not supported`,
      });
      reply(out, s, header, 3);
      return out;
  }
}

/**
 * Answers a frame the runtime will not handle (over its connection's rate): 0x8001 with `result` when the
 * frame's header is readable and the message expects an answer; nothing otherwise.
 */
export function refuseJt808Frame(
  session: Jt808Session,
  rawFrame: Uint8Array,
  result: GeneralResult,
): { session: Jt808Session; replies: Uint8Array[] } {
  const p = parseJt808Packet(rawFrame);
  if (!p.ok || !expectsAnswer(p.packet.header.msgId)) return { session, replies: [] };
  const s = copySession(session);
  const out: Jt808HandleResult = { session: s, fixes: [], events: [], replies: [], errors: [], pendingAcks: [] };
  reply(out, s, p.packet.header, result);
  return { session: s, replies: out.replies };
}

function handleRegister(
  out: Jt808HandleResult,
  s: Jt808Session,
  header: Jt808Header,
  body: Uint8Array,
  deviceId: string,
  ctx: Jt808HandlerContext,
): Jt808HandleResult {
  const info = decodeRegister0100(body, header.version);
  if (typeof info === 'string') {
    return refuseBody(out, s, header, { code: 'bad_body', message: info });
  }
  out.message!.decoded = info;
  const known = ctx.lookupTerminal(deviceId);
  const decision: Jt808RegistrationDecision | { result: 4; reason: string } = known
    ? (known.admitRegistration?.(info.plate) ?? { result: 0 })
    : { result: 4, reason: `terminal ${deviceId} is not in the registry` };
  const result: RegisterResult = decision.result;
  // The event records the answer too: registrations accepted and refused are the terminal's history.
  const attributes: Record<string, string | number> = {
    layout: info.layout,
    provinceId: info.provinceId,
    cityId: info.cityId,
    manufacturer: info.manufacturer,
    model: info.model,
    terminalId: info.terminalId,
    plateColor: info.plateColor,
    plate: info.plate,
    result,
    outcome: result === 0 ? 'accepted' : 'refused',
  };
  if (decision.result !== 0) attributes.reason = decision.reason;
  out.events.push({ type: 'register', deviceId, protocol: 'jt808', attributes });
  let authCode: string | undefined;
  if (decision.result === 0) {
    authCode = known!.issueAuthCode();
    out.issuedAuthCode = authCode;
  } else {
    out.errors.push({
      code: decision.result === 4 ? 'unknown_terminal' : 'registration_refused',
      message: decision.reason,
    });
  }
  out.replies.push(
    encodeRegisterResponse({
      ...addressee(header),
      serial: nextSerial(s),
      replySerial: header.serial,
      result,
      authCode,
    }),
  );
  return out;
}

function handleAuth(
  out: Jt808HandleResult,
  s: Jt808Session,
  header: Jt808Header,
  body: Uint8Array,
  deviceId: string,
  ctx: Jt808HandlerContext,
): Jt808HandleResult {
  const info = decodeAuth0102(body);
  out.message!.decoded = info;
  const ev: Extract<DeviceEvent, { type: 'authenticate' }> = {
    type: 'authenticate',
    deviceId,
    protocol: 'jt808',
    authCode: info.authCode,
  };
  if (info.imei !== undefined) ev.imei = info.imei;
  if (info.softwareVersion !== undefined) ev.softwareVersion = info.softwareVersion;
  out.events.push(ev);
  const known = ctx.lookupTerminal(deviceId);
  if (known && known.verifyAuthCode(info.authCode)) {
    s.authenticated = true;
    s.deviceId = deviceId;
    s.phone = header.phone;
    s.version = header.version;
    s.protocolVersion = header.protocolVersion;
    s.tzOffsetMin = known.tzOffsetMin;
    reply(out, s, header, 0);
  } else {
    s.authenticated = false;
    s.tzOffsetMin = undefined;
    out.errors.push({
      code: 'auth_failed',
      message: known ? `wrong auth code for terminal ${deviceId}` : `terminal ${deviceId} is not in the registry`,
    });
    reply(out, s, header, 1);
  }
  return out;
}

function requireAuth(out: Jt808HandleResult, s: Jt808Session, header: Jt808Header, deviceId: string): boolean {
  if (s.authenticated && s.deviceId === deviceId) return true;
  drop(
    out,
    s.authenticated
      ? { code: 'phone_mismatch', message: `session authenticated as ${s.deviceId}, frame from ${deviceId}` }
      : { code: 'not_authenticated', message: `terminal ${deviceId} has not authenticated on this connection` },
  );
  reply(out, s, header, 1);
  return false;
}

/** A body that cannot be decoded: the frame is dropped and answered 0x8001 result 2 (message error). */
function refuseBody(out: Jt808HandleResult, s: Jt808Session, h: Jt808Header, error: DecodeError): Jt808HandleResult {
  drop(out, error);
  reply(out, s, h, 2);
  return out;
}

function drop(out: Jt808HandleResult, error: DecodeError): void {
  if (!out.errors.includes(error)) out.errors.push(error);
  out.dropped = error;
}

/** Terminal-originated messages other than 0x0001 expect a platform answer. */
function expectsAnswer(msgId: number): boolean {
  return msgId !== JT808_MSG.terminalResponse && msgId < 0x8000;
}

function addressee(h: Jt808Header): Jt808Addressee {
  return h.protocolVersion === undefined
    ? { phone: h.phone, version: h.version }
    : { phone: h.phone, version: h.version, protocolVersion: h.protocolVersion };
}

function nextSerial(s: Jt808Session): number {
  const serial = s.nextPlatformSerial;
  s.nextPlatformSerial = (serial + 1) & 0xffff;
  return serial;
}

function reply(out: Jt808HandleResult, s: Jt808Session, h: Jt808Header, result: GeneralResult): void {
  out.replies.push(
    encodeGeneralResponse({
      ...addressee(h),
      serial: nextSerial(s),
      replySerial: h.serial,
      replyMsgId: h.msgId,
      result,
    }),
  );
}

function pend(out: Jt808HandleResult, s: Jt808Session, h: Jt808Header): void {
  // Built field by field (one object shape), not spread: this runs for every position report.
  const ack: PendingAck = {
    phone: h.phone,
    version: h.version,
    serial: nextSerial(s),
    msgId: h.msgId,
    replySerial: h.serial,
  };
  if (h.protocolVersion !== undefined) ack.protocolVersion = h.protocolVersion;
  if (out.pendingAcks.length === 0) out.pendingAcks = [ack];
  else out.pendingAcks.push(ack);
}

/** A copy of the session with one object shape whatever fields are set (cheaper than a spread per frame). */
function copySession(x: Jt808Session): Jt808Session {
  return {
    authenticated: x.authenticated,
    deviceId: x.deviceId,
    phone: x.phone,
    version: x.version,
    protocolVersion: x.protocolVersion,
    tzOffsetMin: x.tzOffsetMin,
    nextPlatformSerial: x.nextPlatformSerial,
    subpackages: x.subpackages,
  };
}
