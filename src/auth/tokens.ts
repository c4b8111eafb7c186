// API tokens: random, shown once, stored as SHA-256 hex. Runtime-neutral (Web Crypto).
const PREFIX = 'bg_';

export function generateToken(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return PREFIX + base64Url(bytes);
}

export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function base64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Whether `given` hashes to `secretHash` (SHA-256 hex), compared in constant time. */
export async function secretMatchesHash(given: string, secretHash: string): Promise<boolean> {
  const actual = await hashToken(given);
  const expected = secretHash.toLowerCase();
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

/** Whether an Authorization header carries `Bearer <expected>`, compared in constant time (/metrics' token). */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const given = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? '';
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
