// Small JPEG and PNG files built byte by byte for the photo tests: the structure a camera writes (JFIF, an EXIF
// block with a GPS position and the camera's serial, a comment), with placeholder image data.
const seg = (marker: number, payload: number[]) => [
  0xff,
  marker,
  (payload.length + 2) >> 8,
  (payload.length + 2) & 0xff,
  ...payload,
];
const ascii = (s: string) => [...new TextEncoder().encode(s)];

export const EXIF_SECRET = 'GPS 31.2304N 121.4737E serial SN-0042';

export function jpegWithExif(): Uint8Array {
  return Uint8Array.from([
    0xff,
    0xd8,
    ...seg(0xe0, ascii('JFIF\0\x01\x02\0\0\x01\0\x01\0\0')),
    ...seg(0xe1, ascii(`Exif\0\0${EXIF_SECRET}`)),
    ...seg(0xe2, ascii('ICC_PROFILE\0 profile')),
    ...seg(0xfe, ascii('taken by someone')),
    ...seg(0xdb, [0, ...new Array(64).fill(1)]),
    ...seg(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
    ...seg(0xc4, [0, ...new Array(16).fill(0), 0]),
    ...seg(0xda, [1, 1, 0, 0, 63, 0]),
    0x12,
    0x34,
    0xff,
    0x00,
    0x56,
    0xff,
    0xd9,
  ]);
}

function chunk(type: string, data: number[]): number[] {
  const n = data.length;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...ascii(type), ...data, 0, 0, 0, 0];
}

export function pngWithText(): Uint8Array {
  return Uint8Array.from([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]),
    ...chunk('tEXt', ascii(`Comment\0${EXIF_SECRET}`)),
    ...chunk('eXIf', ascii(`MM\0*${EXIF_SECRET}`)),
    ...chunk('IDAT', [0x78, 0x9c, 0x63, 0, 0, 0, 2, 0, 1]),
    ...chunk('IEND', []),
  ]);
}
