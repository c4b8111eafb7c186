// The durable outbox of outbound alerts (signed webhooks to the district's endpoints): one row per endpoint and
// case, written before anything is sent, marked delivered only on a 2xx — so every alert goes out at least once,
// across restarts, with the same id for the receiver to de-duplicate.
import { index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, tsz } from './columns';
import { violations } from './violations';

export const alertOutbox = pgTable(
  'alert_outbox',
  {
    /** The endpoint's configured name. */
    endpoint: text('endpoint').notNull(),
    violationId: integer('violation_id')
      .notNull()
      .references(() => violations.id, { onDelete: 'cascade' }),
    /** The alert's id (the same on every attempt and every endpoint): the receiver's de-duplication key. */
    alertId: text('alert_id').notNull(),
    /** The JSON body, fixed when enqueued (a resend carries the same bytes). */
    body: text('body').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Due for (another) attempt at; also the lease of an attempt in flight. */
    nextAttemptAt: tsz('next_attempt_at').notNull(),
    deliveredAt: tsz('delivered_at'),
    lastError: text('last_error'),
    lastStatus: integer('last_status'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'alert_outbox_pk', columns: [t.endpoint, t.violationId] }),
    index('alert_outbox_due_idx').on(t.deliveredAt, t.nextAttemptAt),
  ],
);
