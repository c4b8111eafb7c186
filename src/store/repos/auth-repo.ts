// Users and tokens: lookup by token hash, creation, revocation, the bootstrap admin.
import { type AnyColumn, and, eq, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Principal } from '../../auth/principal';
import { generateToken, hashToken } from '../../auth/tokens';
import type { Database, DbOrTx } from '../db';
import { apiTokens, users, userSchools } from '../schema';
import type { Role } from '../schema/users';

/**
 * A token's user and the schools its role gives it, in one prepared statement (the authenticator asks this for
 * every token it has not verified in the last 30 s: a fleet of devices, or every parent after a restart).
 */
const TOKEN_PRINCIPAL_SQL = `select t.id as "tokenId", floor(extract(epoch from t.expires_at) * 1000)::float8 as "expiresMs",
  u.id as "userId", u.name, u.role, u.disabled, u.all_schools as "allSchools", u.attendant_id as "attendantId",
  u.guardian_id as "guardianId", u.device_id as "deviceId",
  case
    when u.role in ('manager', 'supervisor') then
      (select coalesce(json_agg(us.school_id order by us.school_id), '[]'::json) from user_schools us where us.user_id = u.id)
    when u.role = 'attendant' then (select json_build_array(a.school_id) from attendants a where a.id = u.attendant_id)
    when u.role = 'guardian' then (select json_build_array(g.school_id) from guardians g where g.id = u.guardian_id)
    when u.role = 'device' then (select json_build_array(d.school_id) from devices d where d.id = u.device_id)
  end as "schoolIds"
  from api_tokens t join users u on u.id = t.user_id
  where t.token_hash = $1 and t.revoked_at is null limit 1`;

interface TokenPrincipalRow {
  tokenId: number;
  expiresMs: number | null;
  userId: number;
  name: string;
  role: Role;
  disabled: boolean;
  allSchools: boolean;
  attendantId: number | null;
  guardianId: number | null;
  deviceId: number | null;
  schoolIds: number[] | null;
}

/** The principal of a valid token (not revoked, not expired, user not disabled), with the token's expiry. */
export async function principalForTokenHash(
  database: Pick<Database, 'query'>,
  tokenHash: string,
  nowMs: number,
): Promise<{ principal: Principal; expiresAtMs: number | null } | undefined> {
  const [row] = await database.query<TokenPrincipalRow>(TOKEN_PRINCIPAL_SQL, [tokenHash], { prepare: true });
  if (!row || row.disabled) return undefined;
  const expiresAtMs = row.expiresMs == null ? null : Number(row.expiresMs);
  if (expiresAtMs != null && expiresAtMs <= nowMs) return undefined;
  const p: Principal = { userId: row.userId, tokenId: row.tokenId, name: row.name, role: row.role, schoolIds: [] };
  if (row.role === 'supervisor' && row.allSchools) p.allSchools = true;
  if (row.role === 'attendant' && row.attendantId != null) p.attendantId = row.attendantId;
  else if (row.role === 'guardian' && row.guardianId != null) p.guardianId = row.guardianId;
  else if (row.role === 'device' && row.deviceId != null) p.deviceId = row.deviceId;
  // (a role's record gone: no school, as before)
  if (row.schoolIds) p.schoolIds = row.schoolIds;
  return { principal: p, expiresAtMs };
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
