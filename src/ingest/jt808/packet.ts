// One wire frame → header + body: unescape, verify the checksum, parse the header.
import type { DecodeError } from '../../core/fix';
import { JT808_FLAG, unescapeJt808, xorChecksum } from './frame';
import { parseJt808Header, type Jt808Header } from './header';

export interface Jt808Packet {
  header: Jt808Header;
  /** Body bytes as received (may differ from header.bodyLength; see `warnings`). */
  body: Uint8Array;
  checksumOk: boolean;
  /** Non-fatal findings (length mismatch, version-flag quirk, checksum ignored). */
  warnings: DecodeError[];
}

export type PacketResult =
  | { ok: true; packet: Jt808Packet }
  /** `header` is set when the header was readable, so a 0x8001 "message error" can be addressed. */
  | { ok: false; error: DecodeError; header?: Jt808Header };

export interface ParsePacketOptions {
  /** Default true. False only for diagnostics/tests: a mismatch becomes a warning. */
  verifyChecksum?: boolean;
}

/**
 * Parses one frame. Accepts the wire form with or without the surrounding 0x7E flags.
 * Error codes: empty_frame, bad_escape, bad_framing, short_frame, bad_checksum. A phone field that is not BCD is
 * read as hex digits (warning `phone_not_bcd`).
 */
export function parseJt808Packet(wire: Uint8Array, options: ParsePacketOptions = {}): PacketResult {
  let start = 0;
  let end = wire.length;
  if (end > 0 && wire[0] === JT808_FLAG) start = 1;
  if (end > start && wire[end - 1] === JT808_FLAG) end--;
  if (end <= start) return { ok: false, error: { code: 'empty_frame', message: 'frame has no content' } };
  const un = unescapeJt808(wire, start, end);
  if (!un.ok) return { ok: false, error: { code: un.code, message: un.message } };
  const content = un.content;
  const h = parseJt808Header(content);
  if (!h.ok) return { ok: false, error: { code: h.code, message: h.message } };
  const header = h.header;
  const warnings: DecodeError[] = [];
  const last = content.length - 1;
  if (last < header.headerLength) {
    return { ok: false, error: { code: 'short_frame', message: 'frame ends before its checksum' }, header };
  }
  const computed = xorChecksum(content, 0, last);
  const checksumOk = computed === content[last];
  if (!checksumOk) {
    const message = `checksum mismatch: computed 0x${hex2(computed)}, frame has 0x${hex2(content[last]!)}`;
    if (options.verifyChecksum !== false) return { ok: false, error: { code: 'bad_checksum', message }, header };
    warnings.push({ code: 'bad_checksum', message });
  }
  if (header.phoneNotBcd)
    warnings.push({
      code: 'phone_not_bcd',
      message: `terminal phone field is not BCD; keyed by its hex digits ${header.phone}`,
    });
  if (h.quirk) warnings.push({ code: h.quirk, message: 'attributes bit 14 set but the frame carries a 2013 header' });
  const body = content.subarray(header.headerLength, last);
  if (body.length !== header.bodyLength) {
    warnings.push({
      code: 'body_length_mismatch',
      message: `header declares ${header.bodyLength} body bytes, frame carries ${body.length}`,
    });
  }
  return { ok: true, packet: { header, body, checksumOk, warnings } };
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, '0');
}
