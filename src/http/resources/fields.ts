// Field schemas shared by the registry resources.
import { getTableColumns, type Table } from 'drizzle-orm';
import { z } from 'zod';
import { isoDate } from '../validate';

export const id = z.number().int().positive();
export const lat = z.number().min(-90).max(90);
export const lon = z.number().min(-180).max(180);
export const date = isoDate;
export const name = z.string().trim().min(1).max(200);
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');
export const position = z.tuple([lon, lat]);
export const lineString = z.object({
  type: z.literal('LineString'),
  coordinates: z.array(position).min(2, 'a path needs at least two positions'),
});
export const polygon = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(z.array(position).min(4, 'a ring needs at least four positions')).min(1),
});
/** 'HH:MM' or 'HH:MM:SS' (hours may pass 24 for trips after midnight, as in GTFS). */
export const timeOfDay = z.string().regex(/^\d{1,2}:\d{2}(:\d{2})?$/, 'expected HH:MM or HH:MM:SS');

export function secondsOfDay(t: string): number {
  const [h, m, s] = t.split(':').map(Number);
  return h! * 3600 + m! * 60 + (s ?? 0);
}

export function timeOfDayText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Whether column K of a table may hold NULL (false for keys that are no column, e.g. owned children). */
type Clearable<TB extends Table, K> = K extends keyof TB['_']['columns']
  ? TB['_']['columns'][K]['_']['notNull'] extends true
    ? false
    : true
  : false;

/**
 * An update schema: every field optional, nothing defaulted, and a field stored in a nullable column of `table`
 * also takes null, which clears it (the column becomes NULL). A field of a NOT NULL column, or one that is no
 * column, refuses null (400 naming the field).
 */
export function partialOf<T extends z.ZodRawShape, TB extends Table>(shape: T, table: TB) {
  const columns = getTableColumns(table);
  const fields = Object.fromEntries(
    Object.entries(shape).map(([key, field]) => {
      const inner = (
        field instanceof z.ZodOptional || field instanceof z.ZodDefault ? field.unwrap() : field
      ) as z.ZodType;
      const column = columns[key];
      const clearable = column !== undefined && !column.notNull && !(inner instanceof z.ZodNullable);
      return [key, (clearable ? inner.nullable() : inner).optional()];
    }),
  );
  return z.object(fields).strict() as unknown as z.ZodObject<
    { [K in keyof T]: Clearable<TB, K> extends true ? z.ZodOptional<z.ZodNullable<T[K]>> : z.ZodOptional<T[K]> },
    z.core.$strict
  >;
}

/** Rule overrides (a school's or a route's): an object at most 6 levels deep and 16 kB as JSON, else a 400. */
export const ruleOverrides = z.record(z.string().max(100), z.unknown()).superRefine((v, ctx) => {
  const depth = (x: unknown, d: number): number => {
    if (d > 6 || x === null || typeof x !== 'object') return d;
    let max = d;
    for (const y of Object.values(x as Record<string, unknown>)) {
      max = Math.max(max, depth(y, d + 1));
      if (max > 6) break;
    }
    return max;
  };
  if (depth(v, 1) > 6) {
    ctx.addIssue({ code: 'custom', message: 'ruleOverrides may nest at most 6 levels' });
    return;
  }
  if (JSON.stringify(v).length > 16_384)
    ctx.addIssue({ code: 'custom', message: 'ruleOverrides must be at most 16 kB' });
});
