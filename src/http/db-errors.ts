// Maps database constraint errors to API errors (409 for duplicates and objects still in use).
import { AppError, conflict, unavailable } from './errors';

interface PgErrorLike {
  code?: string;
  constraint?: string;
  constraint_name?: string;
  detail?: string;
}

function errorCode(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    if (typeof (e as PgErrorLike).code === 'string') return e as PgErrorLike;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The database is unreachable: connection lost or refused, server shutting down. */
function isConnectionFailure(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code.startsWith('CONNECTION_') ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)
  );
}

export function mapDbError(err: unknown): AppError | undefined {
  const pg = errorCode(err);
  if (!pg?.code) return undefined;
  if (isConnectionFailure(pg.code)) return unavailable('The database is unavailable; try again shortly', 5);
  const constraint = pg.constraint ?? pg.constraint_name;
  if (pg.code === '23505') return conflict('Already exists', { constraint });
  if (pg.code === '23503') return conflict('Refers to, or is referred to by, another object', { constraint });
  if (pg.code === '22P02' || pg.code === '22007' || pg.code === '22008' || pg.code === '22003')
    return new AppError('invalid_value', 'A value is out of range or malformed');
  return undefined;
}
