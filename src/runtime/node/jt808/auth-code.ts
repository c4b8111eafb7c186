// JT/T 808 auth codes: issued at registration (0x8100), presented at authentication (0x0102). The registry
// keeps only their SHA-256 (hex), like every other secret.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex, as the registry stores secrets. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const AUTH_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A fresh auth code: 16 characters from an unambiguous alphabet (80 bits). */
export function generateAuthCode(): string {
  const bytes = randomBytes(16);
  let s = '';
  for (const b of bytes) s += AUTH_CODE_ALPHABET[b & 31];
  return s;
}

/** True when `code` hashes to `secretHash` (constant time); false without a stored hash. */
export function verifyAuthCode(code: string, secretHash: string | null): boolean {
  if (!secretHash || secretHash.length !== 64) return false;
  const a = Buffer.from(sha256Hex(code), 'hex');
  const b = Buffer.from(secretHash.toLowerCase(), 'hex');
  return b.length === a.length && timingSafeEqual(a, b);
}
