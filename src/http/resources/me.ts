// The caller's own day and settings. Guardians and attendants list their trips of a day (today at their school by
// default) with the bus, the route and the riders they may see: a guardian's own children, an attendant's whole
// route — nothing the registry endpoints would not show them already, in one request for the phone pages. Guardians read and change their notice preferences (how early the "approaching"
// notice comes: minutes or metres before the bus reaches their child's stop) on their own record only.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { NoticePreferences } from '../../store/schema/people';
import { localDate } from '../../core/time-zone';
import { buses, guardians, routes, schools, students, studentStops, trips } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { forbidden, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { isoDate, parseBody, parseQuery } from '../validate';

/** null removes a setting; approachMinutes and approachMetres are alternatives (giving one clears the other). */
export const noticePreferencesPatch = z
  .object({
    approachMinutes: z.number().int().min(1).max(60).nullable().optional(),
    approachMetres: z.number().int().min(50).max(20_000).nullable().optional(),
    muted: z
      .array(z.string().regex(/^[a-z][\w.]{0,39}$/i))
      .max(20)
      .optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give approachMinutes, approachMetres or muted')
  .refine((b) => !(b.approachMinutes != null && b.approachMetres != null), {
    message: 'choose minutes or metres, not both',
    path: ['approachMetres'],
  });

function guardianIdOf(c: Ctx): number {
  const p = c.get('principal')!;
  if (p.role !== 'guardian' || p.guardianId == null) throw forbidden('Notice preferences are for guardians');
  return p.guardianId;
}

export function mergePreferences(
  current: NoticePreferences,
  patch: z.infer<typeof noticePreferencesPatch>,
): NoticePreferences {
  const next: NoticePreferences = { ...current };
  if (patch.approachMinutes !== undefined) {
    if (patch.approachMinutes === null) delete next.approachMinutes;
    else {
      next.approachMinutes = patch.approachMinutes;
      delete next.approachMetres;
    }
  }
  if (patch.approachMetres !== undefined) {
    if (patch.approachMetres === null) delete next.approachMetres;
    else {
      next.approachMetres = patch.approachMetres;
      delete next.approachMinutes;
    }
  }
  if (patch.muted !== undefined) next.muted = [...new Set(patch.muted)];
  return next;
}

const tripsQuery = z.object({ date: isoDate.optional() }).strict();

export function registerMe(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;

  api.route(
    app,
    {
      method: 'get',
      path: '/me/trips',
      summary:
        'The caller’s trips of a day (default: today at their school) with bus, capacity, route and riders (a guardian’s own children; an attendant’s whole route)',
      tag: 'Auth',
      roles: 'guardian (trips of their children’s routes), attendant (assigned trips)',
      query: tripsQuery,
      responses: { 200: contract.myTrips },
    },
    async (c) => {
      const p = c.get('principal')!;
      if (p.role !== 'guardian' && p.role !== 'attendant')
        throw forbidden('Own trips are for guardians and attendants; managers use /trips');
      const q = parseQuery(c, tripsQuery);
      const zones = p.schoolIds.length
        ? await db()
            .select({ id: schools.id, timeZone: schools.timeZone })
            .from(schools)
            .where(inArray(schools.id, p.schoolIds))
        : [];
      const dates = [...new Set(q.date ? [q.date] : zones.map((s) => localDate(s.timeZone, deps.now())))];
      const a = accessOf(c, deps);
      const [tripScope, riderScope] = [await a.listWhere('trip'), await a.listWhere('student')];
      if (!dates.length) return c.json({ dates, items: [] });
      const rows = await db()
        .select({
          id: trips.id,
          schoolId: trips.schoolId,
          routeId: trips.routeId,
          routeName: routes.name,
          period: routes.period,
          busId: trips.busId,
          busPlate: buses.plate,
          approvedCapacity: buses.approvedCapacity,
          attendantId: trips.attendantId,
          serviceDate: trips.serviceDate,
          plannedStartAt: trips.plannedStartAt,
          status: trips.status,
          startedAt: trips.startedAt,
          endedAt: trips.endedAt,
          attendantCheckedInAt: trips.attendantCheckedInAt,
          timeZone: schools.timeZone,
        })
        .from(trips)
        .innerJoin(routes, eq(routes.id, trips.routeId))
        .innerJoin(buses, eq(buses.id, trips.busId))
        .innerJoin(schools, eq(schools.id, trips.schoolId))
        .where(and(tripScope, inArray(trips.serviceDate, dates)))
        .orderBy(asc(trips.plannedStartAt), asc(trips.id));
      const routeIds = [...new Set(rows.map((r) => r.routeId))];
      const riderRows = routeIds.length
        ? await db()
            .select({
              routeId: studentStops.routeId,
              stopId: studentStops.stopId,
              studentId: students.id,
              name: students.name,
              grade: students.grade,
            })
            .from(studentStops)
            .innerJoin(students, eq(students.id, studentStops.studentId))
            .where(and(inArray(studentStops.routeId, routeIds), riderScope))
            .orderBy(asc(students.name), asc(students.id))
        : [];
      return c.json({
        dates,
        items: rows.map((r) => ({
          ...r,
          riders: riderRows.filter((x) => x.routeId === r.routeId).map(({ routeId: _r, ...x }) => x),
        })),
      });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/me/notice-preferences',
      summary: 'The calling guardian’s notice preferences',
      tag: 'Auth',
      roles: 'guardian (own)',
      responses: { 200: contract.myNoticePreferences },
    },
    async (c) => {
      const guardianId = guardianIdOf(c);
      const [g] = await db()
        .select({ prefs: guardians.noticePreferences, locale: guardians.locale })
        .from(guardians)
        .where(eq(guardians.id, guardianId));
      if (!g) throw notFound('Guardian');
      return c.json({ guardianId, locale: g.locale, noticePreferences: g.prefs });
    },
  );

  api.route(
    app,
    {
      method: 'patch',
      path: '/me/notice-preferences',
      summary:
        'Change the calling guardian’s notice preferences: approachMinutes or approachMetres before arrival (one replaces the other; null clears), muted notice kinds',
      tag: 'Auth',
      roles: 'guardian (own record only)',
      body: noticePreferencesPatch,
      responses: { 200: contract.myNoticePreferences },
    },
    async (c) => {
      const guardianId = guardianIdOf(c);
      const body = await parseBody(c, noticePreferencesPatch);
      const updated = await db().transaction(async (tx) => {
        const [g] = await tx
          .select({ prefs: guardians.noticePreferences, locale: guardians.locale })
          .from(guardians)
          .where(eq(guardians.id, guardianId))
          .for('update');
        if (!g) throw notFound('Guardian');
        const prefs = mergePreferences(g.prefs ?? {}, body);
        await tx
          .update(guardians)
          .set({ noticePreferences: prefs, updatedAt: new Date(deps.now()) })
          .where(eq(guardians.id, guardianId));
        return { locale: g.locale, prefs };
      });
      // The notice service caches each trip's riders (with their preferences): reload the guardian's trips.
      if (deps.live) {
        const theirs = await db()
          .select({ id: trips.id })
          .from(trips)
          .where(await accessOf(c, deps).listWhere('trip'));
        for (const t of theirs) deps.live.notices.invalidateTrip(t.id);
      }
      return c.json({ guardianId, locale: updated.locale, noticePreferences: updated.prefs });
    },
  );
}
