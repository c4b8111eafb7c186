// Photos posted with a report or a record (base64 in JSON): JPEG or PNG by their bytes, at most 5 MB each, metadata
// stripped.
import { HAZARD_MAX_PHOTO_BYTES } from '../core/hazard-reports';
import { stripPhotoMetadata } from '../ingest/images/strip-metadata';
import { badRequest } from './errors';

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
