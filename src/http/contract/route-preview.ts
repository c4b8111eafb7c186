// The answer of a route import asked for a preview (`preview`): what would be stored, nothing stored.
import { z } from 'zod';
import { int, text } from './common';
import { lineString } from './registry';

export const routePreview = z.strictObject({
  preview: z.literal(true),
  name: text,
  externalId: text.nullable(),
  /** The path as it would be stored (simplified when the source has more than the cap of positions). */
  path: lineString,
  /** Positions in the source path; the stored path has path.coordinates.length. */
  sourcePoints: int,
  simplified: z.boolean(),
  stops: z.array(
    z.strictObject({ sequence: int, name: text, lat: z.number(), lon: z.number(), scheduledTime: text.nullable() }),
  ),
});
export type RoutePreview = z.infer<typeof routePreview>;
