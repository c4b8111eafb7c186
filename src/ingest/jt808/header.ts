// JT/T 808 message header (2011/2013: 12 or 16 bytes; 2019: 17 or 21 bytes).
import { canonicalJt808Phone } from '../device-identity';
import { bcdToDigits, digitsToBcd } from './bcd';
import { u16 } from './bytes';

/** Header layout on the wire. 2011 and 2013 share one header; 2019 adds a version byte and BCD[10] phone. */
export type Jt808HeaderVersion = 2013 | 2019;

export interface Jt808Header {
  msgId: number;
  /** Body length declared in the attributes word (bits 0-9). */
  bodyLength: number;
  /** Encryption bits 10-12 (0 = none, 1 = RSA). */
  encryption: number;
  subpackaged: boolean;
  /** Attributes bit 14 as sent. */
  versionFlag: boolean;
  /** Header layout actually used for parsing (a device may set bit 14 with a 2013 header). */
  version: Jt808HeaderVersion;
  /** 2019 protocol version byte (starts at 1); undefined for 2013 headers. */
  protocolVersion?: number;
  /**
   * The phone field's digits with the left zero padding: 12 (2013) or 20 (2019). BCD bytes give decimal digits;
   * a field that is not BCD (some terminals store the IMEI's leading digits as a binary number) is read as the
   * hex digits of its bytes (lowercase), which is how the terminal is keyed. Either way, encoding this string
   * back (`encodeJt808Header`) gives the field's bytes exactly.
   */
  phone: string;
  /** Set when the phone field is not BCD and `phone` holds its hex digits. */
  phoneNotBcd?: true;
  serial: number;
  /** Total packets and 1-based index when subpackaged. */
  packetTotal?: number;
  packetIndex?: number;
  /** Header size in bytes. */
  headerLength: number;
}

export const JT808_HEADER_LENGTH_2013 = 12;
export const JT808_HEADER_LENGTH_2019 = 17;

export type HeaderParseResult =
  | { ok: true; header: Jt808Header; quirk?: 'version_flag_with_2013_header' }
  | { ok: false; code: 'short_frame'; message: string };

/**
 * Parses the header at the start of `content` (unescaped header+body+checksum).
 *
 * Version detection: bit 14 clear → 2013 header. Bit 14 set → 2019 header, unless the frame length
 * only fits a 2013 header (real devices set the flag with a 12-byte header); then 2013 is used and
 * `quirk` says so.
 */
export function parseJt808Header(content: Uint8Array): HeaderParseResult {
  const n = content.length;
  if (n < JT808_HEADER_LENGTH_2013) {
    return {
      ok: false,
      code: 'short_frame',
      message: `frame has ${n} bytes, a header needs at least ${JT808_HEADER_LENGTH_2013}`,
    };
  }
  const msgId = u16(content, 0);
  const attrs = u16(content, 2);
  const bodyLength = attrs & 0x3ff;
  const encryption = (attrs >> 10) & 0x07;
  const subpackaged = (attrs & 0x2000) !== 0;
  const versionFlag = (attrs & 0x4000) !== 0;
  const subExtra = subpackaged ? 4 : 0;
  let version: Jt808HeaderVersion = 2013;
  let quirk: 'version_flag_with_2013_header' | undefined;
  if (versionFlag) {
    // n includes the trailing checksum byte when called on a whole frame's content.
    const fits2019 = n === JT808_HEADER_LENGTH_2019 + subExtra + bodyLength + 1;
    const fits2013 = n === JT808_HEADER_LENGTH_2013 + subExtra + bodyLength + 1;
    if (!fits2019 && fits2013) quirk = 'version_flag_with_2013_header';
    else version = 2019;
  }
  const headerLength = (version === 2019 ? JT808_HEADER_LENGTH_2019 : JT808_HEADER_LENGTH_2013) + subExtra;
  if (n < headerLength) {
    return {
      ok: false,
      code: 'short_frame',
      message: `frame has ${n} bytes, the ${version} header needs ${headerLength}`,
    };
  }
  let o = 4;
  let protocolVersion: number | undefined;
  if (version === 2019) protocolVersion = content[o++];
  const phoneLen = version === 2019 ? 10 : 6;
  const bcd = bcdToDigits(content, o, phoneLen);
  const phone = bcd ?? hexDigits(content, o, phoneLen);
  o += phoneLen;
  const serial = u16(content, o);
  o += 2;
  const header: Jt808Header = {
    msgId,
    bodyLength,
    encryption,
    subpackaged,
    versionFlag,
    version,
    phone,
    serial,
    headerLength,
  };
  if (protocolVersion !== undefined) header.protocolVersion = protocolVersion;
  if (bcd === undefined) header.phoneNotBcd = true;
  if (subpackaged) {
    header.packetTotal = u16(content, o);
    header.packetIndex = u16(content, o + 2);
  }
  return quirk ? { ok: true, header, quirk } : { ok: true, header };
}

/**
 * Terminal phone digits (as in `Jt808Header.phone`) → device id, the terminal's canonical identity
 * (`canonicalJt808Phone`: zero padding removed, hex digits lowercase; '013912345678' → '13912345678').
 */
export const normalizeJt808Phone = canonicalJt808Phone;

function hexDigits(b: Uint8Array, start: number, length: number): string {
  let out = '';
  for (let i = start; i < start + length; i++) out += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return out;
}

export interface Jt808HeaderFields {
  msgId: number;
  /** Digits (decimal, or hex for a non-BCD phone field); left-padded with zeros to 12 (2013) or 20 (2019) digits. */
  phone: string;
  serial: number;
  version: Jt808HeaderVersion;
  /** 2019 version byte; defaults to 1. */
  protocolVersion?: number;
  packetTotal?: number;
  packetIndex?: number;
}

/** Builds a header for a body of `bodyLength` bytes. */
export function encodeJt808Header(h: Jt808HeaderFields, bodyLength: number): Uint8Array {
  if (bodyLength > 0x3ff) throw new RangeError(`body of ${bodyLength} bytes exceeds 1023; subpackage it`);
  const sub = h.packetTotal !== undefined;
  const is2019 = h.version === 2019;
  const len = (is2019 ? JT808_HEADER_LENGTH_2019 : JT808_HEADER_LENGTH_2013) + (sub ? 4 : 0);
  const out = new Uint8Array(len);
  const attrs = bodyLength | (sub ? 0x2000 : 0) | (is2019 ? 0x4000 : 0);
  out[0] = (h.msgId >> 8) & 0xff;
  out[1] = h.msgId & 0xff;
  out[2] = attrs >> 8;
  out[3] = attrs & 0xff;
  let o = 4;
  if (is2019) out[o++] = h.protocolVersion ?? 1;
  const phone = digitsToBcd(h.phone, is2019 ? 10 : 6);
  out.set(phone, o);
  o += phone.length;
  out[o++] = (h.serial >> 8) & 0xff;
  out[o++] = h.serial & 0xff;
  if (sub) {
    out[o++] = (h.packetTotal! >> 8) & 0xff;
    out[o++] = h.packetTotal! & 0xff;
    out[o++] = ((h.packetIndex ?? 1) >> 8) & 0xff;
    out[o] = (h.packetIndex ?? 1) & 0xff;
  }
  return out;
}
