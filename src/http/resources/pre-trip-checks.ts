// The pre-trip check (出车前检查): the Art. 41 items and the safety equipment, recorded by the attendant (for
// themselves or the driver) on the attendant page. A failed item opens a `preTripCheckFailed` case (severity from
// the preset, by the worst failed item) and blocks check-in until a later check of the bus that day passes.
import type { Hono } from 'hono';
import { z } from 'zod';
import { caseDeadlineConfig, dueAtFor } from '../../core/case-deadlines';
import { checkInGate, inspectionConfig, inspectionItems, preTripFailSeverity, verdictOf } from '../../core/inspections';
import { busRunnable, isRouteApproved, routeApprovalProblems } from '../../core/registry-rules';
import { tripForAttendance, type TripForAttendance } from '../../store/repos/attendance-repo';
import {
  checkInFacts,
  insertPreTripCheck,
  latestPreTripCheck,
  type PreTripCheckRow,
} from '../../store/repos/inspections-repo';
import { inspectionPerformers } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import * as contract from '../contract';
import { AppError, conflict, notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';

const itemInput = z.object({ ok: z.boolean(), note: z.string().trim().min(1).max(500).optional() }).strict();

/** Every checklist item must be answered. */
export const checklistBody = z
  .object(
    Object.fromEntries(inspectionItems.map((i) => [i, itemInput])) as Record<
      (typeof inspectionItems)[number],
      typeof itemInput
    >,
  )
  .strict();

export const preTripCheckBody = z
  .object({
    performedBy: z.enum(inspectionPerformers),
    performerName: z.string().trim().min(1).max(100).optional(),
    items: checklistBody,
  })
  .strict();

export function preTripCheckJson(r: PreTripCheckRow) {
  return {
    id: r.id,
    schoolId: r.schoolId,
    busId: r.busId,
    tripId: r.tripId,
    serviceDate: r.serviceDate,
    performedBy: r.performedBy,
    performerName: r.performerName,
    items: r.items,
    passed: r.passed,
    failedItems: verdictOf(r.items).failed,
    violationId: r.violationId,
    createdAt: r.createdAt.toISOString(),
  };
}

async function tripFor(deps: AppDeps, c: Ctx, action: 'attend' | 'supervise') {
  const a = accessOf(c, deps);
  a.requireAction(action, 'trip');
  await a.assert(action, 'trip', parseId(c));
  const t = await tripForAttendance(deps.database.db, parseId(c));
  if (!t) throw notFound('Trip');
  return { a, t };
}

/**
 * What check-in needs from the registry and the inspections: the route approved on the trip's day (Art. 30), the bus
 * in service, and no failed pre-trip check as the bus's latest of the day (nor none, when the school requires one).
 */
export async function assertCheckInAllowed(deps: AppDeps, t: TripForAttendance): Promise<void> {
  const db = deps.database.db;
  const facts = await checkInFacts(db, t.trip.routeId, t.trip.busId);
  if (!isRouteApproved(facts.route, t.trip.serviceDate))
    throw new AppError(
      'route_not_approved',
      `Route ${facts.route.id} is not approved: the trip may not start`,
      routeApprovalProblems(facts.route, t.trip.serviceDate).map((f) => ({ path: `route.${f}`, message: 'missing' })),
    );
  if (!busRunnable(facts.busStatus))
    throw new AppError('bus_not_in_service', `Bus ${t.plate} is ${facts.busStatus}: it runs no trips`, [
      { path: 'busId', message: facts.busStatus },
    ]);
  const latest = await latestPreTripCheck(db, t.trip.busId, t.trip.serviceDate);
  const gate = checkInGate(latest, inspectionConfig(t.schoolRuleOverrides));
  if (!gate.ok && gate.reason === 'preTripCheckFailed')
    throw new AppError(
      'pre_trip_check_failed',
      `The pre-trip check of ${t.plate} failed (${verdictOf(latest!.items).failed.join(', ')}): fix the bus and check again`,
      { checkId: latest!.id, failedItems: verdictOf(latest!.items).failed, violationId: latest!.violationId },
    );
  if (!gate.ok) throw new AppError('pre_trip_check_missing', `Record the pre-trip check of ${t.plate} first`);
}

export function registerPreTripChecks(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Inspections';

  api.route(
    app,
    {
      method: 'post',
      path: '/trips/{id}/pre-trip-check',
      summary:
        "Record the bus's pre-trip check (Art. 41 items and safety equipment, every item answered). A failed item opens a preTripCheckFailed case and blocks check-in until a later check passes",
      tag,
      roles: "attendant (the trip's own, on the trip's day)",
      body: preTripCheckBody,
      responses: { 201: contract.preTripCheck },
    },
    async (c) => {
      const { a, t } = await tripFor(deps, c, 'attend');
      const body = await parseBody(c, preTripCheckBody);
      const trip = t.trip;
      if (trip.status === 'cancelled' || trip.status === 'completed') throw conflict(`The trip is ${trip.status}`);
      const nowMs = deps.now();
      const verdict = verdictOf(body.items);
      const cfg = inspectionConfig(t.schoolRuleOverrides);
      const severity = preTripFailSeverity(verdict.failed, cfg);
      const row = await insertPreTripCheck(
        db(),
        {
          schoolId: trip.schoolId,
          busId: trip.busId,
          tripId: trip.id,
          serviceDate: trip.serviceDate,
          performedBy: body.performedBy,
          performerName: body.performerName ?? null,
          items: body.items,
          passed: verdict.passed,
          recordedByUserId: a.principal.userId,
        },
        verdict.passed
          ? undefined
          : {
              episodeKey: `preTripCheck:${trip.busId}:${trip.serviceDate}:${nowMs}:${crypto.randomUUID()}`,
              kind: 'preTripCheckFailed',
              severity,
              status: 'open',
              schoolId: trip.schoolId,
              busId: trip.busId,
              tripId: trip.id,
              driverId: trip.driverId,
              routeId: trip.routeId,
              startedAt: new Date(nowMs),
              dueAt: new Date(dueAtFor(nowMs, severity, caseDeadlineConfig(t.schoolRuleOverrides))),
              evidence: {
                plate: t.plate,
                serviceDate: trip.serviceDate,
                failedItems: verdict.failed,
                notes: Object.fromEntries(verdict.failed.map((i) => [i, body.items[i].note ?? null])),
                performedBy: body.performedBy,
                performerName: body.performerName ?? null,
              },
            },
        nowMs,
      );
      deps.log.info('pre-trip check', { tripId: trip.id, busId: trip.busId, passed: row.passed });
      return c.json(preTripCheckJson(row), 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/trips/{id}/pre-trip-check',
      summary: "The checklist, whether the school requires it, and the bus's latest check on the trip's day",
      tag,
      roles: "attendant (the trip's own, on the trip's day), admin, manager (own schools)",
      responses: { 200: contract.preTripCheckState },
    },
    async (c) => {
      const { t } = await tripFor(deps, c, 'supervise');
      const latest = await latestPreTripCheck(db(), t.trip.busId, t.trip.serviceDate);
      const cfg = inspectionConfig(t.schoolRuleOverrides);
      return c.json({
        tripId: t.trip.id,
        busId: t.trip.busId,
        serviceDate: t.trip.serviceDate,
        items: [...inspectionItems],
        required: cfg.preTripRequiredForCheckIn,
        checkInAllowed: checkInGate(latest, cfg).ok,
        latest: latest ? preTripCheckJson(latest) : null,
      });
    },
  );
}
