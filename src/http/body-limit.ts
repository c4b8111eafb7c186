// Request body limits, enforced before any handler reads a byte: a declared Content-Length above the limit is
// answered 413 at once; a body without one (chunked) is counted while it streams and refused as soon as it
// passes the limit. The 413 closes the connection, so the rest of an oversized upload is not read.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv, Ctx } from './context';
import { envelope } from './errors';

const KIB = 1024;
const MIB = 1024 * KIB;

/** Per-route body ceilings (bytes). */
export const BODY_LIMITS = {
  /** An OsmAnd report is one query string or a small form/JSON body (phone apps send a few hundred bytes). */
  osmandBytes: 64 * KIB,
  /** Every JSON API call not listed below. */
  jsonBytes: 1 * MIB,
  /** POST /api/v1/telemetry/positions: up to 1,000 positions of up to ~4 KB each. */
  telemetryBatchBytes: 4 * MIB,
  /** Route imports: a GeoJSON document or a zipped GTFS feed (its unzipped size has its own ceiling). */
  routeImportBytes: 32 * MIB,
  /** A hazard report: up to 3 photos of up to 5 MB each, base64 in JSON (4/3 of the bytes), and the text. */
  hazardReportBytes: 21 * MIB,
} as const;

/** The ceiling for a request path on the main HTTP port. */
export function bodyLimitFor(path: string): number {
  if (path === '/osmand' || path.startsWith('/osmand/')) return BODY_LIMITS.osmandBytes;
  if (path === '/api/v1/telemetry/positions') return BODY_LIMITS.telemetryBatchBytes;
  if (path.startsWith('/api/v1/routes/import/')) return BODY_LIMITS.routeImportBytes;
  if (path === '/api/v1/hazard-reports') return BODY_LIMITS.hazardReportBytes;
  return BODY_LIMITS.jsonBytes;
}

function tooLarge(c: Ctx, maxBytes: number) {
  c.header('Connection', 'close');
  return c.json(
    envelope('payload_too_large', `Request body too large (limit ${maxBytes} bytes)`, c.get('requestId') ?? 'unknown', {
      limitBytes: maxBytes,
    }),
    413,
  );
}

/** Applies `limitFor(path)` to every request with a body. */
export function bodyLimits(limitFor: (path: string) => number): MiddlewareHandler<AppEnv> {
  const byLimit = new Map<number, MiddlewareHandler<AppEnv>>();
  const middlewareFor = (maxBytes: number) => {
    let mw = byLimit.get(maxBytes);
    if (!mw)
      byLimit.set(
        maxBytes,
        (mw = bodyLimit({ maxSize: maxBytes, onError: (c) => tooLarge(c, maxBytes) }) as MiddlewareHandler<AppEnv>),
      );
    return mw;
  };
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const maxBytes = limitFor(c.req.path);
    // A declared length (and no chunked encoding) is decided from the headers alone, as hono's bodyLimit decides
    // it, without touching `c.req.raw.body`: on Node that would build a web Request and stream around the socket
    // for every post, where the handler's `c.req.text()` otherwise reads the socket directly.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined && /^\d+$/.test(length))
      return Number(length) > maxBytes ? tooLarge(c, maxBytes) : next();
    return middlewareFor(maxBytes)(c, next);
  };
}
