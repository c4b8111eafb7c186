// GBK strings (JT/T 808 STRING type). Only message fields that are text go through here.
import iconv from 'iconv-lite';

function isTrimmable(c: number, trimSpaces: boolean): boolean {
  return c === 0 || (trimSpaces && (c === 0x20 || c === 0x09));
}

/**
 * Decodes bytes[start, end) as GBK, dropping leading and trailing 0x00 padding (devices pad on
 * either side) and, when `trimSpaces`, surrounding blanks too. Pure-ASCII input skips iconv.
 */
export function decodeGbk(b: Uint8Array, start: number, end: number, trimSpaces = true): string {
  let s = Math.max(0, start);
  let e = Math.min(end, b.length);
  while (s < e && isTrimmable(b[s]!, trimSpaces)) s++;
  while (e > s && isTrimmable(b[e - 1]!, trimSpaces)) e--;
  let ascii = true;
  for (let i = s; i < e; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let out = '';
    for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
    // NULs inside a fixed-width field end the value.
    const nul = out.indexOf('\u0000');
    return nul >= 0 ? out.slice(0, nul) : out;
  }
  const text = iconv.decode(Buffer.from(b.buffer, b.byteOffset + s, e - s), 'gbk');
  const nul = text.indexOf('\u0000');
  return nul >= 0 ? text.slice(0, nul) : text;
}

/** Encodes text as GBK bytes. */
export function encodeGbk(text: string): Uint8Array {
  return new Uint8Array(iconv.encode(text, 'gbk'));
}
