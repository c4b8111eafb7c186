// Users and tokens: who may call the API, with which role and scope.
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import { insertUser, issueToken } from '../../store/repos/auth-repo';
import { apiTokens, attendants, devices, guardians, roles, schools, users, userSchools } from '../../store/schema';
import { type Access, accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import { badRequest, forbidden, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';
import { id, name } from './fields';

const createUser = z
  .object({
    name,
    role: z.enum(roles),
    schoolIds: z.array(id).max(100).optional(),
    /** supervisors only: every school of the district */
    allSchools: z.boolean().optional(),
    attendantId: id.optional(),
    guardianId: id.optional(),
    deviceId: id.optional(),
  })
  .strict()
  .superRefine((u, ctx) => {
    const need: Record<string, keyof typeof u | undefined> = {
      manager: 'schoolIds',
      attendant: 'attendantId',
      guardian: 'guardianId',
      device: 'deviceId',
      admin: undefined,
      supervisor: u.allSchools ? undefined : 'schoolIds',
    };
    if (u.allSchools !== undefined && u.role !== 'supervisor')
      ctx.addIssue({ code: 'custom', path: ['allSchools'], message: 'only for a supervisor' });
    const field = need[u.role];
    if (field && (u[field] === undefined || (Array.isArray(u[field]) && (u[field] as unknown[]).length === 0)))
      ctx.addIssue({ code: 'custom', path: [field], message: `a ${u.role} needs ${field}` });
  });

const createToken = z
  .object({ label: z.string().max(100).optional(), expiresAt: z.iso.datetime({ offset: true }).optional() })
  .strict();

export function registerUsers(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;

  api.route(
    app,
    {
      method: 'get',
      path: '/me',
      summary: 'Who am I (role and scope)',
      tag: 'Auth',
      roles: 'any',
      responses: { 200: contract.principal },
    },
    (c) => c.json(c.get('principal')!),
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/users',
      summary: 'Create a user',
      tag: 'Auth',
      roles: 'admin; manager for attendants, guardians and devices of own schools',
      body: createUser,
      responses: { 201: contract.user },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireRole('admin', 'manager');
      const body = await parseBody(c, createUser);
      const user = await db().transaction(async (tx) => {
        // The school the new user's scope lies in must be one the caller manages.
        let schoolIds: number[] = [];
        if (body.role === 'admin' || body.role === 'manager' || body.role === 'supervisor') {
          if (a.role !== 'admin') throw forbidden('Only an admin creates admins, managers and supervisors');
          schoolIds = body.schoolIds ?? [];
          if (schoolIds.length) {
            const found = await tx.select({ id: schools.id }).from(schools).where(inArray(schools.id, schoolIds));
            if (found.length !== new Set(schoolIds).size)
              throw badRequest('Unknown school in schoolIds', undefined, 'invalid_reference');
          }
        } else {
          const table = body.role === 'attendant' ? attendants : body.role === 'guardian' ? guardians : devices;
          const refId =
            body.role === 'attendant' ? body.attendantId : body.role === 'guardian' ? body.guardianId : body.deviceId;
          const [target] = await tx.select({ schoolId: table.schoolId }).from(table).where(eq(table.id, refId!));
          if (!target) throw badRequest(`${body.role} ${refId} does not exist`, undefined, 'invalid_reference');
          a.assertManagesSchool(target.schoolId);
        }
        return insertUser(tx, {
          name: body.name,
          role: body.role,
          schoolIds,
          allSchools: body.allSchools,
          attendantId: body.role === 'attendant' ? body.attendantId : undefined,
          guardianId: body.role === 'guardian' ? body.guardianId : undefined,
          deviceId: body.role === 'device' ? body.deviceId : undefined,
        });
      });
      return c.json(user, 201);
    },
  );

  /** A manager may act on users whose scope lies inside their schools; an admin on all. */
  const assertUserInScope = async (a: Access, userId: number) => {
    const [u] = await db().select().from(users).where(eq(users.id, userId));
    if (!u) throw notFound('User');
    if (a.role === 'admin' || u.id === a.principal.userId) return u;
    if (a.role !== 'manager' || u.role === 'admin' || u.role === 'manager' || u.role === 'supervisor')
      throw forbidden();
    const table = u.role === 'attendant' ? attendants : u.role === 'guardian' ? guardians : devices;
    const refId = u.attendantId ?? u.guardianId ?? u.deviceId;
    const [target] =
      refId == null ? [] : await db().select({ schoolId: table.schoolId }).from(table).where(eq(table.id, refId));
    if (!target) throw forbidden();
    a.assertManagesSchool(target.schoolId);
    return u;
  };

  api.route(
    app,
    {
      method: 'post',
      path: '/users/{id}/tokens',
      summary: 'Issue a token (shown once)',
      tag: 'Auth',
      roles: 'admin, manager (own schools)',
      body: createToken,
      responses: { 201: contract.issuedToken },
    },
    async (c) => {
      const a = accessOf(c, deps);
      const userId = parseId(c);
      await assertUserInScope(a, userId);
      if (a.role !== 'admin' && a.role !== 'manager') throw forbidden();
      const body = await parseBody(c, createToken);
      const t = await issueToken(db(), userId, {
        label: body.label,
        expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
      });
      return c.json(
        { id: t.id, userId, token: t.token, createdAt: t.createdAt, note: 'The token is shown once; store it now.' },
        201,
      );
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/users/{id}/tokens',
      summary: "List a user's tokens (never the secrets)",
      tag: 'Auth',
      roles: 'admin, manager (own schools), self',
      responses: { 200: contract.tokenList },
    },
    async (c) => {
      const a = accessOf(c, deps);
      const userId = parseId(c);
      await assertUserInScope(a, userId);
      const rows = await db()
        .select({
          id: apiTokens.id,
          label: apiTokens.label,
          createdAt: apiTokens.createdAt,
          lastUsedAt: apiTokens.lastUsedAt,
          expiresAt: apiTokens.expiresAt,
          revokedAt: apiTokens.revokedAt,
        })
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(desc(apiTokens.id));
      return c.json({ items: rows });
    },
  );

  api.route(
    app,
    {
      method: 'delete',
      path: '/tokens/{id}',
      summary: 'Revoke a token',
      tag: 'Auth',
      roles: 'admin, manager (own schools), self',
      responses: { 204: null },
    },
    async (c) => {
      const a = accessOf(c, deps);
      const tokenId = parseId(c);
      const [t] = await db().select().from(apiTokens).where(eq(apiTokens.id, tokenId));
      if (!t) throw notFound('Token');
      await assertUserInScope(a, t.userId);
      await db()
        .update(apiTokens)
        .set({ revokedAt: new Date(deps.now()) })
        .where(and(eq(apiTokens.id, tokenId)));
      // Refused on the very next request, and its live sessions closed (here and on other instances).
      deps.auth?.revoke({ kind: 'token', tokenId });
      return c.body(null, 204);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/users',
      summary: 'List users',
      tag: 'Auth',
      roles: 'admin',
      responses: { 200: contract.userList },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireRole('admin');
      const rows = await db().select().from(users).orderBy(users.id);
      const links = await db().select().from(userSchools);
      return c.json({
        items: rows.map((u) => ({ ...u, schoolIds: links.filter((l) => l.userId === u.id).map((l) => l.schoolId) })),
      });
    },
  );

  // Disabling or deleting a user ends its sessions at once (every token of the user is refused, sockets closed).
  api.route(
    app,
    {
      method: 'patch',
      path: '/users/{id}',
      summary: 'Disable or enable a user (disabling ends its sessions)',
      tag: 'Auth',
      roles: 'admin, manager (own schools)',
      body: updateUser,
      responses: { 200: contract.user },
    },
    async (c) => {
      const a = accessOf(c, deps);
      const userId = parseId(c);
      await assertUserInScope(a, userId);
      if (a.role !== 'admin' && a.role !== 'manager') throw forbidden();
      const body = await parseBody(c, updateUser);
      if (userId === a.principal.userId && body.disabled)
        throw badRequest('You cannot disable yourself', undefined, 'invalid_state');
      const [user] = await db().update(users).set({ disabled: body.disabled }).where(eq(users.id, userId)).returning();
      if (body.disabled) deps.auth?.revoke({ kind: 'user', userId });
      return c.json(user);
    },
  );

  api.route(
    app,
    {
      method: 'delete',
      path: '/users/{id}',
      summary: 'Delete a user and its tokens (ends its sessions)',
      tag: 'Auth',
      roles: 'admin, manager (own schools)',
      responses: { 204: null },
    },
    async (c) => {
      const a = accessOf(c, deps);
      const userId = parseId(c);
      await assertUserInScope(a, userId);
      if (a.role !== 'admin' && a.role !== 'manager') throw forbidden();
      if (userId === a.principal.userId) throw badRequest('You cannot delete yourself', undefined, 'invalid_state');
      await db().delete(users).where(eq(users.id, userId));
      deps.auth?.revoke({ kind: 'user', userId });
      return c.body(null, 204);
    },
  );
}

const updateUser = z.object({ disabled: z.boolean() }).strict();
