// R11 SOS from the attendant's screen: POST /trips/{id}/sos with the phone's position (or none: the bus's last
// stored position stands in) and an optional note opens a critical `emergency` case at once — no engine round
// trip, so it works before check-in, after the trip, and with the device offline — and pushes it to the
// school's managers on their live topic. Idempotent by the optional clientId (a queued resend opens nothing new).
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { z } from 'zod';
import { schoolViolationsTopic } from '../../live/topics';
import { raiseManualViolation, tripForAttendance } from '../../store/repos/attendance-repo';
import { lastBusPosition } from '../../store/repos/trip-end-repo';
import { getViolation } from '../../store/repos/violations-repo';
import { accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import * as contract from '../contract';
import { notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';
import { lat, lon } from './fields';

export const sosBody = z
  .object({
    lat: lat.optional(),
    lon: lon.optional(),
    /** the phone's accuracy, when it gave one */
    accuracyM: z.number().min(0).max(100_000).optional(),
    note: z.string().trim().min(1).max(2000).optional(),
    /** the page's id for this press: a resend from its queue is the same SOS */
    clientId: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only')
      .optional(),
  })
  .strict()
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), {
    message: 'give lat and lon together',
    path: ['lat'],
  });

export function registerSos(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  api.route(
    app,
    {
      method: 'post',
      path: '/trips/{id}/sos',
      summary:
        'SOS (R11): the attendant raises a critical emergency case at once, with the position (else the bus’s last) and an optional note; the school’s managers are alerted live. Idempotent by clientId',
      tag: 'Attendance',
      roles: "attendant (the trip's own, on the trip's day)",
      body: sosBody,
      responses: { 201: contract.sosResult },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('attend', 'trip');
      const tripId = parseId(c);
      await a.assert('attend', 'trip', tripId);
      const body = await parseBody(c, sosBody);
      const t = await tripForAttendance(db(), tripId);
      if (!t) throw notFound('Trip');
      const trip = t.trip;
      const nowMs = deps.now();
      const fallback = body.lat === undefined ? await lastBusPosition(db(), trip.busId) : undefined;
      const position =
        body.lat !== undefined && body.lon !== undefined
          ? { lat: body.lat, lon: body.lon, source: 'phone' as const }
          : fallback
            ? { lat: fallback.lat, lon: fallback.lon, source: 'bus' as const }
            : null;
      const press = body.clientId ?? randomUUID();
      const raised = await raiseManualViolation(db(), {
        episodeKey: `emergency:sos:${trip.id}:${press}`,
        kind: 'emergency',
        severity: 'critical',
        trip,
        atMs: nowMs,
        lat: position?.lat ?? null,
        lon: position?.lon ?? null,
        evidence: {
          source: 'attendant',
          trigger: 'sos',
          clientId: body.clientId ?? null,
          note: body.note ?? null,
          byUserId: a.principal.userId,
          attendantId: a.principal.attendantId ?? null,
          positionSource: position?.source ?? null,
          accuracyM: body.accuracyM ?? null,
          busPositionMs: fallback?.timeMs ?? null,
          plate: t.plate,
        },
      });
      const row = await getViolation(db(), raised.id);
      if (!row) throw notFound('Violation');
      if (raised.created) {
        deps.log.warn('SOS from the attendant', { tripId: trip.id, busId: trip.busId, violationId: row.id });
        try {
          deps.live?.hub.publish(schoolViolationsTopic(trip.schoolId), 'violation', {
            event: 'alert.emergency',
            type: 'alert.emergency',
            violationId: row.id,
            kind: 'emergency',
            severity: 'critical',
            status: row.status,
            schoolId: trip.schoolId,
            busId: trip.busId,
            tripId: trip.id,
            routeId: trip.routeId,
            position,
            note: body.note ?? null,
            timeMs: nowMs,
          });
        } catch (err) {
          deps.log.error('SOS not published on the live channel', { tripId: trip.id, error: String(err) });
        }
      }
      return c.json(
        {
          tripId: trip.id,
          violationId: row.id,
          created: raised.created,
          kind: 'emergency' as const,
          severity: row.severity,
          status: row.status,
          startedAt: row.startedAt.toISOString(),
          position:
            row.startLat != null && row.startLon != null
              ? {
                  lat: row.startLat,
                  lon: row.startLon,
                  source: (row.evidence as { positionSource?: string }).positionSource === 'bus' ? 'bus' : 'phone',
                }
              : null,
          note: ((row.evidence as { note?: string | null }).note ?? null) as string | null,
        },
        201,
      );
    },
  );
}
