// Partner JSON batch: POST /api/v1/telemetry/positions body.
import { z } from 'zod';

export const MAX_POSITIONS_PER_BATCH = 1000;

/** The numeric fields of a position and their ranges: the schema below and the plain reader (./plain.ts) use these. */
export const POSITION_NUMBERS = {
  lat: { min: -90, max: 90 },
  lon: { min: -180, max: 180 },
  speedKph: { min: 0, max: 1000, optional: true },
  /** degrees clockwise from north, below 360 */
  headingDeg: { min: 0, below: 360, optional: true },
  altitudeM: { min: -1000, max: 20000, optional: true },
  accuracyM: { min: 0, optional: true },
  satellites: { min: 0, max: 255, int: true, optional: true },
} as const satisfies Record<string, NumberRange>;

export interface NumberRange {
  min: number;
  /** inclusive upper bound */
  max?: number;
  /** exclusive upper bound */
  below?: number;
  int?: boolean;
  optional?: boolean;
}

/** Epoch milliseconds (the other form of `time` is an ISO-8601 string with a zone). */
export const POSITION_TIME_MS = { min: 0, max: 8.64e15, int: true } as const satisfies NumberRange;

function numberSchema(r: NumberRange) {
  let s = r.int ? z.number().int().min(r.min) : z.number().min(r.min);
  if (r.max !== undefined) s = s.max(r.max);
  if (r.below !== undefined) s = s.lt(r.below);
  return s;
}
const optionalNumber = (r: NumberRange) => numberSchema(r).optional();

/** One position. Unknown keys are rejected so that typos (speedKmh, heading) are reported. */
export const telemetryPositionSchema = z.strictObject({
  /** ISO-8601 with a zone (Z or ±hh:mm), or epoch milliseconds. */
  time: z.union([z.iso.datetime({ offset: true }), numberSchema(POSITION_TIME_MS)]),
  lat: numberSchema(POSITION_NUMBERS.lat),
  lon: numberSchema(POSITION_NUMBERS.lon),
  speedKph: optionalNumber(POSITION_NUMBERS.speedKph),
  headingDeg: optionalNumber(POSITION_NUMBERS.headingDeg),
  altitudeM: optionalNumber(POSITION_NUMBERS.altitudeM),
  accuracyM: optionalNumber(POSITION_NUMBERS.accuracyM),
  satellites: optionalNumber(POSITION_NUMBERS.satellites),
  alarms: z.array(z.string().min(1).max(64)).max(32).optional(),
  attributes: z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()])).optional(),
  /** The partner's own id for the position (kept as attribute `positionId`). */
  id: z.union([z.string().min(1).max(128), z.number().int()]).optional(),
});

export type TelemetryPosition = z.infer<typeof telemetryPositionSchema>;

/** The envelope; items are validated one by one so that one bad item does not reject the batch. */
export const telemetryBatchEnvelopeSchema = z.object({
  positions: z.array(z.unknown()).min(1).max(MAX_POSITIONS_PER_BATCH),
});

/** The full body shape, for documentation (OpenAPI). */
export const telemetryBatchSchema = z.object({
  positions: z.array(telemetryPositionSchema).min(1).max(MAX_POSITIONS_PER_BATCH),
});
