// PNG icons of the installable pages, drawn from the same shapes as the SVG icon (src/pages/shell.ts): the yellow
// tile with the dark bus. Rendered once at start (4×4 supersampling) and encoded with node:zlib: no image library.
import { deflateSync } from 'node:zlib';

type Rgb = [number, number, number];
const YELLOW: Rgb = [0xf5, 0xb8, 0x00];
const DARK: Rgb = [0x1d, 0x2a, 0x3a];
const GLASS: Rgb = [0xcf, 0xe3, 0xff];

function inRoundRect(x: number, y: number, rx: number, ry: number, w: number, h: number, r: number): boolean {
  if (x < rx || y < ry || x > rx + w || y > ry + h) return false;
  const cx = Math.min(Math.max(x, rx + r), rx + w - r);
  const cy = Math.min(Math.max(y, ry + r), ry + h - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The colour at a point of the 64×64 icon, or null outside the tile. */
function colourAt(x: number, y: number, maskable: boolean): Rgb | null {
  // maskable: full-bleed tile, the bus shrunk into the central safe zone (80 %)
  if (!maskable && !inRoundRect(x, y, 0, 0, 64, 64, 12)) return null;
  const [u, v] = maskable ? [32 + (x - 32) / 0.8, 32 + (y - 32) / 0.8] : [x, y];
  if (inRoundRect(u, v, 16, 18, 32, 12, 2)) return GLASS;
  if (inRoundRect(u, v, 12, 14, 40, 30, 5)) return DARK;
  if ((u - 21) ** 2 + (v - 48) ** 2 <= 25 || (u - 43) ** 2 + (v - 48) ** 2 <= 25) return DARK;
  return YELLOW;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The icon as an RGBA PNG of size × size pixels. */
export function iconPng(size: number, opts: { maskable?: boolean } = {}): Uint8Array {
  const S = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    const row = py * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const c = colourAt(((px + (sx + 0.5) / S) * 64) / size, ((py + (sy + 0.5) / S) * 64) / size, !!opts.maskable);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a++;
        }
      const o = row + 1 + px * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round((255 * a) / (S * S));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
