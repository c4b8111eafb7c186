// The manager's side of inspections: the weekly inspection (周检) of each bus, and evacuation drills (应急疏散演练)
// per school with up to three photos (JPEG/PNG by content, metadata stripped, like hazard-report photos).
// Managers and admins record them; supervisors read them; nobody else sees them.
import type { Hono } from 'hono';
import { z } from 'zod';
import { HAZARD_MAX_PHOTO_BYTES, HAZARD_MAX_PHOTOS } from '../../core/hazard-reports';
import { isoWeekStart, verdictOf } from '../../core/inspections';
import { photoNumber, photoResponse, photosOf } from '../photos';
import { busById, routeById } from '../../store/repos/hazard-reports-repo';
import {
  type BusInspectionRow,
  drillById,
  drillPhoto,
  insertBusInspection,
  insertDrill,
  listBusInspections,
  listDrills,
  photoCounts,
} from '../../store/repos/inspections-repo';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import * as contract from '../contract';
import { itemsOf } from '../contract/common';
import { badRequest, notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, isoDate, parseBody, parseId, parseQuery } from '../validate';
import { id } from './fields';
import { checklistBody } from './pre-trip-checks';

const MAX_BASE64 = Math.ceil(HAZARD_MAX_PHOTO_BYTES / 3) * 4;

const inspectionBody = z
  .object({
    inspectedOn: isoDate,
    inspector: z.string().trim().min(1).max(100),
    items: checklistBody,
    notes: z.string().trim().min(1).max(2000).optional(),
  })
  .strict();

const drillBody = z
  .object({
    schoolId: id,
    routeId: id.optional(),
    heldOn: isoDate,
    participants: z.number().int().min(1).max(5000),
    notes: z.string().trim().min(1).max(4000).optional(),
    photos: z
      .array(z.object({ data: z.base64().max(MAX_BASE64) }).strict())
      .max(HAZARD_MAX_PHOTOS)
      .default([]),
  })
  .strict();

const listQuery = z
  .object({
    schoolId: idParam.optional(),
    busId: idParam.optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    limit: decimalInt({ min: 1, max: 500 }).default(100),
  })
  .strict();

function inspectionJson(r: BusInspectionRow) {
  return {
    ...r,
    failedItems: verdictOf(r.items).failed,
    createdAt: r.createdAt.toISOString(),
  };
}

export function registerInspections(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Inspections';

  api.route(
    app,
    {
      method: 'post',
      path: '/buses/{id}/inspections',
      summary: 'Record the weekly inspection of a bus (every checklist item answered); it counts for its ISO week',
      tag,
      roles: 'admin, manager (own schools)',
      body: inspectionBody,
      responses: { 201: contract.busInspection },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('create', 'inspection');
      const bus = await busById(db(), parseId(c));
      if (!bus) throw notFound('Bus');
      a.check('create', { kind: 'inspection', schoolId: bus.schoolId });
      const b = await parseBody(c, inspectionBody);
      const verdict = verdictOf(b.items);
      const row = await insertBusInspection(
        db(),
        {
          schoolId: bus.schoolId,
          busId: bus.id,
          inspectedOn: b.inspectedOn,
          weekStart: isoWeekStart(b.inspectedOn),
          inspector: b.inspector,
          items: b.items,
          passed: verdict.passed,
          notes: b.notes ?? null,
          recordedByUserId: a.principal.userId,
        },
        deps.now(),
      );
      return c.json(inspectionJson(row), 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/inspections',
      summary: 'Weekly bus inspections, newest first (by school, bus and inspection date)',
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      query: listQuery,
      responses: { 200: itemsOf(contract.busInspection) },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'inspection');
      const q = parseQuery(c, listQuery);
      let schoolId = q.schoolId;
      if (q.busId != null) {
        const bus = await busById(db(), q.busId);
        if (!bus) throw notFound('Bus');
        a.check('read', { kind: 'inspection', schoolId: bus.schoolId });
        schoolId ??= bus.schoolId;
      }
      const schoolIds = a.schoolScope('inspection', schoolId);
      const rows = await listBusInspections(db(), { ...q, schoolIds });
      return c.json({ items: rows.map(inspectionJson) });
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/evacuation-drills',
      summary:
        'Record an evacuation drill of a school (date, route, participants, notes, up to 3 photos stripped of metadata)',
      tag,
      roles: 'admin, manager (own schools)',
      body: drillBody,
      responses: { 201: contract.evacuationDrill },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('create', 'inspection');
      const b = await parseBody(c, drillBody);
      a.check('create', { kind: 'inspection', schoolId: b.schoolId });
      if (b.routeId != null) {
        const route = await routeById(db(), b.routeId);
        if (!route || route.schoolId !== b.schoolId)
          throw badRequest(
            route ? `Route ${b.routeId} belongs to another school` : `Route ${b.routeId} does not exist`,
            [{ path: 'routeId', message: route ? 'other school' : 'unknown id' }],
            'invalid_reference',
          );
      }
      const photos = photosOf(b.photos);
      const row = await insertDrill(
        db(),
        {
          schoolId: b.schoolId,
          routeId: b.routeId ?? null,
          heldOn: b.heldOn,
          participants: b.participants,
          notes: b.notes ?? null,
          recordedByUserId: a.principal.userId,
        },
        photos,
        deps.now(),
      );
      return c.json({ ...row, photos: photos.length, createdAt: row.createdAt.toISOString() }, 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/evacuation-drills',
      summary: 'Evacuation drills, newest first',
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      query: listQuery.omit({ busId: true }),
      responses: { 200: itemsOf(contract.evacuationDrill) },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'inspection');
      const q = parseQuery(c, listQuery.omit({ busId: true }));
      const schoolIds = a.schoolScope('inspection', q.schoolId);
      const rows = await listDrills(db(), { ...q, schoolIds });
      return c.json({ items: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/evacuation-drills/{id}',
      summary: 'One evacuation drill',
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      responses: { 200: contract.evacuationDrill },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'inspection');
      const row = await drillById(db(), parseId(c));
      if (!row) throw notFound('Drill');
      a.check('read', { kind: 'inspection', schoolId: row.schoolId });
      const n = (await photoCounts(db(), [row.id])).get(row.id) ?? 0;
      return c.json({ ...row, photos: n, createdAt: row.createdAt.toISOString() });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/evacuation-drills/{id}/photos/{n}',
      summary: 'Photo n (1–3) of a drill, metadata stripped (JSON: type and base64 bytes)',
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      responses: { 200: contract.hazardPhoto },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'inspection');
      const row = await drillById(db(), parseId(c));
      if (!row) throw notFound('Drill');
      a.check('read', { kind: 'inspection', schoolId: row.schoolId });
      return photoResponse(c, await drillPhoto(db(), row.id, photoNumber(c)));
    },
  );
}
