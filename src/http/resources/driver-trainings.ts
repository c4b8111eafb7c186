// Driver safety training records (date, hours, topic). The latest session plus the preset's validity is the expiry
// that compliance (R10) flags.
import { and, desc, eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import { addDays, addMonths } from '../../core/compliance';
import { CN_2012_REGISTRY } from '../../core/presets/cn-2012';
import { drivers, driverTrainings } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import * as contract from '../contract';
import { notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { isoDate, parseBody, parseId } from '../validate';

const body = z
  .object({
    heldOn: isoDate,
    hours: z.number().positive().max(200),
    topic: z.string().trim().min(1).max(200),
  })
  .strict();

const json = (r: typeof driverTrainings.$inferSelect) => ({ ...r, createdAt: r.createdAt.toISOString() });

export function registerDriverTrainings(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Driver';

  api.route(
    app,
    {
      method: 'post',
      path: '/drivers/{id}/trainings',
      summary: 'Record a safety training session of a driver (date, hours, topic)',
      tag,
      roles: 'admin, manager (own schools)',
      body,
      responses: { 201: contract.driverTraining },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('update', 'driver');
      const driverId = parseId(c);
      const facts = await a.assert('update', 'driver', driverId);
      const b = await parseBody(c, body);
      const [row] = await db()
        .insert(driverTrainings)
        .values({ schoolId: facts.schoolId!, driverId, ...b, createdAt: new Date(deps.now()) })
        .returning();
      return c.json(json(row!), 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/drivers/{id}/trainings',
      summary: "A driver's training sessions, newest first, and the last day the latest one covers",
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      responses: { 200: contract.driverTrainings },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'driver');
      const driverId = parseId(c);
      await a.assert('read', 'driver', driverId);
      const [d] = await db().select({ id: drivers.id }).from(drivers).where(eq(drivers.id, driverId));
      if (!d) throw notFound('Driver');
      const rows = await db()
        .select()
        .from(driverTrainings)
        .where(and(eq(driverTrainings.driverId, driverId)))
        .orderBy(desc(driverTrainings.heldOn), desc(driverTrainings.id));
      const latest = rows[0]?.heldOn;
      return c.json({
        items: rows.map(json),
        validUntil: latest ? addDays(addMonths(latest, CN_2012_REGISTRY.driverTrainingValidMonths), -1) : null,
      });
    },
  );
}
