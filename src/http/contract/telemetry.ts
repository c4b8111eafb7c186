// Response of the partner JSON telemetry batch: a verdict per item, in order.
import { z } from 'zod';
import { int, text } from './common';

export const telemetryItem = z.discriminatedUnion('status', [
  z.strictObject({
    index: int,
    status: z.literal('accepted'),
    duplicate: z.literal(true).optional(),
    late: z.literal(true).optional(),
  }),
  z.strictObject({ index: int, status: z.literal('rejected'), reason: text }),
]);
export const telemetryResult = z.strictObject({ accepted: int, rejected: int, items: z.array(telemetryItem) });

export type TelemetryResult = z.infer<typeof telemetryResult>;
