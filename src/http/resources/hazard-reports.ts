// Hazard reports (举报隐患): anyone may report — a guardian (with their token, about their child's bus or route)
// or a member of the public with no account — with up to 3 photos (JPEG/PNG by content, ≤ 5 MB, metadata
// stripped). Each report opens a `hazardReport` case routed to the school that owns the plate, bus or route; a
// plate no school owns opens a district-level "possible unlicensed school bus" case. The reporter follows it by
// the receipt code.
import type { Hono } from 'hono';
import { z } from 'zod';
import { caseDeadlineConfig, dueAtFor } from '../../core/case-deadlines';
import {
  HAZARD_MAX_PHOTO_BYTES,
  HAZARD_MAX_PHOTOS,
  HAZARD_PER_CLIENT_PER_HOUR,
  HAZARD_PER_PLATE_PER_HOUR,
  hazardCategories,
  hazardSeverity,
  normalizePlate,
  receiptCode,
  receiptPattern,
} from '../../core/hazard-reports';
import { photoNumber, photoResponse, photosOf } from '../photos';
import {
  busById,
  busByPlate,
  insertHazardReport,
  photosOfCase,
  recentReportCounts,
  reportByReceipt,
  routeById,
  schoolOverridesOf,
} from '../../store/repos/hazard-reports-repo';
import { accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { AppError, badRequest, forbidden, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';
import { id } from './fields';
import { loadManagedViolation } from './violations';

const HOUR_MS = 3_600_000;
/** Base64 of 5 MB is 6,990,508 characters. */
const MAX_BASE64 = Math.ceil(HAZARD_MAX_PHOTO_BYTES / 3) * 4;

const body = z
  .object({
    category: z.enum(hazardCategories),
    plate: z.string().trim().min(2).max(20).optional(),
    /** A guardian's child's bus or route (guardians only). */
    busId: id.optional(),
    routeId: id.optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    place: z.string().trim().min(1).max(200).optional(),
    occurredAt: z.iso.datetime({ offset: true }),
    description: z.string().trim().min(1).max(2000),
    photos: z
      .array(z.object({ data: z.base64().max(MAX_BASE64) }).strict())
      .max(HAZARD_MAX_PHOTOS)
      .default([]),
  })
  .strict()
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), {
    path: ['lon'],
    message: 'give lat and lon together',
  })
  .refine((b) => b.lat !== undefined || b.place !== undefined, {
    path: ['place'],
    message: 'give a place (map pick or text)',
  });

/** The client address as the socket saw it (Node); reports from an unknown address share one bucket. */
function clientAddress(c: Ctx): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const rateLimited = (message: string) =>
  new AppError('rate_limited', message, undefined, { 'Retry-After': String(HOUR_MS / 1000) });

/** What the reporter sees: received, in progress, closed or dismissed. */
const publicStatus = (s: string | null) =>
  s === 'closed' ? 'closed' : s === 'dismissed' ? 'dismissed' : s === 'open' || s == null ? 'received' : 'inProgress';

