// Response of the compliance expiries (R10).
import { z } from 'zod';
import { complianceItemKinds } from '../../core/compliance';
import { day, int, text } from './common';

export const complianceItem = z.strictObject({
  kind: z.enum(complianceItemKinds),
  subjectType: z.enum(['driver', 'bus', 'attendant']),
  subjectId: int,
  subjectName: text,
  schoolId: int,
  /** The last valid day; null when the credential is missing altogether. */
  expiresOn: day.nullable(),
  /** Days from the school's local date to expiresOn (negative once expired). */
  daysLeft: int.nullable(),
  status: z.enum(['expired', 'expiring', 'missing']),
});

export const complianceExpiries = z.strictObject({
  withinDays: int,
  /** The local date at each school (by school id). */
  asOf: z.record(z.string(), day),
  counts: z.strictObject({ expired: int, expiring: int, missing: int }),
  items: z.array(complianceItem),
});

export type ComplianceItem = z.infer<typeof complianceItem>;
export type ComplianceExpiries = z.infer<typeof complianceExpiries>;
