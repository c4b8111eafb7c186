// The manager's home view of one school (today's fleet, open cases, alarms, a 14-day trend), the header search over
// plates and names, and who may own a case. Managers read their schools, supervisors the schools they oversee;
// guardians, attendants and devices are refused.
import { eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import { roleMay } from '../../auth/policy';
import { CN_2012 } from '../../core/presets/cn-2012';
import { defaultJobConfig } from '../../jobs/types';
import { caseOwnerCandidates, schoolDashboard, searchRegistry } from '../../store/repos/dashboard-repo';
import { schools } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import * as contract from '../contract';
import { forbidden, notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { parseId, parseQuery } from '../validate';
import { loadManagedViolation } from './violations';

export const TREND_DAYS = 14;

const searchQuery = z
  .object({
    /** The text to find; none (or blank) finds nothing. */
    q: z.string().trim().max(100).default(''),
    limit: z
      .string()
      .regex(/^[1-9]\d?$/, 'expected 1–50')
      .transform(Number)
      .pipe(z.number().max(50))
      .default(10),
  })
  .strict();

export function registerDashboard(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;

  api.route(
    app,
    {
      method: 'get',
      path: '/schools/{id}/dashboard',
      summary:
        'Today at one school (its time zone): buses in service, late and offline; open cases by kind and severity, overdue and escalated; SOS and child-left-aboard alarms nobody acknowledged; cases opened and closed per day over 14 days',
      tag: 'Violations',
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      responses: { 200: contract.schoolDashboard },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'violation');
      const schoolId = parseId(c);
      const [school] = await db()
        .select({ id: schools.id, timeZone: schools.timeZone })
        .from(schools)
        .where(eq(schools.id, schoolId));
      if (!school) throw notFound('School');
      a.check('read', { kind: 'violation', schoolId });
      const lateAfterMin = deps.tripLateAfterMin ?? defaultJobConfig.lateAfterMin;
      const offlineAfterS = CN_2012.device.offlineAfterS;
      const d = await schoolDashboard(db(), {
        schoolId,
        timeZone: school.timeZone,
        nowMs: a.nowMs,
        lateAfterMin,
        offlineAfterS,
        trendDays: TREND_DAYS,
      });
      return c.json({
        schoolId,
        timeZone: school.timeZone,
        ...d,
        fleet: { ...d.fleet, lateAfterMin, offlineAfterS },
      });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/search',
      summary:
        'Find buses by plate, drivers by name or phone and students by name (case-insensitive, part of the text) in the caller’s schools; supervisors get no students; no text finds nothing',
      tag: 'Registry',
      roles: 'admin, manager (own schools), supervisor (overseen schools; buses and drivers)',
      query: searchQuery,
      responses: { 200: contract.searchResult },
    },
    async (c) => {
      const a = accessOf(c, deps);
      // Search is a staff tool: a guardian's, attendant's or device's own scope never reaches it.
      if (a.role !== 'admin' && a.role !== 'manager' && a.role !== 'supervisor')
        throw forbidden(`A ${a.role} may not search the registry`);
      const q = parseQuery(c, searchQuery);
      if (!q.q) return c.json({ q: '', buses: [], drivers: [], students: [] });
      const scope = async (kind: 'bus' | 'driver' | 'student') =>
        roleMay(a.role, kind, 'read') ? await a.listWhere(kind) : null;
      const hits = await searchRegistry(
        db(),
        q.q,
        { bus: await scope('bus'), driver: await scope('driver'), student: await scope('student') },
        q.limit,
      );
      return c.json({ q: q.q, ...hits });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/violations/{id}/owners',
      summary: 'Who may own this case: the school’s managers and the admins (enabled users)',
      tag: 'Cases',
      roles: 'admin, manager (own schools)',
      responses: { 200: contract.caseOwnerList },
    },
    async (c) => {
      const { row } = await loadManagedViolation(deps, c, 'update');
      return c.json({ items: await caseOwnerCandidates(db(), row.schoolId) });
    },
  );
}
