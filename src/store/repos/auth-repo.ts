// Users and tokens: lookup by token hash, creation, revocation, the bootstrap admin.
import { type AnyColumn, and, eq, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Principal } from '../../auth/principal';
import { generateToken, hashToken } from '../../auth/tokens';
import type { DbOrTx } from '../db';
import { apiTokens, attendants, devices, guardians, users, userSchools } from '../schema';
import type { Role } from '../schema/users';

export async function principalForToken(db: DbOrTx, token: string, nowMs: number): Promise<Principal | undefined> {
  return (await principalForTokenHash(db, await hashToken(token), nowMs))?.principal;
}

/** The principal of a valid token (not revoked, not expired, user not disabled), with the token's expiry. */
export async function principalForTokenHash(
  db: DbOrTx,
  tokenHash: string,
  nowMs: number,
): Promise<{ principal: Principal; expiresAtMs: number | null } | undefined> {
  const rows = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  if (!row || row.user.disabled) return undefined;
  if (row.token.expiresAt && row.token.expiresAt.getTime() <= nowMs) return undefined;
  return {
    principal: await principalForUser(db, row.user, row.token.id),
    expiresAtMs: row.token.expiresAt?.getTime() ?? null,
  };
}

/**
 * `column = any('{1,2,…}'::int[])`: one parameter however many ids. The live hub re-checks every open session's
 * token every few seconds (10,000 sessions: 10,000 ids); as `in ($1, …, $10000)` drizzle took 100–300 ms of the
 * event loop to build the statement each time, and the server as long to parse it.
 */
function idIn(column: AnyColumn, ids: number[]): SQL {
  for (const id of ids) if (!Number.isSafeInteger(id)) throw new Error(`not an id: ${id}`);
  return sql`${column} = any(${`{${ids.join(',')}}`}::int[])`;
}

/** Of these token ids, those still valid now (not revoked, not expired, user not disabled or deleted). */
export async function stillValidTokenIds(db: DbOrTx, tokenIds: number[], nowMs: number): Promise<Set<number>> {
  if (tokenIds.length === 0) return new Set();
  const rows = await db
    .select({ id: apiTokens.id, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(idIn(apiTokens.id, tokenIds), isNull(apiTokens.revokedAt), eq(users.disabled, false)));
  return new Set(rows.filter((r) => !r.expiresAt || r.expiresAt.getTime() > nowMs).map((r) => r.id));
}

/** Records a token's use, at most once a minute per token (the condition keeps repeated calls from writing). */
export async function touchTokens(db: DbOrTx, tokenIds: number[], nowMs: number): Promise<void> {
  if (tokenIds.length === 0) return;
  const at = new Date(nowMs);
  const before = new Date(nowMs - 60_000);
  await db
    .update(apiTokens)
    .set({ lastUsedAt: at })
    .where(and(idIn(apiTokens.id, tokenIds), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, before))));
}

export async function principalForUser(
  db: DbOrTx,
  user: typeof users.$inferSelect,
  tokenId: number,
): Promise<Principal> {
  const p: Principal = { userId: user.id, tokenId, name: user.name, role: user.role, schoolIds: [] };
  if (user.role === 'manager' || user.role === 'supervisor') {
    if (user.role === 'supervisor' && user.allSchools) p.allSchools = true;
    const rows = await db
      .select({ schoolId: userSchools.schoolId })
      .from(userSchools)
      .where(eq(userSchools.userId, user.id));
    p.schoolIds = rows.map((r) => r.schoolId);
  } else if (user.role === 'attendant' && user.attendantId != null) {
    p.attendantId = user.attendantId;
    const [a] = await db
      .select({ schoolId: attendants.schoolId })
      .from(attendants)
      .where(eq(attendants.id, user.attendantId));
    if (a) p.schoolIds = [a.schoolId];
  } else if (user.role === 'guardian' && user.guardianId != null) {
    p.guardianId = user.guardianId;
    const [g] = await db
      .select({ schoolId: guardians.schoolId })
      .from(guardians)
      .where(eq(guardians.id, user.guardianId));
    if (g) p.schoolIds = [g.schoolId];
  } else if (user.role === 'device' && user.deviceId != null) {
    p.deviceId = user.deviceId;
    const [d] = await db.select({ schoolId: devices.schoolId }).from(devices).where(eq(devices.id, user.deviceId));
    if (d) p.schoolIds = [d.schoolId];
  }
  return p;
}

export interface NewUser {
  name: string;
  role: Role;
  schoolIds?: number[];
  attendantId?: number;
  guardianId?: number;
  deviceId?: number;
  /** supervisors: every school of the district */
  allSchools?: boolean;
}

export async function insertUser(db: DbOrTx, u: NewUser) {
  const [user] = await db
    .insert(users)
    .values({
      name: u.name,
      role: u.role,
      attendantId: u.attendantId,
      guardianId: u.guardianId,
      deviceId: u.deviceId,
      allSchools: u.role === 'supervisor' && u.allSchools === true,
    })
    .returning();
  if ((u.role === 'manager' || u.role === 'supervisor') && u.schoolIds?.length) {
    await db.insert(userSchools).values(u.schoolIds.map((schoolId) => ({ userId: user!.id, schoolId })));
  }
  return user!;
}

/** Creates a token for a user; the plain token is returned once and never stored. */
export async function issueToken(
  db: DbOrTx,
  userId: number,
  opts: { label?: string; expiresAt?: Date; token?: string } = {},
) {
  const token = opts.token ?? generateToken();
  const [row] = await db
    .insert(apiTokens)
    .values({ userId, tokenHash: await hashToken(token), label: opts.label, expiresAt: opts.expiresAt })
    .returning({ id: apiTokens.id, createdAt: apiTokens.createdAt });
  return { id: row!.id, token, createdAt: row!.createdAt };
}

/**
 * Makes sure an admin can sign in. With a configured token, that token is made valid (idempotent) and any earlier
 * ADMIN_TOKEN is revoked (their ids are returned so running sessions can be closed).
 * Without one, an admin and a fresh token are created only when no admin exists yet; the token is returned once.
 */
export async function ensureAdmin(
  db: DbOrTx,
  configuredToken?: string,
  nowMs = Date.now(),
): Promise<{ createdToken?: string; revokedTokenIds: number[] }> {
  const admins = await db.select().from(users).where(eq(users.role, 'admin')).limit(1);
  let admin = admins[0];
  if (configuredToken) {
    if (!admin) admin = await insertUser(db, { name: 'Administrator', role: 'admin' });
    const hash = await hashToken(configuredToken);
    const existing = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, hash));
    if (existing.length === 0) await issueToken(db, admin.id, { label: ADMIN_TOKEN_LABEL, token: configuredToken });
    // A changed ADMIN_TOKEN replaces the previous one: every other token that came from the variable is revoked.
    const revoked = await db
      .update(apiTokens)
      .set({ revokedAt: new Date(nowMs) })
      .where(and(eq(apiTokens.label, ADMIN_TOKEN_LABEL), ne(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    return { revokedTokenIds: revoked.map((r) => r.id) };
  }
  if (admin) return { revokedTokenIds: [] };
  admin = await insertUser(db, { name: 'Administrator', role: 'admin' });
  const { token } = await issueToken(db, admin.id, { label: 'bootstrap' });
  return { createdToken: token, revokedTokenIds: [] };
}

/** The label of the token made from the ADMIN_TOKEN variable. */
export const ADMIN_TOKEN_LABEL = 'ADMIN_TOKEN';
