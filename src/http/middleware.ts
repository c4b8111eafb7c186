// Request id, access log, bearer authentication and the error envelope.
import type { MiddlewareHandler } from 'hono';
import type { Authenticator } from '../auth/authenticator';
import type { AppDeps, AppEnv, Ctx } from './context';
import { mapDbError } from './db-errors';
import { StorageUnavailableError } from '../pipeline/types';
import { AppError, envelope, unauthorized, unavailable } from './errors';

let counter = 0;
export function requestIdMiddleware(): MiddlewareHandler<AppEnv> {
  const prefix = Math.random().toString(36).slice(2, 8);
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && /^[\w.-]{1,64}$/.test(given) ? given : `${prefix}-${(++counter).toString(36)}`;
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
  };
}

export function accessLogMiddleware(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = deps.now();
    await next();
    deps.log.info('http', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: deps.now() - start,
      userId: c.get('principal')?.userId,
    });
  };
}

export function authMiddleware(auth: Authenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match) throw unauthorized();
    const principal = await auth.authenticate(match[1]!);
    if (!principal) throw unauthorized('Token is unknown, expired or revoked');
    c.set('principal', principal);
    await next();
  };
}

export function errorResponse(deps: AppDeps) {
  return (err: Error, c: Ctx) => {
    const requestId = c.get('requestId') ?? 'unknown';
    const known =
      err instanceof AppError
        ? err
        : err instanceof StorageUnavailableError
          ? unavailable('Storage is unavailable; keep the data and resend', err.retryAfterS)
          : mapDbError(err);
    if (known) {
      for (const [k, v] of Object.entries(known.headers ?? {})) c.header(k, v);
      return c.json(envelope(known.code, known.message, requestId, known.details), known.status);
    }
    if ((err as { status?: number }).status === 413)
      return c.json(envelope('payload_too_large', 'Request body too large', requestId), 413);
    deps.log.error('unhandled', { requestId, error: String(err), stack: (err as Error).stack });
    return c.json(envelope('internal', 'Internal error', requestId), 500);
  };
}