export function registerHazardReports(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Hazard reports';

  api.route(
    app,
    {
      method: 'post',
      path: '/hazard-reports',
      summary:
        'Report a hazard (no account needed; a guardian may name their child’s bus or route): opens a case and answers a receipt code',
      tag,
      roles: 'anyone (no token), guardian',
      body,
      responses: { 201: contract.hazardReceipt },
    },
    async (c) => {
      const principal = c.get('principal');
      if (principal && principal.role !== 'guardian')
        throw forbidden('Staff record cases directly; this form is for guardians and the public');
      const b = await parseBody(c, body);
      const nowMs = deps.now();
      const occurredMs = Date.parse(b.occurredAt);
      if (occurredMs > nowMs + 5 * 60_000)
        throw badRequest(
          'occurredAt is in the future',
          [{ path: 'occurredAt', message: 'in the future' }],
          'validation_failed',
        );
      if (!principal && (b.busId !== undefined || b.routeId !== undefined))
        throw badRequest(
          'Without an account, name the bus by its plate',
          [{ path: b.busId !== undefined ? 'busId' : 'routeId', message: 'guardians only' }],
          'validation_failed',
        );

      // Photos: JPEG or PNG by their bytes, at most 5 MB, without metadata.
      const photos = photosOf(b.photos);

      // Where it goes: the guardian's bus or route (in their scope), else the plate's school, else the district.
      const a = principal ? accessOf(c, deps) : undefined;
      const plate = b.plate ? normalizePlate(b.plate) : null;
      let bus = b.busId !== undefined ? await busById(db(), b.busId) : undefined;
      if (b.busId !== undefined) {
        if (!bus)
          throw badRequest(
            `Bus ${b.busId} does not exist`,
            [{ path: 'busId', message: 'unknown id' }],
            'invalid_reference',
          );
        await a!.assert('read', 'bus', b.busId);
      }
      const route = b.routeId !== undefined ? await routeById(db(), b.routeId) : undefined;
      if (b.routeId !== undefined) {
        if (!route)
          throw badRequest(
            `Route ${b.routeId} does not exist`,
            [{ path: 'routeId', message: 'unknown id' }],
            'invalid_reference',
          );
        await a!.assert('read', 'route', b.routeId);
      }
      if (!bus && plate) bus = await busByPlate(db(), plate);
      const schoolId = bus?.schoolId ?? route?.schoolId ?? (principal ? (principal.schoolIds[0] ?? null) : null);
      const unknownPlate = plate != null && !bus;

      const clientKey = await sha256Hex(`hazard:${clientAddress(c)}`);
      const counts = await recentReportCounts(db(), { clientKey, plate, sinceMs: nowMs - HOUR_MS });
      if (counts.byClient >= HAZARD_PER_CLIENT_PER_HOUR)
        throw rateLimited(`At most ${HAZARD_PER_CLIENT_PER_HOUR} reports an hour from one address`);
      if (plate && counts.byPlate >= HAZARD_PER_PLATE_PER_HOUR)
        throw rateLimited(`This plate was reported ${counts.byPlate} times in the last hour; it is being looked at`);

      const receipt = receiptCode(crypto.getRandomValues(new Uint8Array(12)));
      const severity = hazardSeverity(b.category, !unknownPlate, plate != null);
      const cfg = caseDeadlineConfig(schoolId != null ? await schoolOverridesOf(db(), schoolId) : {});
      const { violationId } = await insertHazardReport(db(), {
        atMs: nowMs,
        photos,
        report: {
          receipt,
          category: b.category,
          plate,
          busId: bus?.id ?? null,
          routeId: route?.id ?? null,
          schoolId,
          lat: b.lat ?? null,
          lon: b.lon ?? null,
          placeText: b.place ?? null,
          occurredAt: new Date(occurredMs),
          description: b.description,
          source: principal ? 'guardian' : 'public',
          guardianId: principal?.guardianId ?? null,
          clientKey,
        },
        violation: {
          episodeKey: `hazardReport:${receipt}`,
          kind: 'hazardReport',
          severity,
          status: 'open',
          schoolId,
          busId: bus?.id ?? null,
          routeId: route?.id ?? null,
          startedAt: new Date(nowMs),
          startLat: b.lat ?? null,
          startLon: b.lon ?? null,
          dueAt: new Date(dueAtFor(nowMs, severity, cfg)),
          evidence: {
            source: principal ? 'guardian' : 'public',
            receipt,
            category: b.category,
            plate,
            place: b.place ?? null,
            occurredAt: new Date(occurredMs).toISOString(),
            description: b.description,
            photos: photos.length,
            possibleUnlicensedBus: unknownPlate,
          },
        },
      });
      deps.log.info('hazard report', { receipt, violationId, schoolId, category: b.category, unknownPlate });
      return c.json({ receipt, status: 'received', createdAt: new Date(nowMs).toISOString() }, 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/hazard-reports/{receipt}',
      summary: 'The status of a report and, once closed, the closing note (no account needed: the receipt is the key)',
      tag,
      roles: 'anyone with the receipt code',
      responses: { 200: contract.hazardReportStatus },
    },
    async (c) => {
      const receipt = c.req.param('receipt') ?? '';
      if (!receiptPattern.test(receipt))
        throw badRequest('Not a receipt code', [{ path: 'receipt', message: 'like ABCD-EFGH-JKMN' }], 'bad_id');
      const r = await reportByReceipt(db(), receipt);
      if (!r) throw notFound('Report');
      const finished = r.status === 'closed' || r.status === 'dismissed';
      return c.json({
        receipt,
        category: r.report.category,
        status: publicStatus(r.status),
        createdAt: r.report.createdAt.toISOString(),
        photos: r.photos,
        closedAt: finished && r.closing ? r.closing.at.toISOString() : null,
        closingNote: finished ? (r.closing?.note ?? r.resolutionReason ?? null) : null,
      });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/violations/{id}/photos/{n}',
      summary: 'Photo n (1–3) of the hazard report behind a case, metadata stripped (JSON: type and base64 bytes)',
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      responses: { 200: contract.hazardPhoto },
    },
    async (c) => {
      parseId(c);
      const { row } = await loadManagedViolation(deps, c, 'read');
      return photoResponse(c, await photosOfCase(db(), row.id, photoNumber(c)));
    },
  );
}
