// Responses of the staff notices (a case due soon or escalated, for managers and supervisors).
import { z } from 'zod';
import { staffNoticeKinds } from '../../store/schema';
import { anyRecord, instant, int, text } from './common';

export const staffNotice = z.strictObject({
  id: int,
  kind: z.enum(staffNoticeKinds),
  violationId: int.nullable(),
  payload: anyRecord,
  textZh: text,
  textEn: text,
  createdAt: instant,
  readAt: instant.nullable(),
});
export const staffNoticePage = z.strictObject({ items: z.array(staffNotice), nextCursor: int.nullable() });
