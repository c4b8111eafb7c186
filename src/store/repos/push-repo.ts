// A guardian's Web Push subscriptions: each guardian reads and deletes only their own.
import { and, asc, count, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { pushSubscriptions } from '../schema';

export interface NewPushSubscription {
  guardianId: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  userAgent: string | null;
}

const visible = {
  id: pushSubscriptions.id,
  endpoint: pushSubscriptions.endpoint,
  userAgent: pushSubscriptions.userAgent,
  createdAt: pushSubscriptions.createdAt,
  lastSuccessAt: pushSubscriptions.lastSuccessAt,
};

/**
 * Stores a subscription. The same endpoint again (the browser re-subscribing, or another guardian signing in on the
 * same browser) updates the one row: a browser's endpoint delivers to whoever signed in there last.
 */
export async function savePushSubscription(db: DbOrTx, s: NewPushSubscription, nowMs: number) {
  const [row] = await db
    .insert(pushSubscriptions)
    .values({ ...s, createdAt: new Date(nowMs) })
    .onConflictDoUpdate({
      target: pushSubscriptions.endpoint,
      set: { guardianId: s.guardianId, p256dh: s.p256dh, auth: s.auth, userAgent: s.userAgent },
    })
    .returning(visible);
  return row!;
}

export async function countPushSubscriptions(db: DbOrTx, guardianId: number): Promise<number> {
  const [r] = await db
    .select({ n: count() })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.guardianId, guardianId));
  return Number(r?.n ?? 0);
}

export function listPushSubscriptions(db: DbOrTx, guardianId: number) {
  return db
    .select(visible)
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.guardianId, guardianId))
    .orderBy(asc(pushSubscriptions.id));
}

/** Deletes one of the guardian's subscriptions: 'deleted', 'notYours' (another guardian's) or 'missing'. */
export async function deletePushSubscription(
  db: DbOrTx,
  guardianId: number,
  id: number,
): Promise<'deleted' | 'notYours' | 'missing'> {
  const gone = await db
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.id, id), eq(pushSubscriptions.guardianId, guardianId)))
    .returning({ id: pushSubscriptions.id });
  if (gone.length) return 'deleted';
  const [other] = await db
    .select({ id: pushSubscriptions.id })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.id, id));
  return other ? 'notYours' : 'missing';
}
