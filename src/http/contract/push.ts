// Web Push: the server's VAPID public key and a guardian's browser subscriptions.
import { z } from 'zod';
import { instant, int, text } from './common';

export const vapidPublicKey = z.strictObject({
  /** base64url uncompressed P-256 point: the `applicationServerKey` of pushManager.subscribe */
  publicKey: text,
});

/** A subscription as its owner sees it (the keys are not echoed back). */
export const pushSubscription = z.strictObject({
  id: int,
  endpoint: text,
  userAgent: text.nullable(),
  createdAt: instant,
  lastSuccessAt: instant.nullable(),
});
export const pushSubscriptionList = z.strictObject({ items: z.array(pushSubscription) });
