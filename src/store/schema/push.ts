// Web Push: the guardians' browser subscriptions, the durable outbox of pushes still to send, and the server's
// VAPID key pair (generated on first start when not given by VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY).
import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { notices } from './notices';
import { guardians } from './people';

export const pushSubscriptions = pgTable(
  'push_subscriptions',
  {
    id: id(),
    guardianId: integer('guardian_id')
      .notNull()
      .references(() => guardians.id, { onDelete: 'cascade' }),
    /** the push service URL the browser gave (a capability: never shown to anyone but its owner) */
    endpoint: text('endpoint').notNull().unique(),
    /** the browser's P-256 public key and auth secret (base64url), for the aes128gcm payload encryption */
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastSuccessAt: tsz('last_success_at'),
  },
  (t) => [index('push_subscriptions_guardian_idx').on(t.guardianId)],
);

/** One row per notice × subscription until the push service accepted it (or it is given up). */
export const pushOutbox = pgTable(
  'push_outbox',
  {
    id: id(),
    subscriptionId: integer('subscription_id')
      .notNull()
      .references(() => pushSubscriptions.id, { onDelete: 'cascade' }),
    noticeId: integer('notice_id')
      .notNull()
      .references(() => notices.id, { onDelete: 'cascade' }),
    attempts: integer('attempts').notNull().default(0),
    /** due time; a sender claims a row by moving it a lease ahead, so a crash mid-send retries it later */
    nextAttemptAt: tsz('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: createdAt(),
  },
  (t) => [index('push_outbox_due_idx').on(t.nextAttemptAt)],
);

/** The server's VAPID key pair (one row, id 1). */
export const pushVapidKeys = pgTable('push_vapid_keys', {
  id: integer('id').primaryKey(),
  publicKey: text('public_key').notNull(),
  privateKey: text('private_key').notNull(),
  createdAt: createdAt(),
});
