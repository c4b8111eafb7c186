// A manager's or supervisor's own notices: cases due soon and escalated cases (挂牌督办), newest first.
import type { Hono } from 'hono';
import { z } from 'zod';
import {
  listStaffNotices,
  markStaffNoticeRead,
  staffNoticeExists,
  type StaffNoticeRow,
} from '../../store/repos/case-deadlines-repo';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import { forbidden, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseId, parseQuery } from '../validate';

const listQuery = z
  .object({
    limit: decimalInt({ min: 1, max: 200 }).default(50),
    cursor: idParam.optional(),
    unread: z
      .enum(['true', 'false', '1', '0'])
      .transform((v) => v === 'true' || v === '1')
      .optional(),
  })
  .strict();

const json = (n: StaffNoticeRow) => ({
  id: n.id,
  kind: n.kind,
  violationId: n.violationId,
  payload: n.payload,
  textZh: n.textZh,
  textEn: n.textEn,
  createdAt: n.createdAt,
  readAt: n.readAt,
});

export function registerStaffNotices(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Cases';
  const roles = 'admin, manager, supervisor (their own notices)';

  api.route(
    app,
    {
      method: 'get',
      path: '/staff-notices',
      summary: 'My notices: cases due soon and escalated cases (newest first; cursor = last id)',
      tag,
      roles,
      query: listQuery,
      responses: { 200: contract.staffNoticePage },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireRole('admin', 'manager', 'supervisor');
      const q = parseQuery(c, listQuery);
      const rows = await listStaffNotices(db(), a.principal.userId, {
        limit: q.limit + 1,
        beforeId: q.cursor,
        unread: q.unread,
      });
      const page = rows.slice(0, q.limit);
      return c.json({
        items: page.map(json),
        nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
      });
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/staff-notices/{id}/read',
      summary: 'Mark one of my notices read',
      tag,
      roles,
      responses: { 204: null },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireRole('admin', 'manager', 'supervisor');
      const id = parseId(c);
      if (!(await markStaffNoticeRead(db(), a.principal.userId, id, deps.now()))) {
        if (await staffNoticeExists(db(), id)) throw forbidden('Out of your scope: another user’s notice');
        throw notFound('Notice');
      }
      return c.body(null, 204);
    },
  );
}
