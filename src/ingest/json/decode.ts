// Partner JSON batch → fixes with a result per item. Pure; the device id comes from the caller's
// (token-authenticated) identity.
import type { AttributeValue, DecodeError, Fix } from '../../core/fix';
import { plainPosition } from './plain';
import { telemetryBatchEnvelopeSchema, telemetryPositionSchema, type TelemetryPosition } from './schema';

export type JsonItemResult =
  { index: number; status: 'accepted' } | { index: number; status: 'rejected'; reason: string };

export type JsonBatchResult =
  | { ok: true; fixes: Fix[]; results: JsonItemResult[] }
  /** The body is not `{ positions: [1..1000 items] }` at all: one error for the whole request. */
  | { ok: false; error: DecodeError & { details?: unknown } };

export function decodeJsonBatch(body: unknown, deviceId: string): JsonBatchResult {
  const envelope = telemetryBatchEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    return {
      ok: false,
      error: {
        code: 'invalid_body',
        message: 'body must be { positions: [...] } with 1 to 1000 items',
        details: envelope.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    };
  }
  const fixes: Fix[] = [];
  const results: JsonItemResult[] = [];
  envelope.data.positions.forEach((raw, index) => {
    const plain = plainPosition(raw);
    if (plain) {
      fixes.push(toFix(plain, deviceId));
      results.push({ index, status: 'accepted' });
      return;
    }
    const item = telemetryPositionSchema.safeParse(raw);
    if (!item.success) {
      const reason = item.error.issues
        .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
        .join('; ');
      results.push({ index, status: 'rejected', reason });
      return;
    }
    fixes.push(toFix(item.data, deviceId));
    results.push({ index, status: 'accepted' });
  });
  return { ok: true, fixes, results };
}

function toFix(p: TelemetryPosition, deviceId: string): Fix {
  const attributes: Record<string, AttributeValue> = { ...(p.attributes ?? {}) };
  if (p.id !== undefined) attributes.positionId = String(p.id);
  const fix: Fix = {
    deviceId,
    protocol: 'json',
    timeMs: typeof p.time === 'number' ? p.time : Date.parse(p.time),
    lat: p.lat,
    lon: p.lon,
    valid: true,
    alarms: [...(p.alarms ?? [])],
    attributes,
  };
  if (p.speedKph !== undefined) fix.speedKph = p.speedKph;
  if (p.headingDeg !== undefined) fix.headingDeg = p.headingDeg;
  if (p.altitudeM !== undefined) fix.altitudeM = p.altitudeM;
  if (p.accuracyM !== undefined) fix.accuracyM = p.accuracyM;
  if (p.satellites !== undefined) fix.satellites = p.satellites;
  return fix;
}
