// Response of the attendant's SOS (R11): the critical `emergency` case it opened (or the one a resend found).
import { z } from 'zod';
import { caseStatuses, severities } from '../../store/schema';
import { instant, int, text } from './common';

export const sosResult = z.strictObject({
  tripId: int,
  violationId: int,
  /** false when the same clientId was sent before: the first SOS stands */
  created: z.boolean(),
  kind: z.literal('emergency'),
  severity: z.enum(severities),
  status: z.enum(caseStatuses),
  startedAt: instant,
  position: z.strictObject({ lat: z.number(), lon: z.number(), source: z.enum(['phone', 'bus']) }).nullable(),
  note: text.nullable(),
});

export type SosResult = z.infer<typeof sosResult>;
