// Maps database constraint errors to API errors (409 for duplicates and objects still in use).
import { AppError, conflict } from './errors';

interface PgErrorLike {
  code?: string;
  constraint?: string;
  constraint_name?: string;
  detail?: string;
}

function pgError(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as PgErrorLike).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as PgErrorLike;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function mapDbError(err: unknown): AppError | undefined {
  const pg = pgError(err);
  if (!pg) return undefined;
  const constraint = pg.constraint ?? pg.constraint_name;
  if (pg.code === '23505') return conflict('Already exists', { constraint });
  if (pg.code === '23503') return conflict('Refers to, or is referred to by, another object', { constraint });
  if (pg.code === '22P02' || pg.code === '22007' || pg.code === '22008' || pg.code === '22003')
    return new AppError(400, 'invalid_value', 'A value is out of range or malformed');
  return undefined;
}
