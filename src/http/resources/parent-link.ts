// A guardian's parent-page link: the manager of the guardian's school (or an admin) gets a sign-in token for the
// guardian, to hand over as a link or QR code (/parent#token=…). The guardian's user is made on the first link and
// reused after; each call issues a new token (shown once), and `revokeOthers` revokes the earlier parent-link
// tokens (a lost phone), closing their sessions.
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import { insertUser, issueToken } from '../../store/repos/auth-repo';
import { apiTokens, guardians, users } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import * as contract from '../contract';
import { notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';

export const PARENT_LINK_LABEL = 'parent link';

const linkBody = z.strictObject({ revokeOthers: z.boolean().optional() });

export function registerParentLink(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  api.route(
    app,
    {
      method: 'post',
      path: '/guardians/{id}/parent-link',
      summary: "Issue a guardian's parent-page link token (shown once; the guardian's user is made on first use)",
      tag: 'Guardian',
      roles: 'admin, manager (own schools)',
      body: linkBody,
      responses: { 201: contract.parentLink },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('update', 'guardian');
      const guardianId = parseId(c);
      const [guardian] = await db().select().from(guardians).where(eq(guardians.id, guardianId));
      if (!guardian) throw notFound('Guardian');
      a.check('update', { kind: 'guardian', schoolId: guardian.schoolId });
      const body = await parseBody(c, linkBody);
      const out = await db().transaction(async (tx) => {
        const [existing] = await tx
          .select()
          .from(users)
          .where(and(eq(users.role, 'guardian'), eq(users.guardianId, guardianId), eq(users.disabled, false)))
          .orderBy(asc(users.id))
          .limit(1);
        const user = existing ?? (await insertUser(tx, { name: guardian.name, role: 'guardian', guardianId }));
        const revoked = body.revokeOthers
          ? await tx
              .update(apiTokens)
              .set({ revokedAt: new Date(deps.now()) })
              .where(
                and(eq(apiTokens.userId, user.id), eq(apiTokens.label, PARENT_LINK_LABEL), isNull(apiTokens.revokedAt)),
              )
              .returning({ id: apiTokens.id })
          : [];
        const issued = await issueToken(tx, user.id, { label: PARENT_LINK_LABEL });
        return { user, issued, revoked: revoked.map((r) => r.id) };
      });
      for (const tokenId of out.revoked) deps.auth?.revoke({ kind: 'token', tokenId });
      return c.json(
        {
          guardianId,
          userId: out.user.id,
          tokenId: out.issued.id,
          token: out.issued.token,
          createdAt: out.issued.createdAt.toISOString(),
          revokedTokenIds: out.revoked,
        },
        201,
      );
    },
  );
}
