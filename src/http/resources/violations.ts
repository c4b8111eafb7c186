// Violations for managers: filtered and sorted lists with keyset pagination, counts for dashboards, and one
// episode with its track (GeoJSON), evidence and case trail.
import type { Hono } from 'hono';
import { z } from 'zod';
import { caseStatuses, severities } from '../../store/schema';
import {
  busTrack,
  caseTrail,
  countViolations,
  decodeCursor,
  encodeCursor,
  getViolation,
  listViolations,
  violationSorts,
  type TrackPoint,
  type ViolationFilter,
  type ViolationRow,
} from '../../store/repos/violations-repo';
import { type Access, accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { badRequest, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseId, parseQuery } from '../validate';
import { caseActionJson, violationJson } from './violation-json';

const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).max(50));
const intId = idParam;
const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const violationFilterQuery = z
  .object({
    kind: csv(z.string().regex(/^[A-Za-z]\w{0,40}$/)).optional(),
    severity: csv(z.enum(severities)).optional(),
    status: csv(z.enum(caseStatuses)).optional(),
    schoolId: intId.optional(),
    busId: intId.optional(),
    driverId: intId.optional(),
    routeId: intId.optional(),
    tripId: intId.optional(),
    ownerUserId: intId.optional(),
    from: instant.optional(),
    to: instant.optional(),
    overdue: bool.optional(),
    escalated: bool.optional(),
  })
  .strict();

const listQuery = violationFilterQuery.extend({
  sort: z.enum(violationSorts).default('-time'),
  limit: decimalInt({ min: 1, max: 500 }).default(50),
  cursor: z.string().max(400).optional(),
});

const detailQuery = z.object({ marginS: decimalInt({ min: 0, max: 3600 }).default(120) }).strict();

/** Managers see their schools; asking for another school's violations is a 403. Only admins and managers get here. */
export function scopedFilter(a: Access, q: z.infer<typeof violationFilterQuery>): ViolationFilter {
  const schoolIds = a.schoolScope('violation', q.schoolId);
  return {
    schoolIds,
    kinds: q.kind,
    severities: q.severity,
    statuses: q.status,
    busId: q.busId,
    driverId: q.driverId,
    routeId: q.routeId,
    tripId: q.tripId,
    ownerUserId: q.ownerUserId,
    fromMs: q.from,
    toMs: q.to,
    overdue: q.overdue,
    escalated: q.escalated,
  };
}

/** Loads one violation the caller may manage (404 unknown, 403 out of scope or wrong role). */
export async function loadManagedViolation(
  deps: AppDeps,
  c: Ctx,
  action: 'read' | 'update' | 'comment' | 'escalate' = 'update',
): Promise<{ a: Access; row: ViolationRow }> {
  const a = accessOf(c, deps);
  a.requireAction(action, 'violation');
  const row = await getViolation(deps.database.db, parseId(c));
  if (!row) throw notFound('Violation');
  a.check(action, { kind: 'violation', schoolId: row.schoolId });
  return { a, row };
}

export function registerViolations(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Violations';
  const roles = 'admin, manager (own schools), supervisor (overseen schools)';

  api.route(
    app,
    {
      method: 'get',
      path: '/violations',
      summary: 'List violations (filters, sort by time or severity, keyset cursor)',
      tag,
      roles,
      query: listQuery,
      responses: { 200: contract.violationPage },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'violation');
      const q = parseQuery(c, listQuery);
      const cursor = q.cursor != null ? decodeCursor(q.cursor) : undefined;
      if (q.cursor != null && !cursor)
        throw badRequest(
          'Invalid cursor',
          [{ path: 'cursor', message: 'not a cursor from this list' }],
          'validation_failed',
        );
      if (cursor && q.sort === 'severity' && cursor.r === undefined)
        throw badRequest('The cursor belongs to another sort order', undefined, 'validation_failed');
      const { sort, limit, cursor: _c, ...filters } = q;
      const nowMs = deps.now();
      const page = await listViolations(db(), scopedFilter(a, filters), { sort, limit, cursor, nowMs });
      return c.json({
        items: page.items.map((r) => violationJson(r, nowMs)),
        nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null,
      });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/violations/counts',
      summary: 'Violation counts by kind, severity and status (same filters as the list)',
      tag,
      roles,
      query: violationFilterQuery,
      responses: { 200: contract.violationCounts },
    },
    async (c) => {
      const a = accessOf(c, deps);
      const q = parseQuery(c, violationFilterQuery);
      return c.json(await countViolations(db(), scopedFilter(a, q), deps.now()));
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/violations/{id}',
      summary: 'One violation with its evidence, case trail and track (GeoJSON, ±marginS around the episode)',
      tag,
      roles,
      query: detailQuery,
      responses: { 200: contract.violationDetail },
    },
    async (c) => {
      const { row } = await loadManagedViolation(deps, c, 'read');
      const q = parseQuery(c, detailQuery);
      const nowMs = deps.now();
      const startMs = row.startedAt.getTime();
      const lastMs = typeof row.evidence.lastMs === 'number' ? row.evidence.lastMs : undefined;
      // An open episode runs to its latest input (or now), capped at six hours for the track.
      const endMs = row.endedAt?.getTime() ?? Math.min(Math.max(lastMs ?? nowMs, startMs), startMs + 6 * 3600_000);
      const fromMs = startMs - q.marginS * 1000;
      const toMs = endMs + q.marginS * 1000;
      const points = row.busId != null ? await busTrack(db(), row.busId, fromMs, toMs) : [];
      const trail = await caseTrail(db(), row.id);
      return c.json({
        ...violationJson(row, nowMs),
        track: trackGeoJson(row, points, { fromMs, toMs, startMs, endMs }),
        actions: trail.map(caseActionJson),
      });
    },
  );
}

function trackGeoJson(
  row: ViolationRow,
  points: TrackPoint[],
  w: { fromMs: number; toMs: number; startMs: number; endMs: number },
) {
  const features: unknown[] = [];
  const coordinates = points.map((p) => [p.lon, p.lat]);
  const times = points.map((p) => p.time.getTime());
  if (points.length) {
    features.push({
      type: 'Feature',
      geometry:
        points.length > 1 ? { type: 'LineString', coordinates } : { type: 'Point', coordinates: coordinates[0] },
      properties: {
        role: 'track',
        busId: row.busId,
        coordTimes: times.map((t) => new Date(t).toISOString()),
        speedsKph: points.map((p) => p.speedKph),
        /** Index range of the points inside the episode itself. */
        episodeFromIndex: firstIndex(times, (t) => t >= w.startMs),
        episodeToIndex: lastIndex(times, (t) => t <= w.endMs),
      },
    });
  }
  if (row.startLat != null && row.startLon != null)
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [row.startLon, row.startLat] },
      properties: { role: 'episodeStart', time: row.startedAt },
    });
  if (row.endLat != null && row.endLon != null)
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [row.endLon, row.endLat] },
      properties: { role: 'episodeEnd', time: row.endedAt },
    });
  return {
    type: 'FeatureCollection',
    properties: {
      from: new Date(w.fromMs).toISOString(),
      to: new Date(w.toMs).toISOString(),
      pointCount: points.length,
    },
    features,
  };
}

function firstIndex(xs: number[], p: (x: number) => boolean): number | null {
  const i = xs.findIndex(p);
  return i < 0 ? null : i;
}
function lastIndex(xs: number[], p: (x: number) => boolean): number | null {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return i;
  return null;
}
