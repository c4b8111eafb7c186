// Responses of the hazard reports: the receipt, and the status the reporter sees.
import { z } from 'zod';
import { hazardCategories } from '../../core/hazard-reports';
import { instant, int, text } from './common';

export const hazardReportStatuses = ['received', 'inProgress', 'closed', 'dismissed'] as const;

export const hazardReceipt = z.strictObject({
  /** Keep it: the only key to the report's status. */
  receipt: text,
  status: z.literal('received'),
  createdAt: instant,
});

export const hazardReportStatus = z.strictObject({
  receipt: text,
  category: z.enum(hazardCategories),
  status: z.enum(hazardReportStatuses),
  createdAt: instant,
  photos: int,
  closedAt: instant.nullable(),
  closingNote: text.nullable(),
});

export type HazardReceipt = z.infer<typeof hazardReceipt>;
export type HazardReportStatus = z.infer<typeof hazardReportStatus>;

/** A photo of a report (for the case's managers): JPEG or PNG, metadata stripped, base64. */
export const hazardPhoto = z.strictObject({
  contentType: z.enum(['image/jpeg', 'image/png']),
  sizeBytes: int,
  data: text,
});
export type HazardPhoto = z.infer<typeof hazardPhoto>;
