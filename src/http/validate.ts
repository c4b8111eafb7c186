// zod at the edge: malformed input becomes a 400 with field details.
import { z } from 'zod';
import type { Ctx } from './context';
import { badRequest } from './errors';

/** One field's problem: its dotted path, zod's code, an English message, and the bound it broke (for the pages' words). */
export interface FieldIssue {
  path: string;
  code: string;
  message: string;
  /** too_small / too_big: the bound, and what it bounds (number, string length, array size, date). */
  minimum?: number;
  maximum?: number;
  origin?: string;
}

export function issuesOf(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => {
    const out: FieldIssue = { path: i.path.join('.'), message: i.message, code: i.code };
    if (i.code === 'too_small' || i.code === 'too_big') {
      const bound = i.code === 'too_small' ? i.minimum : i.maximum;
      if (typeof bound === 'number' || typeof bound === 'bigint')
        out[i.code === 'too_small' ? 'minimum' : 'maximum'] = Number(bound);
      out.origin = i.origin;
    }
    return out;
  });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(`Invalid ${what}`, issuesOf(r.error), 'validation_failed');
  return r.data;
}

export async function readJson(c: Ctx): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw badRequest('Request body must be JSON', undefined, 'invalid_json');
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Request body is not valid JSON', undefined, 'invalid_json');
  }
}

export async function parseBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.infer<S>> {
  return parseWith(schema, await readJson(c), 'body');
}

export function parseQuery<S extends z.ZodType>(c: Ctx, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query(), 'query');
}

/** Largest id (the columns are PostgreSQL integer). */
export const MAX_ID = 2_147_483_647;

/**
 * A strict decimal integer from text: digits only, no sign, no exponent, no hex, no spaces, and no leading zeros
 * (`012` is refused: one spelling per id, so caches and logs never see two). `1e3`, `0x10`, ` 12`, `+5` → 400.
 */
export function decimalInt(opts: { min: number; max: number }) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal integer without sign, spaces or leading zeros')
    .transform((s) => Number(s))
    .pipe(z.number().int().min(opts.min).max(opts.max));
}

export const idParam = decimalInt({ min: 1, max: MAX_ID });

export function parseId(c: Ctx, name = 'id'): number {
  const r = idParam.safeParse(c.req.param(name));
  if (!r.success)
    throw badRequest(`Path parameter '${name}' must be a positive integer`, undefined, 'validation_failed');
  return r.data;
}

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date');
export const pagination = z.object({
  limit: decimalInt({ min: 1, max: 500 }).default(50),
  cursor: decimalInt({ min: 0, max: MAX_ID }).optional(),
});
