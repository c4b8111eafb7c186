// Notices to staff (managers, supervisors): a case due soon, a case escalated (挂牌督办), a report ready.
// One row per user and event (dedupe key), so a job that runs twice notifies once.
import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { users } from './users';
import { violations } from './violations';

export const staffNoticeKinds = ['caseDueSoon', 'caseEscalated', 'reportReady'] as const;

export const staffNotices = pgTable(
  'staff_notices',
  {
    id: id(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: staffNoticeKinds }).notNull(),
    violationId: integer('violation_id').references(() => violations.id, { onDelete: 'cascade' }),
    /** user + kind + subject: a notice is stored once. */
    dedupeKey: text('dedupe_key').notNull().unique(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    textZh: text('text_zh').notNull(),
    textEn: text('text_en').notNull(),
    createdAt: createdAt(),
    readAt: tsz('read_at'),
  },
  (t) => [index('staff_notices_user_idx').on(t.userId, t.id)],
);
