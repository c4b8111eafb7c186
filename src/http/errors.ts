// The one error envelope: { error: { code, message, details?, requestId } }.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class AppError extends Error {
  constructor(
    public readonly status: ContentfulStatusCode,
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown, code = 'bad_request') => new AppError(400, code, message, details);
export const unauthorized = (message = 'A valid bearer token is required') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'Not allowed for this token') => new AppError(403, 'forbidden', message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError(409, 'conflict', message, details);
export const unavailable = (message: string, retryAfterS: number) =>
  new AppError(503, 'unavailable', message, undefined, { 'Retry-After': String(retryAfterS) });

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

export function envelope(code: string, message: string, requestId: string, details?: unknown): ErrorEnvelope {
  return { error: details === undefined ? { code, message, requestId } : { code, message, details, requestId } };
}
