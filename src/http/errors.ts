// The one error envelope: { error: { code, message, details?, requestId } }; each code's HTTP status comes from the
// table in ./contract/errors.
import { type CodeOf, type ErrorCode, type ErrorEnvelope, errorStatus } from './contract/errors';

export type { ErrorCode, ErrorEnvelope } from './contract/errors';

export class AppError extends Error {
  readonly status: (typeof errorStatus)[ErrorCode];
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: unknown,
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = errorStatus[code];
  }
}

export const badRequest = (message: string, details?: unknown, code: CodeOf<400> = 'bad_request') =>
  new AppError(code, message, details);
export const unauthorized = (message = 'A valid bearer token is required') => new AppError('unauthorized', message);
export const forbidden = (message = 'Not allowed for this token') => new AppError('forbidden', message);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);
export const unavailable = (message: string, retryAfterS: number) =>
  new AppError('unavailable', message, undefined, { 'Retry-After': String(retryAfterS) });

export function envelope(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorEnvelope {
  return { error: details === undefined ? { code, message, requestId } : { code, message, details, requestId } };
}
