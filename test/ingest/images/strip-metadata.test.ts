// Photos of hazard reports: the type is read from the bytes, the structure is checked, metadata is dropped, and
// no input crashes the decoder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sniffPhotoType, stripPhotoMetadata } from '../../../src/ingest/images/strip-metadata';
import { EXIF_SECRET, jpegWithExif, pngWithText } from '../../helpers/photos';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('photo metadata', () => {
  it('drops EXIF, ICC and comment segments of a JPEG and keeps JFIF and the image data', () => {
    const src = jpegWithExif();
    expect(text(src)).toContain(EXIF_SECRET);
    const r = stripPhotoMetadata(src);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.type).toBe('image/jpeg');
    expect(r.removed).toBe(3);
    expect(text(r.bytes)).not.toContain(EXIF_SECRET);
    expect(text(r.bytes)).not.toContain('Exif');
    expect(text(r.bytes)).not.toContain('taken by someone');
    expect(text(r.bytes)).toContain('JFIF');
    expect([...r.bytes.slice(0, 2)]).toEqual([0xff, 0xd8]);
    expect([...r.bytes.slice(-2)]).toEqual([0xff, 0xd9]);
    // Stripping again changes nothing.
    const again = stripPhotoMetadata(r.bytes);
    expect(again.ok && [...again.bytes]).toEqual([...r.bytes]);
  });

  it('drops text and EXIF chunks of a PNG and keeps the image chunks', () => {
    const r = stripPhotoMetadata(pngWithText());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.type).toBe('image/png');
    expect(r.removed).toBe(2);
    expect(text(r.bytes)).not.toContain(EXIF_SECRET);
    expect(text(r.bytes)).toContain('IHDR');
    expect(text(r.bytes)).toContain('IDAT');
    expect(text(r.bytes).endsWith('IEND\0\0\0\0')).toBe(true);
  });

  it('decides the type by content, whatever the name says, and refuses broken files', () => {
    expect(sniffPhotoType(new TextEncoder().encode('GIF89a....'))).toBeUndefined();
    expect(stripPhotoMetadata(new TextEncoder().encode('<svg onload=alert(1)>'))).toMatchObject({ ok: false });
    const jpeg = jpegWithExif();
    expect(stripPhotoMetadata(jpeg.slice(0, 40))).toMatchObject({ ok: false });
    expect(stripPhotoMetadata(jpeg.slice(0, jpeg.length - 2))).toMatchObject({
      ok: false,
      error: expect.stringContaining('end'),
    });
    const png = pngWithText();
    expect(stripPhotoMetadata(png.slice(0, png.length - 12))).toMatchObject({
      ok: false,
      error: 'PNG ends before IEND',
    });
  });

  it('never throws, and never returns a file with more bytes than it got (fuzz)', () => {
    const seeds = [jpegWithExif(), pngWithText()];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat(400), fc.integer({ min: 0, max: 255 })).map(([s, at, v]) => {
            const b = s.slice();
            if (b.length) b[at % b.length] = v;
            return b;
          }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat(400)).map(([s, n]) => s.slice(0, n % (s.length + 1))),
        ),
        (bytes) => {
          const r = stripPhotoMetadata(bytes);
          if (r.ok) {
            expect(r.bytes.length).toBeLessThanOrEqual(bytes.length);
            expect(sniffPhotoType(r.bytes)).toBe(r.type);
          } else expect(r.error.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
