// Bearer-token authentication off the database's hot path, shared by the HTTP API and the live hub.
//
// - Verified tokens are cached in process, keyed by the token's SHA-256 (the token itself is never kept), for at
//   most `ttlMs` (≤ 30 s) and never past the token's own expiry; the cache is bounded (oldest entries go first).
// - A revocation (token revoked, user disabled or deleted, ADMIN_TOKEN rotated) evicts at once on this instance and
//   is announced to listeners (the live hub closes the sessions and carries the revocation to other instances
//   through the fan-out, where `evict` drops their cached entries).
// - A lookup that started before a revocation does not put its (stale) answer in the cache.
// - The hot path asks the database nothing: concurrent first uses of a token share one lookup, and an entry in use
//   is re-verified in the background in the second half of its life (lifetimes jittered, so entries cached
//   together do not expire together), so a busy token is not made to wait for the database every TTL. An entry is
//   never trusted past its own `untilMs` (at most `ttlMs` after the lookup that verified it).
// - The token's SHA-256 is computed by `hash` (Web Crypto by default; the Node runtime passes node:crypto's
//   synchronous one, which costs a few microseconds instead of a thread-pool round trip per request).
// - Token use is recorded in `last_used_at`, at most once a minute per token, batched, off the request.
// - It runs on the database handle it is given: with the postgres driver a small pool of its own, apart from the
//   position writer's (src/runtime/node/main.ts); PGlite is a single connection shared by everything.
import type { Logger } from '../logging';
import type { Database } from '../store/db';
import { principalForTokenHash, stillValidTokenIds, touchTokens } from '../store/repos/auth-repo';
import type { Principal } from './principal';
import { hashToken } from './tokens';

export type Revocation = { kind: 'token'; tokenId: number } | { kind: 'user'; userId: number };

export interface AuthenticatorOptions {
  database: Database;
  now: () => number;
  log?: Logger;
  /** How long a verified token is trusted without asking the database again; clamped to 30 s. */
  ttlMs?: number;
  maxEntries?: number;
  /** last_used_at is written at most this often per token. */
  touchEveryMs?: number;
  /** SHA-256 hex of a token (default: Web Crypto, runtime-neutral). */
  hash?: (token: string) => string | Promise<string>;
  /** Draws a number in [0, 1) for the lifetime jitter (tests make it fixed). */
  random?: () => number;
}

interface Entry {
  principal: Principal;
  /** cache entry good until (min of TTL and the token's own expiry) */
  untilMs: number;
  /** past this instant a use of the entry re-verifies it in the background */
  refreshAtMs: number;
}

type Found = Awaited<ReturnType<typeof principalForTokenHash>>;

export const MAX_AUTH_CACHE_TTL_MS = 30_000;

