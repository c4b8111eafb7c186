// Route import: GeoJSON (JSON body) and GTFS (zip, or a folder's files as multipart), one route per call.
import type { Hono } from 'hono';
import { z } from 'zod';
import { parseGeoJsonRoute } from '../../ingest/geojson';
import { gtfsRoute, listGtfsRoutes, readGtfsFiles, readGtfsZip, type GtfsFeed } from '../../ingest/gtfs';
import { fitRoutePath, type ImportedRoute, RouteImportError } from '../../ingest/route-import';
import { insertRoute } from '../../store/repos/routes-repo';
import { routePeriods } from '../../store/schema';
import { type Access, accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { AppError, badRequest } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseBody, parseQuery } from '../validate';
import { secondsOfDay, id } from './fields';
import { routeJson } from './routes';

const target = {
  schoolId: id,
  name: z.string().trim().min(1).max(200).optional(),
  period: z.enum(routePeriods).optional(),
  corridorWidthM: z.number().int().min(10).max(2000).optional(),
};

/** `preview`: answer 200 with what would be stored (path as simplified, stops), and store nothing. */
const geojsonBody = z.object({ ...target, geojson: z.unknown(), preview: z.boolean().optional() }).strict();

const gtfsQuery = z.object({
  schoolId: idParam,
  routeId: z.string().min(1).optional(),
  shapeId: z.string().min(1).optional(),
  tripId: z.string().min(1).optional(),
  name: z.string().trim().min(1).max(200).optional(),
  period: z.enum(routePeriods).optional(),
  corridorWidthM: decimalInt({ min: 10, max: 2000 }).optional(),
  preview: z.enum(['true', 'false']).optional(),
});

function importFailure(err: unknown): never {
  if (err instanceof RouteImportError) throw new AppError(err.code, err.message, err.details);
  throw err;
}

interface Upload {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

async function readFeed(c: Ctx): Promise<GtfsFeed> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (type.startsWith('multipart/form-data')) {
      const form = await c.req.formData();
      const files = ([...form.values()] as unknown[]).filter(
        (v): v is Upload => typeof v === 'object' && v !== null && 'arrayBuffer' in v && 'name' in v,
      );
      if (files.length === 0)
        throw badRequest('Attach the feed as a .zip file or as its .txt files', undefined, 'gtfs_missing_file');
      if (files.length === 1 && !files[0]!.name.endsWith('.txt'))
        return readGtfsZip(new Uint8Array(await files[0]!.arrayBuffer()));
      const contents: Record<string, Uint8Array> = {};
      for (const f of files) contents[f.name.split('/').pop()!] = new Uint8Array(await f.arrayBuffer());
      return readGtfsFiles(contents);
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0)
      throw badRequest(
        'Send the GTFS feed as the request body (application/zip) or as multipart files',
        undefined,
        'gtfs_missing_file',
      );
    return readGtfsZip(bytes);
  } catch (err) {
    importFailure(err);
  }
}

export function registerRouteImport(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;

  const save = async (
    c: Ctx,
    a: Access,
    imported: ImportedRoute,
    opts: z.infer<z.ZodObject<typeof target>>,
    preview: boolean,
  ) => {
    a.check('create', { kind: 'route', schoolId: opts.schoolId });
    let fitted: ReturnType<typeof fitRoutePath>;
    try {
      fitted = fitRoutePath(imported.path); // dense shapes are simplified to MAX_ROUTE_POINTS
    } catch (err) {
      importFailure(err);
    }
    if (preview)
      return c.json(
        {
          preview: true as const,
          name: opts.name ?? imported.name,
          externalId: imported.externalId ?? imported.shapeId ?? null,
          path: fitted.path,
          sourcePoints: imported.path.coordinates.length,
          simplified: fitted.simplified,
          stops: imported.stops.map((s) => ({
            sequence: s.sequence,
            name: s.name,
            lat: s.lat,
            lon: s.lon,
            scheduledTime: s.scheduledTime ?? null,
          })),
        },
        200,
      );
    const row = await db().transaction(async (tx) => {
      const route = await insertRoute(
        tx,
        {
          schoolId: opts.schoolId,
          name: opts.name ?? imported.name,
          period: opts.period,
          corridorWidthM: opts.corridorWidthM,
          path: fitted.path,
          externalId: imported.externalId ?? imported.shapeId,
        },
        imported.stops.map((s) => ({
          name: s.name,
          lat: s.lat,
          lon: s.lon,
          sequence: s.sequence,
          radiusM: s.radiusM,
          scheduledS: s.scheduledTime ? secondsOfDay(s.scheduledTime) : null,
          externalId: s.externalId,
        })),
      );
      return routeJson(tx, route);
    });
    if (fitted.simplified)
      c.header(
        'X-Route-Simplified',
        `${imported.path.coordinates.length}->${fitted.path.coordinates.length}; toleranceM=${fitted.toleranceM}`,
      );
    return c.json(row, 201);
  };

  api.route(
    app,
    {
      method: 'post',
      path: '/routes/import/geojson',
      summary: 'Import a route from GeoJSON (LineString + stop Points)',
      tag: 'Route',
      roles: 'admin, manager (own schools)',
      body: geojsonBody,
      responses: { 200: contract.routePreview, 201: contract.routeWithStops },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('create', 'route');
      const body = await parseBody(c, geojsonBody);
      a.check('create', { kind: 'route', schoolId: body.schoolId });
      let imported: ImportedRoute;
      try {
        imported = parseGeoJsonRoute(body.geojson, { name: body.name });
      } catch (err) {
        importFailure(err);
      }
      return save(c, a, imported, body, body.preview === true);
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/routes/import/gtfs',
      summary:
        'Import one GTFS route/shape (body: the feed as application/zip, or multipart with the zip or the .txt files)',
      tag: 'Route',
      roles: 'admin, manager (own schools)',
      query: gtfsQuery,
      responses: { 200: contract.routePreview, 201: contract.routeWithStops },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('create', 'route');
      const q = parseQuery(c, gtfsQuery);
      a.check('create', { kind: 'route', schoolId: q.schoolId });
      const feed = await readFeed(c);
      if (!q.routeId && !q.shapeId && !q.tripId) {
        let available: unknown;
        try {
          available = listGtfsRoutes(feed);
        } catch (err) {
          importFailure(err);
        }
        throw badRequest(
          'Name the GTFS route (routeId), shape (shapeId) or trip (tripId) to import',
          { available },
          'gtfs_route_required',
        );
      }
      let imported: ImportedRoute;
      try {
        imported = gtfsRoute(feed, { routeId: q.routeId, shapeId: q.shapeId, tripId: q.tripId });
      } catch (err) {
        importFailure(err);
      }
      return save(c, a, imported, q, q.preview === 'true');
    },
  );
}
