// R10 compliance expiries: what has expired or expires soon in the registry, per school.
import type { Hono } from 'hono';
import { z } from 'zod';
import { complianceItemKinds, defaultComplianceWarnDays } from '../../core/compliance';
import { complianceForSchools, schoolZones } from '../../store/repos/compliance-repo';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseQuery } from '../validate';

const query = z
  .object({
    schoolId: idParam.optional(),
    withinDays: decimalInt({ min: 0, max: 366 }).default(defaultComplianceWarnDays),
    status: z.enum(['expired', 'expiring', 'missing']).optional(),
    kind: z.enum(complianceItemKinds).optional(),
    subjectType: z.enum(['driver', 'bus', 'attendant']).optional(),
  })
  .strict();

export function registerCompliance(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  api.route(
    app,
    {
      method: 'get',
      path: '/compliance/expiries',
      summary:
        'Licences, endorsements, annual reviews, qualification certificates, bus signs, inspections and attendant training: expired, missing or expiring within withinDays (R10)',
      tag: 'Compliance',
      roles: 'admin, manager (own schools)',
      query,
      responses: { 200: contract.complianceExpiries },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'compliance');
      const q = parseQuery(c, query);
      const ids = a.schoolScope('compliance', q.schoolId);
      const zones = await schoolZones(deps.database.db, ids);
      const { today, items } = await complianceForSchools(deps.database.db, zones, deps.now(), q.withinDays);
      const selected = items.filter(
        (i) =>
          (!q.status || i.status === q.status) &&
          (!q.kind || i.kind === q.kind) &&
          (!q.subjectType || i.subjectType === q.subjectType),
      );
      return c.json({
        withinDays: q.withinDays,
        asOf: today,
        counts: {
          expired: selected.filter((i) => i.status === 'expired').length,
          expiring: selected.filter((i) => i.status === 'expiring').length,
          missing: selected.filter((i) => i.status === 'missing').length,
        },
        items: selected,
      });
    },
  );
}
