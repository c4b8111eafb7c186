// Glue between the socket and the pure session handler (src/ingest/jt808/session.ts): which frames need the
// registry first, the per-frame results waiting for their commit, and the one buffer their answers go out in.
// What to answer is decided by the session handler only; nothing here builds a refusal of its own.
import type { DeviceEvent, Fix } from '../../../core/fix';
import {
  decodeRegister0100,
  encodePendingAcksInto,
  JT808_MSG,
  PENDING_ACK_MAX_WIRE_BYTES,
  type Jt808HeaderVersion,
  type PendingAck,
} from '../../../ingest/jt808';

export interface QueuedFrame {
  wire: Uint8Array;
  /** Over the connection's rate: refused without being handled. */
  limited: boolean;
}

/** One handled frame while its storage work is pending: what to send once it is done. */
export interface Item {
  replies: Uint8Array[];
  fixes: Fix[];
  events: DeviceEvent[];
  pendingAcks: PendingAck[];
}

// Shared empty lists (never added to).
export const NO_REPLIES: Uint8Array[] = [];
export const NO_FIXES: Fix[] = [];
export const NO_EVENTS: DeviceEvent[] = [];
export const NO_ACKS: PendingAck[] = [];

/** The unescaped message id of a wire frame, or -1 when the first bytes do not allow it. */
export function peekMsgId(wire: Uint8Array): number {
  let id = 0;
  let got = 0;
  for (let i = 1; i < wire.length - 1 && got < 2; i++) {
    let c = wire[i]!;
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

/** Registration and authentication: handled one at a time, after the terminal is looked up in the registry. */
export function needsRegistry(q: QueuedFrame): boolean {
  if (q.limited) return false;
  const id = peekMsgId(q.wire);
  return id === JT808_MSG.register || id === JT808_MSG.authenticate;
}

/** The plate a 0x0100 body names ('' when the body cannot be read: the handler refuses it anyway). */
export function registerPlate(body: Uint8Array, version: Jt808HeaderVersion): string {
  const info = decodeRegister0100(body, version);
  return typeof info === 'string' ? '' : info.plate;
}

/** The fixes of items[from, to) in one array; the items let go of theirs (only the acks are needed later). */
export function takeFixes(items: Item[], from: number, to: number): Fix[] {
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

/**
 * The replies and acks (with `result`) of items[from, to), in frame order, in one buffer of the exact size;
 * undefined when there is nothing to send.
 */
export function encodeItems(items: Item[], from: number, to: number, result: 0 | 1): Buffer | undefined {
  let size = 0;
  for (let k = from; k < to; k++) {
    const it = items[k]!;
    for (const r of it.replies) size += r.length;
    size += it.pendingAcks.length * PENDING_ACK_MAX_WIRE_BYTES;
  }
  if (size === 0) return undefined;
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
  return out;
}
