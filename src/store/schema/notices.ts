import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { guardians } from './people';
import { trips } from './trips';

export const notices = pgTable(
  'notices',
  {
    id: id(),
    guardianId: integer('guardian_id')
      .notNull()
      .references(() => guardians.id, { onDelete: 'cascade' }),
    tripId: integer('trip_id').references(() => trips.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(),
    /** guardian + trip + stop + kind: a notice is delivered once. */
    dedupeKey: text('dedupe_key').notNull().unique(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    textZh: text('text_zh').notNull(),
    textEn: text('text_en').notNull(),
    createdAt: createdAt(),
    deliveredAt: tsz('delivered_at'),
  },
  (t) => [index('notices_guardian_idx').on(t.guardianId, t.id)],
);
