// Building blocks of the response schemas: JSON forms of ids, instants and dates, and the page wrappers.
import { z } from 'zod';

export const int = z.number().int();
/** An instant as JSON: ISO-8601 with the time (Date#toJSON). */
export const instant = z.iso.datetime({ offset: true });
/** A local calendar date: YYYY-MM-DD. */
export const day = z.iso.date();
export const text = z.string();
export const anyRecord = z.record(z.string(), z.unknown());
export const lonLat = z.tuple([z.number(), z.number()]);

/** A registry list page: keyset cursor is the last id, null on the last page. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), nextCursor: int.nullable() });
export const itemsOf = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item) });
