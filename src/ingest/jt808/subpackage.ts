// Reassembly of subpackaged messages (attributes bit 13). Pure: state in, state out; the caller
// passes the current time for expiry.
import type { DecodeError } from '../../core/fix';
import type { Jt808Header } from './header';

export interface SubpackageEntry {
  /** phone|msgId|first serial. */
  key: string;
  total: number;
  /** Parts by 0-based index. */
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  firstSeenMs: number;
  /** Header of the first packet seen (used to describe the reassembled message). */
  header: Jt808Header;
}

export interface SubpackageState {
  entries: SubpackageEntry[];
}

export interface SubpackageLimits {
  /** Messages being reassembled at once (per session); the oldest is evicted beyond it. */
  maxEntries: number;
  /** Largest packet count accepted in one message. */
  maxPackets: number;
  /** Largest reassembled body. */
  maxBytes: number;
  /** Unfinished messages older than this are dropped. */
  expiryMs: number;
}

export const DEFAULT_SUBPACKAGE_LIMITS: SubpackageLimits = {
  maxEntries: 8,
  maxPackets: 256,
  maxBytes: 256 * 1024,
  expiryMs: 120_000,
};

export function emptySubpackageState(): SubpackageState {
  return { entries: [] };
}

export interface SubpackageAddResult {
  state: SubpackageState;
  /** Set when this packet completed a message: its first packet's header and the joined body. */
  complete?: { header: Jt808Header; body: Uint8Array };
  errors: DecodeError[];
}

/**
 * Adds one packet. Packets of a message are keyed by phone, message id and the serial of packet 1
 * (serial − index + 1; serials run consecutively within a message and wrap at 0xFFFF).
 */
export function addSubpackage(
  state: SubpackageState,
  header: Jt808Header,
  body: Uint8Array,
  nowMs: number,
  limits: SubpackageLimits = DEFAULT_SUBPACKAGE_LIMITS,
): SubpackageAddResult {
  const errors: DecodeError[] = [];
  const total = header.packetTotal ?? 0;
  const index = header.packetIndex ?? 0;
  // Expire first.
  let entries = state.entries.filter((e) => {
    if (nowMs - e.firstSeenMs <= limits.expiryMs) return true;
    errors.push({
      code: 'subpackage_expired',
      message: `dropped incomplete message ${e.key} (${e.received}/${e.total} packets)`,
    });
    return false;
  });
  if (total < 1 || index < 1 || index > total || total > limits.maxPackets) {
    errors.push({
      code: 'bad_subpackage',
      message: `packet ${index} of ${total} is out of range (max ${limits.maxPackets})`,
    });
    return { state: { entries }, errors };
  }
  const firstSerial = (header.serial - index + 1 + 0x10000) & 0xffff;
  const key = `${header.phone}|${header.msgId}|${firstSerial}`;
  let entry = entries.find((e) => e.key === key);
  if (entry && entry.total !== total) {
    errors.push({
      code: 'bad_subpackage',
      message: `packet total changed from ${entry.total} to ${total} for ${key}; restarting`,
    });
    entries = entries.filter((e) => e !== entry);
    entry = undefined;
  }
  if (!entry) {
    entry = { key, total, parts: new Array(total).fill(undefined), received: 0, bytes: 0, firstSeenMs: nowMs, header };
    entries = [...entries, entry];
    while (entries.length > limits.maxEntries) {
      const evicted = entries.shift()!;
      errors.push({ code: 'subpackage_evicted', message: `too many messages in reassembly; dropped ${evicted.key}` });
    }
  }
  const parts = entry.parts.slice();
  const prev = parts[index - 1];
  const bytes = entry.bytes - (prev?.length ?? 0) + body.length;
  if (bytes > limits.maxBytes) {
    errors.push({ code: 'subpackage_too_large', message: `message ${key} exceeds ${limits.maxBytes} bytes; dropped` });
    return { state: { entries: entries.filter((e) => e.key !== key) }, errors };
  }
  parts[index - 1] = body.slice();
  const updated: SubpackageEntry = {
    ...entry,
    parts,
    bytes,
    received: entry.received + (prev ? 0 : 1),
    header: index === 1 ? header : entry.header,
  };
  if (updated.received < total) {
    return { state: { entries: entries.map((e) => (e.key === key ? updated : e)) }, errors };
  }
  const joined = new Uint8Array(bytes);
  let o = 0;
  for (const p of parts) {
    joined.set(p!, o);
    o += p!.length;
  }
  return {
    state: { entries: entries.filter((e) => e.key !== key) },
    complete: { header: updated.header, body: joined },
    errors,
  };
}
