// Partner JSON batch: POST /api/v1/telemetry/positions body.
import { z } from 'zod';

export const MAX_POSITIONS_PER_BATCH = 1000;

/** One position. Unknown keys are rejected so that typos (speedKmh, heading) are reported. */
export const telemetryPositionSchema = z.strictObject({
  /** ISO-8601 with a zone (Z or ±hh:mm), or epoch milliseconds. */
  time: z.union([z.iso.datetime({ offset: true }), z.number().int().min(0).max(8.64e15)]),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  speedKph: z.number().min(0).max(1000).optional(),
  headingDeg: z.number().min(0).lt(360).optional(),
  altitudeM: z.number().min(-1000).max(20000).optional(),
  accuracyM: z.number().min(0).optional(),
  satellites: z.number().int().min(0).max(255).optional(),
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
