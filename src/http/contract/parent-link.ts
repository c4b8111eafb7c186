// The answer of POST /guardians/{id}/parent-link: the guardian's sign-in token for the parent page (shown once).
import { z } from 'zod';
import { instant, int, text } from './common';

export const parentLink = z.strictObject({
  guardianId: int,
  /** The guardian's user (made on the first link). */
  userId: int,
  tokenId: int,
  /** The token itself appears in this answer only; the parent page takes it as /parent#token=… */
  token: text,
  createdAt: instant,
  /** Earlier parent-link tokens revoked by this call (revokeOthers). */
  revokedTokenIds: z.array(int),
});
export type ParentLink = z.infer<typeof parentLink>;
