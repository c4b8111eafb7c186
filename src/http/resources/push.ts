// Web Push for guardians: the server's VAPID public key, and the caller's own browser subscriptions (create, list,
// delete). Every notice a guardian receives is also pushed to each of their subscriptions (src/live/push).
import type { Hono } from 'hono';
import { z } from 'zod';
import {
  countPushSubscriptions,
  deletePushSubscription,
  listPushSubscriptions,
  savePushSubscription,
} from '../../store/repos/push-repo';
import type { AppDeps, AppEnv, Ctx } from '../context';
import * as contract from '../contract';
import { badRequest, conflict, forbidden, notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';

/** Most subscriptions one guardian keeps (phones, tablets, browsers). */
export const MAX_PUSH_SUBSCRIPTIONS = 20;

const b64url = (bytes: number, what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url`)
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, `${what} must be ${bytes} bytes`);

/** The browser's PushSubscription.toJSON(). */
export const pushSubscriptionBody = z.strictObject({
  endpoint: z.string().min(1).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: b64url(65, 'keys.p256dh').refine(
      (s) => Buffer.from(s, 'base64url')[0] === 4,
      'keys.p256dh must be an uncompressed P-256 point',
    ),
    auth: b64url(16, 'keys.auth'),
  }),
});

function guardianOf(c: Ctx): number {
  const p = c.get('principal')!;
  if (p.role !== 'guardian' || p.guardianId == null) throw forbidden('Push subscriptions are for guardians');
  return p.guardianId;
}

export function registerPush(
  app: Hono<AppEnv>,
  api: ApiRegistry,
  deps: AppDeps & { push: NonNullable<AppDeps['push']> },
) {
  const db = () => deps.database.db;

  api.route(
    app,
    {
      method: 'get',
      path: '/push/vapid-public-key',
      summary: 'The server’s VAPID public key (applicationServerKey for pushManager.subscribe)',
      tag: 'Push',
      roles: 'any signed-in caller',
      responses: { 200: contract.vapidPublicKey },
    },
    async (c) => c.json({ publicKey: (await deps.push.vapidKeys()).publicKey }),
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/push/subscriptions',
      summary:
        'Register the browser’s PushSubscription for the calling guardian: every notice is then also pushed there. The endpoint must be a known push service (PUSH_ALLOWED_HOSTS)',
      tag: 'Push',
      roles: 'guardian (own)',
      body: pushSubscriptionBody,
      responses: { 201: contract.pushSubscription },
    },
    async (c) => {
      const guardianId = guardianOf(c);
      const body = await parseBody(c, pushSubscriptionBody);
      const problem = deps.push.endpointProblem(body.endpoint);
      if (problem) throw badRequest(problem, [{ path: 'endpoint', message: problem }], 'validation_failed');
      const owned = await listPushSubscriptions(db(), guardianId);
      if (
        !owned.some((s) => s.endpoint === body.endpoint) &&
        (await countPushSubscriptions(db(), guardianId)) >= MAX_PUSH_SUBSCRIPTIONS
      )
        throw conflict(`At most ${MAX_PUSH_SUBSCRIPTIONS} push subscriptions per guardian: delete an old one first`);
      const row = await savePushSubscription(
        db(),
        {
          guardianId,
          endpoint: body.endpoint,
          p256dh: body.keys.p256dh,
          auth: body.keys.auth,
          userAgent: c.req.header('user-agent')?.slice(0, 300) ?? null,
        },
        deps.now(),
      );
      return c.json(row, 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/push/subscriptions',
      summary: 'The calling guardian’s push subscriptions',
      tag: 'Push',
      roles: 'guardian (own)',
      responses: { 200: contract.pushSubscriptionList },
    },
    async (c) => c.json({ items: await listPushSubscriptions(db(), guardianOf(c)) }),
  );

  api.route(
    app,
    {
      method: 'delete',
      path: '/push/subscriptions/{id}',
      summary: 'Delete one of the calling guardian’s push subscriptions (pushes still queued for it are dropped)',
      tag: 'Push',
      roles: 'guardian (own)',
      responses: { 204: null },
    },
    async (c) => {
      const guardianId = guardianOf(c);
      const id = parseId(c);
      const outcome = await deletePushSubscription(db(), guardianId, id);
      if (outcome === 'notYours') throw forbidden('Not your push subscription');
      if (outcome === 'missing') throw notFound('Push subscription');
      return c.body(null, 204);
    },
  );
}
