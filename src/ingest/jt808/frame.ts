// JT/T 808 framing: 0x7E flags, 0x7D escaping and the XOR checksum.
//   send:    build header+body → checksum → escape → wrap in 0x7E
//   receive: strip 0x7E → unescape → verify checksum → parse

export const JT808_FLAG = 0x7e;
export const JT808_ESCAPE = 0x7d;

/** XOR of bytes[start, end). */
export function xorChecksum(b: Uint8Array, start = 0, end = b.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= b[i]!;
  return x;
}

/** Escapes content: 0x7E → 7D 02, 0x7D → 7D 01. */
export function escapeJt808(content: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < content.length; i++) if (content[i] === JT808_FLAG || content[i] === JT808_ESCAPE) extra++;
  if (extra === 0) return content.slice();
  const out = new Uint8Array(content.length + extra);
  let j = 0;
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (c === JT808_FLAG) {
      out[j++] = JT808_ESCAPE;
      out[j++] = 0x02;
    } else if (c === JT808_ESCAPE) {
      out[j++] = JT808_ESCAPE;
      out[j++] = 0x01;
    } else out[j++] = c;
  }
  return out;
}

export type UnescapeResult =
  { ok: true; content: Uint8Array } | { ok: false; code: 'bad_escape' | 'bad_framing'; message: string };

/**
 * Reverses escaping of wire[start, end). A 0x7D must be followed by 01 or 02; a bare 0x7E inside
 * is a framing error. Returns a view of the input when nothing was escaped.
 */
export function unescapeJt808(wire: Uint8Array, start = 0, end = wire.length): UnescapeResult {
  let needsCopy = false;
  for (let i = start; i < end; i++) {
    const c = wire[i];
    if (c === JT808_ESCAPE) {
      needsCopy = true;
      break;
    }
    if (c === JT808_FLAG) return { ok: false, code: 'bad_framing', message: `0x7E inside a frame at byte ${i}` };
  }
  if (!needsCopy) return { ok: true, content: wire.subarray(start, end) };
  const out = new Uint8Array(end - start);
  let j = 0;
  for (let i = start; i < end; i++) {
    const c = wire[i]!;
    if (c === JT808_ESCAPE) {
      const next = i + 1 < end ? wire[i + 1]! : -1;
      if (next === 0x01) out[j++] = JT808_ESCAPE;
      else if (next === 0x02) out[j++] = JT808_FLAG;
      else
        return {
          ok: false,
          code: 'bad_escape',
          message: `0x7D followed by ${next < 0 ? 'end of frame' : '0x' + next.toString(16).padStart(2, '0')} at byte ${i}`,
        };
      i++;
    } else if (c === JT808_FLAG) {
      return { ok: false, code: 'bad_framing', message: `0x7E inside a frame at byte ${i}` };
    } else out[j++] = c;
  }
  return { ok: true, content: out.subarray(0, j) };
}

/** Wraps already-built header+body: appends the checksum, escapes, adds the 0x7E flags. */
export function wrapJt808Frame(content: Uint8Array): Uint8Array {
  const withSum = new Uint8Array(content.length + 1);
  withSum.set(content);
  withSum[content.length] = xorChecksum(content);
  const escaped = escapeJt808(withSum);
  const out = new Uint8Array(escaped.length + 2);
  out[0] = JT808_FLAG;
  out.set(escaped, 1);
  out[out.length - 1] = JT808_FLAG;
  return out;
}