export class Authenticator {
  readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly touchEveryMs: number;
  private readonly cache = new Map<string, Entry>();
  private readonly touched = new Map<number, number>();
  private readonly pendingTouches = new Set<number>();
  private touchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(r: Revocation) => void>();
  /** lookups in flight, by token hash: concurrent uses of one token share one query */
  private readonly inFlight = new Map<string, Promise<Found>>();
  private readonly hash: (token: string) => string | Promise<string>;
  private readonly random: () => number;
  /** bumped by every eviction: a lookup that started earlier does not cache its answer */
  private generation = 0;
  /** database lookups made (tests and metrics) */
  lookups = 0;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.ttlMs = Math.min(Math.max(opts.ttlMs ?? MAX_AUTH_CACHE_TTL_MS, 0), MAX_AUTH_CACHE_TTL_MS);
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.touchEveryMs = opts.touchEveryMs ?? 60_000;
    this.hash = opts.hash ?? hashToken;
    this.random = opts.random ?? Math.random;
  }

  get size(): number {
    return this.cache.size;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (token.length > 512) return undefined;
    const hash = await this.hash(token);
    const nowMs = this.opts.now();
    const hit = this.cache.get(hash);
    if (hit) {
      if (hit.untilMs > nowMs) {
        if (nowMs >= hit.refreshAtMs) this.refresh(hash, hit);
        this.touch(hit.principal.tokenId, nowMs);
        return hit.principal;
      }
      this.cache.delete(hash);
    }
    const found = await this.verify(hash, nowMs);
    if (!found) return undefined;
    this.touch(found.principal.tokenId, nowMs);
    return found.principal;
  }

  /**
   * Asks the database (one query per token hash at a time) and caches a valid answer, unless a revocation came in
   * meanwhile. An unknown, revoked or expired token leaves no entry.
   */
  private verify(hash: string, nowMs: number): Promise<Found> {
    const pending = this.inFlight.get(hash);
    if (pending) return pending;
    const generation = this.generation;
    this.lookups++;
    const lookup = principalForTokenHash(this.opts.database, hash, nowMs)
      .then((found) => {
        if (!found) this.cache.delete(hash);
        else if (generation === this.generation && this.ttlMs > 0) this.remember(hash, found, nowMs);
        return found;
      })
      .finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, lookup);
    return lookup;
  }

  private remember(hash: string, found: NonNullable<Found>, nowMs: number): void {
    this.cache.delete(hash); // re-inserted last: the bound drops the oldest verified entries first
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    // Lifetime in [0.8, 1] × TTL, re-verified in the background after half of it when the token is in use.
    const lifeMs = this.ttlMs * (1 - 0.2 * this.random());
    const untilMs = Math.min(nowMs + lifeMs, found.expiresAtMs ?? Infinity);
    this.cache.set(hash, { principal: found.principal, untilMs, refreshAtMs: nowMs + lifeMs / 2 });
  }

  /** Background re-verification of an entry in use; the entry stays good until its own `untilMs` meanwhile. */
  private refresh(hash: string, entry: Entry): void {
    if (this.inFlight.has(hash)) return;
    entry.refreshAtMs = Infinity; // one refresh per entry; the answer replaces the entry (or drops it)
    this.verify(hash, this.opts.now()).catch((err) =>
      this.opts.log?.warn('token re-verification failed (the cached entry expires at its time)', {
        error: String(err),
      }),
    );
  }

  /** Credentials ended here: evict at once and tell the listeners (the live hub closes the sessions everywhere). */
  revoke(r: Revocation): void {
    this.evict(r);
    for (const l of this.listeners) {
      try {
        l(r);
      } catch (err) {
        this.opts.log?.warn('revocation listener failed', { error: String(err) });
      }
    }
  }

  /** Drops cached entries of a revoked token or user (a revocation announced by another instance). */
  evict(r: Revocation): void {
    this.generation++;
    for (const [hash, e] of this.cache) {
      if (r.kind === 'token' ? e.principal.tokenId === r.tokenId : e.principal.userId === r.userId)
        this.cache.delete(hash);
    }
  }

  onRevoke(listener: (r: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Of these token ids, those still valid (the live hub re-checks its sessions with it). */
  stillValid(tokenIds: number[]): Promise<Set<number>> {
    return stillValidTokenIds(this.opts.database.db, tokenIds, this.opts.now());
  }

  /** Writes the pending last-used times now. */
  async flush(): Promise<void> {
    clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    if (this.pendingTouches.size === 0) return;
    const ids = [...this.pendingTouches];
    this.pendingTouches.clear();
    try {
      await touchTokens(this.opts.database.db, ids, this.opts.now());
    } catch (err) {
      this.opts.log?.warn('could not record token use', { error: String(err) });
    }
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private touch(tokenId: number, nowMs: number): void {
    const last = this.touched.get(tokenId);
    if (last !== undefined && nowMs - last < this.touchEveryMs) return;
    if (this.touched.size >= this.maxEntries) this.touched.clear();
    this.touched.set(tokenId, nowMs);
    this.pendingTouches.add(tokenId);
    this.touchTimer ??= setTimeout(() => void this.flush(), 1000);
    (this.touchTimer as { unref?: () => void }).unref?.();
  }
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  return new Authenticator(opts);
}
