// zod at the edge: malformed input becomes a 400 with field details.
import { z } from 'zod';
import type { Ctx } from './context';
import { badRequest } from './errors';

export function issuesOf(err: z.ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
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

export const idParam = z.coerce.number().int().positive();

export function parseId(c: Ctx, name = 'id'): number {
  const r = idParam.safeParse(c.req.param(name));
  if (!r.success) throw badRequest(`Path parameter '${name}' must be a positive integer`, undefined, 'validation_failed');
  return r.data;
}

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date');
export const pagination = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().min(0).optional(),
});
