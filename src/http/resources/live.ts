// REST twins of the live feed: current position of a bus or trip, ETA to a trip's stops, a guardian's notices
// since a cursor. Same scope as the WebSocket topics (src/live/access.ts, the policy's `track` action): a guardian
// asking for another bus or trip gets 403. Without a live service (Workers) positions come from storage and ETAs from the timetable.
import { asc, eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import { zoneOffsetMin } from '../../core/time-zone';
import { authorizeTopic } from '../../live/access';
import { scheduledInstants } from '../../live/eta';
import { createNoticeService } from '../../live/notices';
import type { EtaData, PositionData } from '../../live/service';
import type { Topic } from '../../live/topics';
import { schools, stops, trips } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { AppError, badRequest, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseId, parseQuery } from '../validate';

const etaQuery = z.object({ stopId: idParam.optional() });
const noticesQuery = z.object({
  cursor: decimalInt({ min: 0, max: 2_147_483_647 }).default(0),
  limit: decimalInt({ min: 1, max: 200 }).default(50),
  guardianId: idParam.optional(),
});

export function registerLive(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const notices = deps.live?.notices ?? createNoticeService({ database: deps.database, log: deps.log, now: deps.now });

  async function allow(c: Ctx, topic: Topic) {
    const verdict = await authorizeTopic(db(), c.get('principal')!, topic, deps.now());
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
  }

  async function storedPosition(busId: number, tripId: number | null): Promise<PositionData | null> {
    const rows = await deps.database.query<{
      lat: number;
      lon: number;
      speed_kph: number | null;
      heading_deg: number | null;
      ms: number;
    }>(
      'select lat, lon, speed_kph, heading_deg, extract(epoch from time) * 1000 as ms from positions where bus_id = $1 and not late order by time desc limit 1',
      [busId],
    );
    const r = rows[0];
    return r
      ? {
          busId,
          tripId,
          lat: r.lat,
          lon: r.lon,
          speedKph: r.speed_kph,
          headingDeg: r.heading_deg,
          timeMs: Math.round(Number(r.ms)),
        }
      : null;
  }

  api.route(
    app,
    {
      method: 'get',
      path: '/buses/{id}/position',
      summary: 'Current position of a bus (null when it has never reported)',
      tag: 'Live',
      roles:
        'admin, manager (own schools), attendant (a trip of this bus today), guardian (a bus their child rides today)',
      responses: { 200: contract.busPosition },
    },
    async (c) => {
      const busId = parseId(c);
      await allow(c, { kind: 'bus', busId });
      const position = deps.live?.positionOfBus(busId) ?? (await storedPosition(busId, null));
      return c.json({ busId, position });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/trips/{id}/position',
      summary: 'Current position of the bus on a running trip (null when the trip is not running)',
      tag: 'Live',
      roles: 'admin, manager (own schools), attendant (own trip), guardian (their child’s trips)',
      responses: { 200: contract.tripPosition },
    },
    async (c) => {
      const tripId = parseId(c);
      await allow(c, { kind: 'trip', tripId });
      let position = deps.live?.positionOfTrip(tripId) ?? null;
      if (!position && !deps.live) {
        const [t] = await db()
          .select({ busId: trips.busId, status: trips.status })
          .from(trips)
          .where(eq(trips.id, tripId));
        if (t?.status === 'active') position = await storedPosition(t.busId, tripId);
      }
      return c.json({ tripId, position });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/trips/{id}/eta',
      summary: 'ETA to the remaining stops of a trip (live while it runs, else the timetable); ?stopId= for one stop',
      tag: 'Live',
      roles: 'admin, manager (own schools), attendant (own trip), guardian (their child’s trips)',
      query: etaQuery,
      responses: { 200: contract.eta },
    },
    async (c) => {
      const tripId = parseId(c);
      const q = parseQuery(c, etaQuery);
      await allow(c, { kind: 'trip', tripId });
      const eta = deps.live?.etaOfTrip(tripId) ?? (await timetable(tripId));
      if (q.stopId != null) {
        const stop = eta.stops.find((s) => s.stopId === String(q.stopId));
        if (!stop) {
          const [row] = await db().select({ routeId: stops.routeId }).from(stops).where(eq(stops.id, q.stopId));
          if (!row) throw notFound('Stop');
          return c.json({ ...eta, stops: [] });
        }
        return c.json({ ...eta, stops: [stop] });
      }
      return c.json(eta);
    },
  );

  async function timetable(tripId: number): Promise<EtaData> {
    const [t] = await db()
      .select({
        id: trips.id,
        busId: trips.busId,
        routeId: trips.routeId,
        plannedStartAt: trips.plannedStartAt,
        status: trips.status,
        timeZone: schools.timeZone,
      })
      .from(trips)
      .innerJoin(schools, eq(schools.id, trips.schoolId))
      .where(eq(trips.id, tripId));
    if (!t) throw notFound('Trip');
    const rows = await db().select().from(stops).where(eq(stops.routeId, t.routeId)).orderBy(asc(stops.sequence));
    const plannedMs = t.plannedStartAt.getTime();
    const scheduled = scheduledInstants(
      new Map(rows.map((s) => [String(s.id), s.scheduledS])),
      plannedMs,
      zoneOffsetMin(t.timeZone, plannedMs),
    );
    const delayMs = t.status === 'planned' ? Math.max(0, deps.now() - plannedMs) : 0;
    return {
      tripId,
      busId: t.busId,
      source: 'timetable',
      progressM: null,
      routeLengthM: null,
      computedMs: deps.now(),
      stops: rows
        .filter((s) => scheduled.has(String(s.id)))
        .map((s) => {
          const at = scheduled.get(String(s.id))!;
          return {
            stopId: String(s.id),
            name: s.name,
            etaMs: at + delayMs,
            remainingM: null,
            scheduledMs: at,
            delayS: Math.round(delayMs / 1000),
          };
        }),
    };
  }

  api.route(
    app,
    {
      method: 'get',
      path: '/notices',
      summary: 'A guardian’s notices after a cursor (notice id), oldest first; nextCursor when more remain',
      tag: 'Live',
      roles: 'guardian (own), admin, manager (guardians of own schools, ?guardianId=)',
      query: noticesQuery,
      responses: { 200: contract.noticePage },
    },
    async (c) => {
      const p = c.get('principal')!;
      const a = accessOf(c, deps);
      a.requireAction('read', 'guardian');
      const q = parseQuery(c, noticesQuery);
      const guardianId = q.guardianId ?? (p.role === 'guardian' ? p.guardianId : undefined);
      if (guardianId == null)
        throw badRequest('guardianId is required', [{ path: 'guardianId', message: 'required' }], 'validation_failed');
      await a.assert('read', 'guardian', guardianId);
      return c.json(await notices.since(guardianId, q.cursor, q.limit));
    },
  );
}
