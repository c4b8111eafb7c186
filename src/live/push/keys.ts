// The server's VAPID key pair (RFC 8292): from VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY when given, else the pair
// stored in the database, generated on first start (insert … on conflict do nothing: two instances starting
// together end up with the same pair).
import { eq } from 'drizzle-orm';
import webpush from 'web-push';
import type { Database } from '../../store/db';
import { pushVapidKeys } from '../../store/schema';

export interface VapidKeys {
  /** uncompressed P-256 point, base64url (65 bytes) */
  publicKey: string;
  /** P-256 private scalar, base64url (32 bytes) */
  privateKey: string;
}

export const DEFAULT_VAPID_SUBJECT = 'mailto:push@busguard.invalid';

function bytesOf(b64url: string): number {
  return /^[A-Za-z0-9_-]+={0,2}$/.test(b64url) ? Buffer.from(b64url, 'base64url').length : -1;
}

/** Why a given pair cannot be used, or null. */
export function vapidKeysProblem(keys: VapidKeys): string | null {
  if (bytesOf(keys.publicKey) !== 65) return 'VAPID_PUBLIC_KEY must be a base64url uncompressed P-256 point (65 bytes)';
  if (bytesOf(keys.privateKey) !== 32) return 'VAPID_PRIVATE_KEY must be a base64url P-256 private key (32 bytes)';
  return null;
}

export async function loadVapidKeys(database: Database, given?: Partial<VapidKeys>): Promise<VapidKeys> {
  if (given?.publicKey || given?.privateKey) {
    if (!given.publicKey || !given.privateKey)
      throw new Error('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together: set both or neither');
    const keys = { publicKey: given.publicKey, privateKey: given.privateKey };
    const problem = vapidKeysProblem(keys);
    if (problem) throw new Error(problem);
    return keys;
  }
  const db = database.db;
  const read = async () => (await db.select().from(pushVapidKeys).where(eq(pushVapidKeys.id, 1)))[0];
  const stored = await read();
  if (stored) return { publicKey: stored.publicKey, privateKey: stored.privateKey };
  const fresh = webpush.generateVAPIDKeys();
  await db
    .insert(pushVapidKeys)
    .values({ id: 1, publicKey: fresh.publicKey, privateKey: fresh.privateKey })
    .onConflictDoNothing();
  const row = (await read())!;
  return { publicKey: row.publicKey, privateKey: row.privateKey };
}
