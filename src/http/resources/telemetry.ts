// Device telemetry over HTTP: partner JSON batches (device token) and the OsmAnd protocol (phone apps).
import type { Hono } from 'hono';
import { secretMatchesHash } from '../../auth/tokens';
import type { Fix } from '../../core/fix';
import { decodeJsonBatch, telemetryBatchSchema } from '../../ingest/json';
import { completeWithLastPosition, decodeOsmand } from '../../ingest/osmand';
import { StorageUnavailableError } from '../../pipeline/types';
import type { AppDeps, AppEnv, Ctx, TelemetryIngest } from '../context';
import { type CodeOf, errorStatus, isErrorCode } from '../contract/errors';
import { AppError, badRequest, envelope, forbidden, unavailable } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { readJson } from '../validate';

function requireIngest(deps: AppDeps): TelemetryIngest {
  if (!deps.ingest) throw unavailable('Telemetry ingest does not run on this runtime', 60);
  return deps.ingest;
}

/** An HTTP sender is not held while the position queue is full: it gets 503 with Retry-After and resends. */
const REFUSE_WHEN_FULL = { whenFull: 'refuse' } as const;

function storageDown(err: unknown): never {
  if (err instanceof StorageUnavailableError) {
    throw unavailable(
      err.reason === 'full'
        ? 'Storage is busy (write queue full); keep the data and resend after Retry-After'
        : 'Storage is unavailable; keep the data and resend',
      err.retryAfterS,
    );
  }
  throw err;
}

/** An OsmAnd decode error's code as an API error code (every decoder code is in the table; 'bad_request' otherwise). */
function osmandCode(code: string): CodeOf<400> {
  return isErrorCode(code) && errorStatus[code] === 400 ? (code as CodeOf<400>) : 'bad_request';
}

export function registerTelemetry(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  api.route(
    app,
    {
      method: 'post',
      path: '/telemetry/positions',
      summary: 'Post up to 1,000 positions (answered per item; 503 with Retry-After when storage is down — resend)',
      tag: 'Telemetry',
      roles: 'device',
      body: telemetryBatchSchema,
      responses: { 200: contract.telemetryResult },
    },
    async (c) => {
      const principal = c.get('principal')!;
      if (principal.role !== 'device' || principal.deviceId == null)
        throw forbidden('Positions are posted with a device token');
      const ingest = requireIngest(deps);
      const device = await ingest.directory.byId(principal.deviceId);
      if (!device) throw forbidden('This device is no longer registered');
      const decoded = decodeJsonBatch(await readJson(c), device.identifier);
      if (!decoded.ok) throw badRequest(decoded.error.message, decoded.error.details, 'validation_failed');
      const receivedMs = deps.now();
      const result = await ingest.submitFixes(device, decoded.fixes, receivedMs, REFUSE_WHEN_FULL).catch(storageDown);
      // Merge: items the decoder refused keep their reason; the others take the pipeline's verdict, in order.
      let k = 0;
      const items = decoded.results.map((r) => {
        if (r.status === 'rejected') {
          ingest.countRejected('json', 'malformed');
          return r;
        }
        const o = result.outcomes[k++]!;
        if (o.status === 'rejected') return { index: r.index, status: 'rejected' as const, reason: o.reason };
        return {
          index: r.index,
          status: 'accepted' as const,
          ...(o.status === 'duplicate' ? { duplicate: true } : o.late ? { late: true } : {}),
        };
      });
      const accepted = items.filter((i) => i.status === 'accepted').length;
      return c.json({ accepted, rejected: items.length - accepted, items });
    },
  );

  const osmand = osmandHandler(deps);
  app.all('/osmand', osmand);
  app.all('/osmand/*', osmand);
}

/** The OsmAnd protocol handler, mounted under /osmand on the main port and at / on OSMAND_PORT. */
export function osmandHandler(deps: AppDeps) {
  return async (c: Ctx) => {
    const requestId = c.get('requestId') ?? 'osmand';
    try {
      const ingest = requireIngest(deps);
      const receivedMs = deps.now();
      const url = new URL(c.req.url);
      const body = c.req.method === 'GET' ? '' : await c.req.text();
      const decoded = decodeOsmand(
        { target: url.pathname + url.search, body, contentType: c.req.header('content-type') },
        { receivedMs },
      );
      if (decoded.errors.length) {
        ingest.countRejected('osmand', decoded.errors[0]!.code);
        throw badRequest(
          decoded.errors.map((e) => e.message).join('; '),
          decoded.errors,
          osmandCode(decoded.errors[0]!.code),
        );
      }
      const device = await ingest.lookupDevice('osmand', decoded.deviceId!);
      if (!device) {
        ingest.countRejected('osmand', 'unknown_device');
        deps.log.warn('osmand report from an unregistered device', { requestId, identifier: decoded.deviceId });
        throw new AppError('unknown_device', 'Device is not registered');
      }
      if (device.secretHash) {
        // A device with a secret proves it on every report (Traccar Client: `password`; some apps: `key`).
        const given = decoded.secret ?? url.searchParams.get('password') ?? url.searchParams.get('key') ?? undefined;
        if (given === undefined || !(await secretMatchesHash(given, device.secretHash))) {
          ingest.countRejected('osmand', 'bad_secret');
          deps.log.warn('osmand report with a missing or wrong device password', {
            requestId,
            deviceId: device.deviceId,
          });
          throw new AppError(
            'unauthorized',
            given === undefined ? 'This device requires its password' : 'Wrong device password',
          );
        }
      }
      const fixes: Fix[] = [...decoded.fixes];
      for (const p of decoded.positionless) {
        const last = await lastPosition(deps, device.deviceId);
        // The last known position stands in for the missing one (marked outdated), as a valid fix.
        if (last) fixes.push({ ...completeWithLastPosition(p, last), valid: true });
        else {
          ingest.countRejected('osmand', 'no_position');
          deps.log.warn('osmand report without a position and no earlier one to reuse', {
            requestId,
            deviceId: device.deviceId,
          });
        }
      }
      const result = await ingest.submitFixes(device, fixes, receivedMs, REFUSE_WHEN_FULL).catch(storageDown);
      if (decoded.events.length) await ingest.submitEvents(device, decoded.events, receivedMs).catch(storageDown);
      const rejected = result.outcomes.filter((o) => o.status === 'rejected');
      return c.json({
        accepted: result.outcomes.length - rejected.length,
        rejected: rejected.map((r) => (r.status === 'rejected' ? r.reason : '')),
      });
    } catch (err) {
      if (err instanceof AppError) {
        for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
        return c.json(envelope(err.code, err.message, requestId, err.details), err.status);
      }
      throw err;
    }
  };
}

async function lastPosition(deps: AppDeps, deviceId: number): Promise<{ lat: number; lon: number } | undefined> {
  const rows = await deps.database.query<{ lat: number; lon: number }>(
    'select lat, lon from positions where device_id = $1 order by time desc limit 1',
    [deviceId],
  );
  return rows[0];
}
