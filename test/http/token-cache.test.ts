// Issue 13.3 (HTTP auth off the database path), on a real database: concurrent first uses of a token share one
// lookup; a token in use is re-verified in the background in the second half of its cache life, so requests keep
// being answered from the cache while it is checked; the re-check still sees a revocation made elsewhere (another
// instance, straight in the database); an entry is never trusted past its TTL; the Node runtime's synchronous
// SHA-256 gives the same key as Web Crypto's.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator';
import { hashToken } from '../../src/auth/tokens';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createTestApp, type TestApp } from '../helpers/app';
import { ok } from '../helpers/world';

let t: TestApp;
const now = () => t.clock.nowMs;

beforeAll(async () => {
  t = await createTestApp(Date.UTC(2026, 9, 5, 0, 0, 0));
});
afterAll(() => t?.close());

async function newToken(name: string) {
  const u = await ok(t.call('POST', '/api/v1/users', { body: { name, role: 'admin' } }));
  const tok = await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'cache test' } }));
  return { userId: u.id as number, tokenId: tok.id as number, token: tok.token as string };
}

describe('token cache off the request path', () => {
  it('hashes with an injected function; node:crypto SHA-256 equals the Web Crypto key', async () => {
    const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
    for (const s of ['bg_abc', 'bg_' + 'x'.repeat(40), 'tökén-学校-🚌']) expect(sha256Hex(s)).toBe(await hashToken(s));
    let hashed = 0;
    const auth = createAuthenticator({
      database: t.database,
      now,
      hash: (s) => (hashed++, sha256Hex(s)),
    });
    const m = await newToken('Hash user');
    expect((await auth.authenticate(m.token))?.userId).toBe(m.userId);
    expect(hashed).toBe(1);
    await auth.close();
  });

  it('concurrent first uses of one token make one lookup', async () => {
    const auth = createAuthenticator({ database: t.database, now });
    const m = await newToken('Burst user');
    const all = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(m.token)));
    expect(all.every((p) => p?.userId === m.userId)).toBe(true);
    expect(auth.lookups).toBe(1);
    await auth.close();
  });

  it('re-verifies a token in use in the background, answers from the cache meanwhile, and drops it if revoked', async () => {
    // Lifetime exactly the TTL (no jitter): re-verified from 15 s on, expired at 30 s.
    const auth = createAuthenticator({ database: t.database, now, random: () => 0 });
    const app = createApp({ database: t.database, log: silentLogger, now, auth });
    const m = await newToken('Refresh user');
    const me = () => app.request('/api/v1/me', { headers: { authorization: `Bearer ${m.token}` } });
    const start = t.clock.nowMs;
    expect((await me()).status).toBe(200);
    expect(auth.lookups).toBe(1);
    t.clock.nowMs = start + 14_000;
    expect((await me()).status).toBe(200);
    expect(auth.lookups).toBe(1); // first half of its life: no re-check
    t.clock.nowMs = start + 16_000;
    expect((await me()).status).toBe(200); // answered from the cache …
    expect(auth.lookups).toBe(2); // … while a re-check runs in the background
    await expect.poll(() => auth.size).toBe(1);
    // The re-check (at 16 s) renewed the entry: past the first entry's TTL (30 s), no lookup on the request path.
    t.clock.nowMs = start + 30_500;
    expect((await me()).status).toBe(200);
    expect(auth.lookups).toBe(2);

    // Revoked elsewhere (straight in the database, as another instance would): the next re-check drops the entry,
    // and the request after that is refused.
    await t.database.query('update api_tokens set revoked_at = now() where id = $1', [m.tokenId]);
    t.clock.nowMs = start + 16_000 + 16_000;
    expect((await me()).status).toBe(200); // still within the renewed entry's life; re-check started
    expect(auth.lookups).toBe(3);
    await expect.poll(() => auth.size).toBe(0);
    expect((await me()).status).toBe(401);
    await auth.close();
  });

  it('re-checks 10,000 session tokens at once (one array parameter) and keeps only the valid ones', async () => {
    const auth = createAuthenticator({ database: t.database, now });
    const live = await newToken('Valid session');
    const gone = await newToken('Revoked session');
    await t.database.query('update api_tokens set revoked_at = now() where id = $1', [gone.tokenId]);
    const ids = Array.from({ length: 10_000 }, (_, i) => 1_000_000 + i);
    ids[17] = live.tokenId;
    ids[9_000] = gone.tokenId;
    expect([...(await auth.stillValid(ids))]).toEqual([live.tokenId]);
    await expect(auth.stillValid([1.5])).rejects.toThrow(/not an id/);
    await auth.close();
  });

  it('never trusts an entry past its TTL, whatever the re-check does', async () => {
    const auth = createAuthenticator({ database: t.database, now, random: () => 0 });
    const m = await newToken('Expiry user');
    const start = t.clock.nowMs;
    expect(await auth.authenticate(m.token)).toBeDefined();
    await t.database.query('update api_tokens set revoked_at = now() where id = $1', [m.tokenId]);
    // Not used during the second half of its life: at 30 s it has expired and the request asks the database.
    t.clock.nowMs = start + 30_000;
    expect(await auth.authenticate(m.token)).toBeUndefined();
    expect(auth.lookups).toBe(2);
    await auth.close();
  });
});
