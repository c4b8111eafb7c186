// Photos sent with hazard reports: the type is decided by the bytes (JPEG or PNG, whatever the sender claims),
// the structure is walked and checked, and every metadata block is dropped — JPEG APPn segments (EXIF with the
// GPS position and camera serial, XMP, ICC, Photoshop IRB…; APP0 JFIF and APP14 Adobe are kept, they carry no
// personal data and decoders need them) and comments; PNG text chunks (tEXt, zTXt, iTXt), eXIf and tIME.
// Pure: bytes in, bytes (or an error) out.

export type PhotoType = 'image/jpeg' | 'image/png';

export type StripResult =
  { ok: true; type: PhotoType; bytes: Uint8Array; removed: number } | { ok: false; error: string };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_DROP = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']);

/** The type by magic number, or undefined. */
export function sniffPhotoType(b: Uint8Array): PhotoType | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && PNG_SIGNATURE.every((x, i) => b[i] === x)) return 'image/png';
  return undefined;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function stripJpeg(b: Uint8Array): StripResult {
  const keep: Uint8Array[] = [b.subarray(0, 2)];
  let removed = 0;
  let i = 2;
  for (;;) {
    if (i + 4 > b.length) return { ok: false, error: 'JPEG ends before its image data' };
    if (b[i] !== 0xff) return { ok: false, error: `JPEG marker expected at byte ${i}` };
    let m = b[i + 1]!;
    // Fill bytes (0xFF repeated) before a marker are allowed.
    while (m === 0xff && i + 2 < b.length) m = b[++i + 1]!;
    if (m === 0xd8 || m === 0xd9 || (m >= 0xd0 && m <= 0xd7) || m === 0x01)
      return { ok: false, error: `unexpected JPEG marker 0x${m.toString(16)} before the image data` };
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (len < 2 || i + 2 + len > b.length) return { ok: false, error: 'JPEG segment runs past the end' };
    const segment = b.subarray(i, i + 2 + len);
    const isApp = m >= 0xe0 && m <= 0xef;
    if ((isApp && m !== 0xe0 && m !== 0xee) || m === 0xfe) removed++;
    else keep.push(segment);
    i += 2 + len;
    if (m === 0xda) {
      // Start of scan: the entropy-coded data and any further scans are kept as they are up to the last EOI;
      // anything appended after it (some cameras add a trailer) is dropped.
      const rest = b.subarray(i);
      const eoi = lastEoi(rest);
      if (eoi < 0) return { ok: false, error: 'JPEG has no end-of-image marker' };
      keep.push(rest.subarray(0, eoi + 2));
      return { ok: true, type: 'image/jpeg', bytes: concat(keep), removed };
    }
  }
}

function lastEoi(b: Uint8Array): number {
  for (let j = b.length - 2; j >= 0; j--) if (b[j] === 0xff && b[j + 1] === 0xd9) return j;
  return -1;
}

function stripPng(b: Uint8Array): StripResult {
  const keep: Uint8Array[] = [b.subarray(0, 8)];
  let removed = 0;
  let i = 8;
  let first = true;
  for (;;) {
    if (i + 12 > b.length) return { ok: false, error: 'PNG ends before IEND' };
    const len = ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) return { ok: false, error: `bad PNG chunk type at byte ${i}` };
    if (first && type !== 'IHDR') return { ok: false, error: 'PNG does not start with IHDR' };
    first = false;
    if (i + 12 + len > b.length) return { ok: false, error: `PNG chunk ${type} runs past the end` };
    const chunk = b.subarray(i, i + 12 + len);
    if (PNG_DROP.has(type)) removed++;
    else keep.push(chunk);
    i += 12 + len;
    if (type === 'IEND') return { ok: true, type: 'image/png', bytes: concat(keep), removed };
  }
}

/** Checks a photo by its bytes and returns it without metadata. */
export function stripPhotoMetadata(bytes: Uint8Array): StripResult {
  const type = sniffPhotoType(bytes);
  if (type === 'image/jpeg') return stripJpeg(bytes);
  if (type === 'image/png') return stripPng(bytes);
  return { ok: false, error: 'not a JPEG or PNG image' };
}
