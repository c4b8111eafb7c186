// Photos posted with a report or a record (base64 in JSON): JPEG or PNG by their bytes, at most 5 MB each, metadata
// stripped; and served back one at a time (GET …/photos/{n}).
import { HAZARD_MAX_PHOTO_BYTES, HAZARD_MAX_PHOTOS } from '../core/hazard-reports';
import { stripPhotoMetadata } from '../ingest/images/strip-metadata';
import type { Ctx } from './context';
import { badRequest, notFound } from './errors';
import { decimalInt } from './validate';

/** JPEG or PNG by their bytes, at most 5 MB each, metadata stripped; 400 naming the photo otherwise. */
export function photosOf(list: { data: string }[]): { contentType: string; data: Uint8Array }[] {
  return list.map((p, i) => {
    const raw = Uint8Array.from(Buffer.from(p.data, 'base64'));
    if (raw.length > HAZARD_MAX_PHOTO_BYTES)
      throw badRequest(
        'A photo is larger than 5 MB',
        [{ path: `photos.${i}`, message: 'over 5 MB' }],
        'validation_failed',
      );
    const stripped = stripPhotoMetadata(raw);
    if (!stripped.ok)
      throw badRequest(
        `Photo ${i + 1}: ${stripped.error}`,
        [{ path: `photos.${i}`, message: stripped.error }],
        'validation_failed',
      );
    return { contentType: stripped.type, data: stripped.bytes };
  });
}

/** The photo number of GET …/photos/{n} (1–3); 400 otherwise. */
export function photoNumber(c: Ctx): number {
  const n = decimalInt({ min: 1, max: HAZARD_MAX_PHOTOS }).safeParse(c.req.param('n'));
  if (!n.success) throw badRequest('n must be 1, 2 or 3', [{ path: 'n', message: 'out of range' }], 'bad_id');
  return n.data;
}

/** A stored photo as the API answers it (type, size and base64 bytes), cached privately for an hour; 404 if none. */
export function photoResponse(c: Ctx, photo: { contentType: string; data: Uint8Array } | undefined) {
  if (!photo) throw notFound('Photo');
  c.header('cache-control', 'private, max-age=3600');
  return c.json({
    contentType: photo.contentType as 'image/jpeg' | 'image/png',
    sizeBytes: photo.data.length,
    data: Buffer.from(photo.data).toString('base64'),
  });
}
