// Attendants on the bus (R2, R4, R6, R8, R9; Art. 38–39): trip check-in with the pre-departure checks, boarding
// records (head counts or per student, queued offline and sent in batches, idempotent by client id), onboard
// count against the approved capacity, and the end-of-trip sweep with its "child possibly left on board" alert.
//
// How records reach the engine: a batch is stored first (insert … on conflict (trip, client id) do nothing);
// only the records this call inserted are fed to the engine, sorted by recorded time, as boarding inputs on
// the bus's lane. The engine's running totals therefore always equal the table's totals; the counts this API
// answers are computed from the table (boarded − got off over every record), whatever order records came in.
import { eq, inArray } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { EngineEvent, ViolationEvent } from '../../core/events';
import type { BoardingInput } from '../../core/inputs';
import {
  type LeftOnBoardAlert,
  liveAlertPublisher,
  raiseLeftOnBoardAlert,
  type SweepDeps,
} from '../../jobs/sweep-deadlines';
import type { BoardingNoticeInput } from '../../live/notices';
import type { EngineRunner } from '../../pipeline/engine-runner';
import { markTrip } from '../../store/repos/engine-repo';
import {
  type BoardingRow,
  boardingTotals,
  checkInAttendant,
  claimSweepConfirmation,
  getSweep,
  insertBoardingRecords,
  leftOnBoardAlerts,
  listBoardingRecords,
  type NewBoardingRecord,
  routeStops,
  schoolStudentsByCards,
  schoolStudentsByIds,
  type SweepRow,
  type TripForAttendance,
  tripForAttendance,
  tripViolations,
} from '../../store/repos/attendance-repo';
import { transitionCase } from '../../store/repos/violations-repo';
import { trips, violations } from '../../store/schema';
import { type Access, accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { conflict, notFound, unavailable } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';
import { assertSweepAllowed } from './sweep-guard';
import { assertCheckInAllowed } from './pre-trip-checks';
import { id, lat, lon } from './fields';

/** Optional collaborators; by default they go through `deps.live` when the live service runs. */
export interface AttendanceHooks {
  /** Guardian boarded/got-off notice (src/live/notices NoticeService.noticeBoarding). */
  noticeBoarding?: (n: BoardingNoticeInput) => unknown;
  /** The critical alert to the school's managers over the live channel. */
  publishAlert?: (alert: LeftOnBoardAlert) => unknown;
}

export type AttendanceDeps = AppDeps & { attendance?: AttendanceHooks };

/** A record may be stamped at most this far ahead of the server clock (device clocks drift a little). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

const clientId = z.string().trim().min(1).max(100);
const recordedAt = z.iso.datetime({ offset: true });
const note = z.string().trim().min(1).max(2000);

const recordBase = {
  clientId,
  recordedAt,
  stopId: id.optional(),
  lat: lat.optional(),
  lon: lon.optional(),
};

const countRecord = z
  .object({
    type: z.literal('count'),
    ...recordBase,
    boarded: z.number().int().min(0).max(200).default(0),
    alighted: z.number().int().min(0).max(200).default(0),
  })
  .strict();

const studentRecord = z
  .object({
    type: z.literal('student'),
    ...recordBase,
    studentId: id.optional(),
    /** RFID / IC card id read on the bus */
    cardId: z.string().trim().min(1).max(64).optional(),
    event: z.enum(['boarded', 'gotOff']),
  })
  .strict();

const boardingRecordSchema = z
  .discriminatedUnion('type', [countRecord, studentRecord])
  .refine((r) => (r.lat === undefined) === (r.lon === undefined), {
    message: 'give lat and lon together',
    path: ['lat'],
  })
  .refine((r) => r.type !== 'count' || r.boarded + r.alighted > 0, {
    message: 'a head count needs boarded or alighted above 0',
    path: ['boarded'],
  })
  .refine((r) => r.type !== 'student' || (r.studentId === undefined) !== (r.cardId === undefined), {
    message: 'give exactly one of studentId and cardId',
    path: ['studentId'],
  });

export const boardingBatchBody = z.object({ records: z.array(boardingRecordSchema).min(1).max(500) }).strict();
export const sweepBody = z
  .object({
    confirmedEmpty: z.boolean(),
    note: note.optional(),
    /** the trip ends before the last stop (breakdown, run cut short): accepted mid-route, recorded with the sweep */
    earlyEndReason: note.optional(),
  })
  .strict();
export const resolveBody = z.object({ note }).strict();

type RecordIn = z.infer<typeof boardingRecordSchema>;

export interface BoardingWarning {
  clientId: string;
  kind: 'wrongBus' | 'wrongStop' | 'unknownCard';
  studentId?: number;
  studentName?: string;
  cardId?: string;
  stopId?: number | null;
  assignedStopId?: number | null;
  message: string;
}

type Mode = 'attendant' | 'read' | 'resolve';

/**
 * The trip and the caller's right to act on it: the trip's own attendant on the trip's service day (in the
 * school's time zone) for everything; admins and the school's managers for reading and resolving alerts.
 */
async function tripInScope(deps: AppDeps, c: Ctx, mode: Mode): Promise<{ a: Access; t: TripForAttendance }> {
  const a = accessOf(c, deps);
  const action = mode === 'attendant' ? 'attend' : 'supervise';
  a.requireAction(action, 'trip');
  await a.assert(action, 'trip', parseId(c));
  const t = await tripForAttendance(deps.database.db, parseId(c));
  if (!t) throw notFound('Trip');
  return { a, t };
}

function requireRunner(deps: AppDeps): EngineRunner {
  if (!deps.runner) throw unavailable('The safety engine does not run on this runtime', 60);
  return deps.runner;
}

function violationEvents(events: EngineEvent[]): ViolationEvent[] {
  return events.filter(
    (e): e is ViolationEvent =>
      e.type === 'violation.opened' || e.type === 'violation.updated' || e.type === 'violation.closed',
  );
}

/** The attendant's warnings: one per record the engine found on the wrong bus, at the wrong stop or with an unknown card. */
function riderWarnings(
  events: EngineEvent[],
  students: Map<string, { studentId: number; name: string }>,
  unknownCards: Map<string, string>,
): BoardingWarning[] {
  const out: BoardingWarning[] = [];
  for (const e of events) {
    if (e.type !== 'rider.finding' || e.recordId == null) continue;
    const clientId = e.recordId;
    const stopId = e.stopId == null ? null : Number(e.stopId);
    if (e.kind === 'unknownCard') {
      const cardId = e.cardId ?? unknownCards.get(clientId) ?? '';
      out.push({
        clientId,
        kind: 'unknownCard',
        cardId,
        stopId,
        message: `Card ${cardId} belongs to no student of this school; check the child's identity`,
      });
      continue;
    }
    const student = students.get(clientId);
    const name = student?.name ?? `student ${e.studentId}`;
    const base = { clientId, studentId: Number(e.studentId), studentName: name, stopId };
    if (e.kind === 'wrongBus')
      out.push({ ...base, kind: 'wrongBus', message: `${name} is not assigned to this bus's route` });
    else
      out.push({
        ...base,
        kind: 'wrongStop',
        assignedStopId: e.assignedStopId == null ? null : Number(e.assignedStopId),
        message: `${name} ${e.boarded ? 'boarded' : 'got off'} at a stop that is not theirs`,
      });
  }
  return out;
}

const PRE_DEPARTURE = [
  { check: 'driverCredentials', rule: 'R6', kind: 'driverCredentials' },
  { check: 'busLicence', rule: 'R8', kind: 'unlicensedBus' },
  { check: 'attendant', rule: 'R9', kind: 'noAttendant' },
] as const;

function reasonsOf(evidence: Record<string, unknown>): string[] {
  if (Array.isArray(evidence.failures)) return evidence.failures.map(String);
  if (typeof evidence.reason === 'string') return [evidence.reason];
  return [];
}

function boardingRecordJson(r: BoardingRow) {
  return {
    clientId: r.clientId,
    type: r.kind,
    recordedAt: r.recordedAt.toISOString(),
    studentId: r.studentId,
    boarded: r.boarded,
    alighted: r.alighted,
    stopId: r.stopId,
    lat: r.lat,
    lon: r.lon,
    attendantId: r.attendantId,
    receivedAt: r.createdAt.toISOString(),
  };
}

function sweepJson(s: SweepRow | undefined) {
  if (!s) return null;
  return {
    confirmedAt: s.confirmedAt?.toISOString() ?? null,
    confirmedEmpty: s.confirmedEmpty,
    confirmedByUserId: s.confirmedByUserId,
    onboardAtConfirm: s.onboardAtConfirm,
    note: s.note,
    alertRaisedAt: s.alertRaisedAt?.toISOString() ?? null,
    alertReason: s.alertReason,
  };
}

async function countsOf(deps: AppDeps, t: TripForAttendance) {
  const totals = await boardingTotals(deps.database.db, t.trip.id);
  return { ...totals, capacity: t.approvedCapacity, overCapacity: totals.onboard > t.approvedCapacity };
}

async function openAlerts(deps: AppDeps, tripId: number) {
  const rows = await leftOnBoardAlerts(deps.database.db, tripId);
  return rows
    .filter((v) => v.status === 'open' || v.status === 'acknowledged' || v.status === 'rectifying')
    .map((v) => ({
      violationId: v.id,
      kind: v.kind,
      severity: v.severity,
      status: v.status,
      startedAt: v.startedAt.toISOString(),
      evidence: v.evidence,
    }));
}

export function registerAttendance(app: Hono<AppEnv>, api: ApiRegistry, deps: AttendanceDeps) {
  const db = () => deps.database.db;
  const tag = 'Attendance';
  const live = deps.live;
  const publishAlert = deps.attendance?.publishAlert ?? (live ? liveAlertPublisher(live.hub) : undefined);
  const noticeBoarding =
    deps.attendance?.noticeBoarding ?? (live ? (n: BoardingNoticeInput) => live.notices.noticeBoarding(n) : undefined);
  const sweepDeps = (): SweepDeps => ({ database: deps.database, log: deps.log, runner: deps.runner, publishAlert });

  // ── check-in and the pre-departure checks ─────────────────────────────────────────────────────────────────
  api.route(
    app,
    {
      method: 'post',
      path: '/trips/{id}/check-in',
      summary:
        'The attendant checks in and the trip starts: driver credentials (R6), bus sign and inspection (R8) and attendant (R9) are checked; failures become violations, the trip still runs. Refused (409) on an unapproved route, with a bus in maintenance or retired, or after a failed pre-trip check',
      tag,
      roles: "attendant (the trip's own, on the trip's day)",
      responses: { 200: contract.checkIn },
    },
    async (c) => {
      const { t } = await tripInScope(deps, c, 'attendant');
      const runner = requireRunner(deps);
      const trip = t.trip;
      if (trip.status === 'cancelled' || trip.status === 'completed') throw conflict(`The trip is ${trip.status}`);
      // Route approved, bus in service, pre-trip check not failed (409 otherwise; nothing is recorded).
      await assertCheckInAllowed(deps, t);
      const nowMs = deps.now();
      const checkedInAt = await checkInAttendant(db(), trip.id, nowMs);
      // The cached trip context still says "not checked in": reload it before the trip starts.
      await runner.invalidate(trip.busId);
      const events = await runner.submitToTrip(trip.id, trip.busId, [{ type: 'tripStart', timeMs: nowMs }]);
      const startedNow = events.some((e) => e.type === 'trip.started');
      let failing: { kind: string; evidence: Record<string, unknown>; episodeKey: string }[];
      if (startedNow) {
        failing = violationEvents(events)
          .filter((e) => e.type === 'violation.opened')
          .map((e) => ({ kind: e.kind, evidence: e.evidence as Record<string, unknown>, episodeKey: e.id }));
      } else {
        // The trip had started already (the bus moved before check-in): its trip-start checks are on record.
        const rows = await tripViolations(
          db(),
          trip.id,
          PRE_DEPARTURE.map((p) => p.kind),
        );
        failing = rows
          .filter((r) => r.kind !== 'driverCredentials' || r.evidence.trigger === 'tripStart')
          .map((r) => ({ kind: r.kind, evidence: r.evidence, episodeKey: r.episodeKey }));
      }
      const checks = PRE_DEPARTURE.map((p) => {
        const f = failing.filter((x) => x.kind === p.kind);
        return {
          check: p.check,
          rule: p.rule,
          passed: f.length === 0,
          reasons: f.flatMap((x) => reasonsOf(x.evidence)),
        };
      });
      const keys = failing.map((f) => f.episodeKey);
      const rows = keys.length ? await db().select().from(violations).where(inArray(violations.episodeKey, keys)) : [];
      const [now] = await db().select({ status: trips.status }).from(trips).where(eq(trips.id, trip.id));
      return c.json({
        tripId: trip.id,
        checkedInAt: checkedInAt.toISOString(),
        tripStatus: now?.status ?? trip.status,
        startedNow,
        allPassed: checks.every((x) => x.passed),
        checks,
        violations: rows.map((v) => ({
          id: v.id,
          episodeKey: v.episodeKey,
          kind: v.kind,
          severity: v.severity,
          status: v.status,
          evidence: v.evidence,
        })),
        counts: await countsOf(deps, t),
      });
    },
  );

  // ── boarding records ───────────────────────────────────────────────────────────────────────────────────────
  api.route(
    app,
    {
      method: 'post',
      path: '/trips/{id}/boarding',
      summary:
        'A batch of queued boarding records (head counts or per student by id or card). Idempotent by clientId; answers applied, duplicate and rejected ids, wrong-bus/stop warnings, over-capacity (R2) and the onboard count against capacity',
      tag,
      roles: "attendant (the trip's own, on the trip's day)",
      body: boardingBatchBody,
      responses: { 200: contract.boardingResult },
    },
    async (c) => {
      const { a, t } = await tripInScope(deps, c, 'attendant');
      const runner = requireRunner(deps);
      const body = await parseBody(c, boardingBatchBody);
      const trip = t.trip;
      if (trip.status === 'cancelled') throw conflict('The trip is cancelled');
      const nowMs = deps.now();

      // One entry per client id (a resent record inside the same batch is a duplicate of the first).
      const seen = new Set<string>();
      const duplicates: string[] = [];
      const rejected: { clientId: string; reason: string; message: string }[] = [];
      const unique: RecordIn[] = [];
      for (const r of body.records) {
        if (seen.has(r.clientId)) duplicates.push(r.clientId);
        else {
          seen.add(r.clientId);
          unique.push(r);
        }
      }

      const stopsOfRoute = await routeStops(db(), trip.routeId);
      const stopIds = new Set(stopsOfRoute.map((s) => s.id));
      const studentIds = unique.flatMap((r) => (r.type === 'student' && r.studentId != null ? [r.studentId] : []));
      const cardIds = unique.flatMap((r) => (r.type === 'student' && r.cardId != null ? [r.cardId] : []));
      const byId = new Map((await schoolStudentsByIds(db(), trip.schoolId, studentIds)).map((s) => [s.id, s]));
      const byCard = new Map((await schoolStudentsByCards(db(), trip.schoolId, cardIds)).map((s) => [s.cardId!, s]));

      // Validation here; who boarded which bus at which stop is judged by the engine in the bus's lane.
      const rows: NewBoardingRecord[] = [];
      const unknownCards = new Map<string, string>();
      const perStudent = new Map<
        string,
        { studentId: number; name: string; boarded: boolean; timeMs: number; stopId: number | null }
      >();
      for (const r of unique) {
        const timeMs = Date.parse(r.recordedAt);
        if (timeMs > nowMs + MAX_FUTURE_SKEW_MS) {
          rejected.push({ clientId: r.clientId, reason: 'future_time', message: 'recordedAt is in the future' });
          continue;
        }
        if (r.stopId != null && !stopIds.has(r.stopId)) {
          rejected.push({
            clientId: r.clientId,
            reason: 'unknown_stop',
            message: `stop ${r.stopId} is not on this trip's route`,
          });
          continue;
        }
        const common = {
          tripId: trip.id,
          clientId: r.clientId,
          recordedAt: new Date(timeMs),
          stopId: r.stopId ?? null,
          lat: r.lat ?? null,
          lon: r.lon ?? null,
          attendantId: a.principal.attendantId ?? null,
        };
        if (r.type === 'count') {
          rows.push({ ...common, kind: 'count', studentId: null, boarded: r.boarded, alighted: r.alighted });
          continue;
        }
        const boarded = r.event === 'boarded';
        const counts = { boarded: boarded ? 1 : 0, alighted: boarded ? 0 : 1 };
        const student = r.studentId != null ? byId.get(r.studentId) : byCard.get(r.cardId!);
        if (!student && r.studentId != null) {
          rejected.push({
            clientId: r.clientId,
            reason: 'unknown_student',
            message: `student ${r.studentId} is not a student of this school`,
          });
          continue;
        }
        if (!student) {
          // A child with an unknown card is still on the bus: counted, and flagged.
          rows.push({ ...common, kind: 'count', studentId: null, ...counts });
          unknownCards.set(r.clientId, r.cardId!);
          continue;
        }
        rows.push({ ...common, kind: 'student', studentId: student.id, ...counts });
        perStudent.set(r.clientId, {
          studentId: student.id,
          name: student.name,
          boarded,
          timeMs,
          stopId: r.stopId ?? null,
        });
      }

      // In the bus's lane: the records are stored (idempotent by client id), then this call's new ones run through
      // the engine in recorded-time order (client id breaks ties): capacity (R2), off-stop (R4), wrong bus or stop.
      const lane = await runner.storeAndSubmit(
        trip.id,
        trip.busId,
        () => db().transaction((tx) => insertBoardingRecords(tx, rows)),
        (inserted): BoardingInput[] =>
          rows
            .filter((r) => inserted.has(r.clientId))
            .sort(
              (x, y) =>
                x.recordedAt.getTime() - y.recordedAt.getTime() ||
                (x.clientId < y.clientId ? -1 : x.clientId > y.clientId ? 1 : 0),
            )
            .map((r) => {
              const card = unknownCards.get(r.clientId);
              return {
                type: 'boarding',
                timeMs: r.recordedAt.getTime(),
                boarded: r.boarded ?? 0,
                alighted: r.alighted ?? 0,
                ...(r.lat != null && r.lon != null ? { lat: r.lat, lon: r.lon } : {}),
                ...(r.stopId != null ? { stopId: String(r.stopId) } : {}),
                recordId: r.clientId,
                ...(r.studentId != null ? { studentId: String(r.studentId) } : {}),
                ...(card !== undefined ? { unknownCardId: card } : {}),
              };
            }),
      );
      const inserted = lane.stored ?? new Set<string>();
      const appliedRows = rows.filter((r) => inserted.has(r.clientId));
      for (const r of rows) if (!inserted.has(r.clientId)) duplicates.push(r.clientId);
      const sortedApplied = [...appliedRows].sort(
        (x, y) =>
          x.recordedAt.getTime() - y.recordedAt.getTime() ||
          (x.clientId < y.clientId ? -1 : x.clientId > y.clientId ? 1 : 0),
      );
      const engine = violationEvents(lane.events);
      const engineApplied = !lane.engineError;
      const warnings = riderWarnings(lane.events, perStudent, unknownCards);

      const notify = noticeBoarding;
      if (notify) {
        for (const r of sortedApplied) {
          const s = perStudent.get(r.clientId);
          if (!s) continue;
          try {
            await notify({
              tripId: trip.id,
              studentId: s.studentId,
              boarded: s.boarded,
              timeMs: s.timeMs,
              stopId: s.stopId,
            });
          } catch (err) {
            deps.log.warn('boarding notice not sent', { tripId: trip.id, studentId: s.studentId, error: String(err) });
          }
        }
      }

      const keys = [...new Set(engine.map((e) => e.id))];
      const rowsByKey = new Map(
        keys.length
          ? (
              await db()
                .select({ id: violations.id, episodeKey: violations.episodeKey })
                .from(violations)
                .where(inArray(violations.episodeKey, keys))
            ).map((v) => [v.episodeKey, v.id])
          : [],
      );
      return c.json({
        tripId: trip.id,
        applied: appliedRows.map((r) => r.clientId),
        duplicates,
        rejected,
        warnings,
        violations: engine.map((e) => ({
          event: e.type,
          violationId: rowsByKey.get(e.id) ?? null,
          episodeKey: e.id,
          kind: e.kind,
          severity: e.severity,
          onboard: e.peakValue ?? null,
          limit: e.limit ?? null,
          evidence: e.evidence,
        })),
        engineApplied,
        counts: await countsOf(deps, t),
      });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/trips/{id}/boarding',
      summary: "The trip's boarding records (recorded-time order), counts against capacity, sweep and open alerts",
      tag,
      roles: "attendant (the trip's own, on the trip's day), admin, manager (own schools)",
      responses: { 200: contract.boardingState },
    },
    async (c) => {
      const { t } = await tripInScope(deps, c, 'read');
      const records = await listBoardingRecords(db(), t.trip.id);
      return c.json({
        tripId: t.trip.id,
        tripStatus: t.trip.status,
        checkedInAt: t.trip.attendantCheckedInAt?.toISOString() ?? null,
        counts: await countsOf(deps, t),
        records: records.map(boardingRecordJson),
        sweep: sweepJson(await getSweep(db(), t.trip.id)),
        alerts: await openAlerts(deps, t.trip.id),
      });
    },
  );

  // ── end-of-trip sweep ─────────────────────────────────────────────────────────────────────────────────────
  api.route(
    app,
    {
      method: 'post',
      path: '/trips/{id}/sweep',
      summary:
        'End-of-trip sweep: the attendant confirms no child is left aboard (ends the trip); refused (sweep_too_early) before the bus reached the last stop unless the trip ended. Not empty, or onboard ≠ 0, raises the critical "child possibly left on board" alert',
      tag,
      roles: "attendant (the trip's own, on the trip's day)",
      body: sweepBody,
      responses: { 200: contract.sweepResult },
    },
    async (c) => {
      const { a, t } = await tripInScope(deps, c, 'attendant');
      const body = await parseBody(c, sweepBody);
      const trip = t.trip;
      if (trip.status === 'cancelled') throw conflict('The trip is cancelled');
      const nowMs = deps.now();
      await assertSweepAllowed(db(), t, body.earlyEndReason);
      const totals = await boardingTotals(db(), trip.id);
      const claimed = await claimSweepConfirmation(db(), {
        tripId: trip.id,
        atMs: nowMs,
        userId: a.principal.userId,
        confirmedEmpty: body.confirmedEmpty,
        onboard: totals.onboard,
        note:
          [body.note, body.earlyEndReason && `ended early: ${body.earlyEndReason}`].filter(Boolean).join('; ') ||
          undefined,
      });
      if (!claimed) {
        // A resend from the device: the first confirmation stands.
        const [tripNow] = await db().select({ status: trips.status }).from(trips).where(eq(trips.id, trip.id));
        return c.json({
          tripId: trip.id,
          alreadyConfirmed: true,
          tripStatus: tripNow?.status,
          sweep: sweepJson(await getSweep(db(), trip.id)),
          counts: await countsOf(deps, t),
          alerts: await openAlerts(deps, trip.id),
        });
      }
      const empty = body.confirmedEmpty && totals.onboard === 0;
      let engineRaised = false;
      if (deps.runner && (trip.status === 'active' || trip.status === 'planned')) {
        try {
          const events = await deps.runner.submitToTrip(trip.id, trip.busId, [
            { type: 'tripEnd', timeMs: nowMs, sweepConfirmed: empty },
          ]);
          engineRaised = events.some((e) => e.type === 'violation.opened' && e.kind === 'childLeftOnBoard');
        } catch (err) {
          deps.log.error('engine did not take the trip end', { tripId: trip.id, error: String(err) });
        }
      }
      const [tripNow] = await db().select({ status: trips.status }).from(trips).where(eq(trips.id, trip.id));
      if (tripNow && tripNow.status !== 'completed' && tripNow.status !== 'cancelled')
        await markTrip(db(), trip.id, { endedMs: nowMs });
      if (!empty || engineRaised) {
        const reason = totals.onboard !== 0 || engineRaised ? 'onboard_not_zero' : 'not_confirmed_empty';
        await raiseLeftOnBoardAlert(sweepDeps(), {
          trip,
          reason,
          onboard: totals.onboard,
          atMs: nowMs,
          endTrip: false,
          onlyUnconfirmed: false,
        });
      }
      const alerts = await openAlerts(deps, trip.id);
      return c.json({
        tripId: trip.id,
        alreadyConfirmed: false,
        tripStatus: 'completed',
        sweep: sweepJson(await getSweep(db(), trip.id)),
        counts: await countsOf(deps, t),
        alert: alerts.length
          ? {
              ...alerts[0],
              message:
                totals.onboard !== 0
                  ? `${totals.onboard} child(ren) still counted on board: search the bus`
                  : 'The bus was not confirmed empty',
            }
          : null,
        alerts,
      });
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/trips/{id}/sweep/resolve',
      summary:
        'Resolve the trip\'s "child possibly left on board" alert with a note (closes the case; recorded in its trail)',
      tag,
      roles: "attendant (the trip's own, on the trip's day), admin, manager (own schools)",
      body: resolveBody,
      responses: { 200: contract.sweepResolved },
    },
    async (c) => {
      const { a, t } = await tripInScope(deps, c, 'resolve');
      const body = await parseBody(c, resolveBody);
      const nowMs = deps.now();
      const open = (await leftOnBoardAlerts(db(), t.trip.id)).filter(
        (v) => v.status === 'open' || v.status === 'acknowledged' || v.status === 'rectifying',
      );
      if (!open.length) throw conflict('No open "child possibly left on board" alert on this trip');
      const chain = ['open', 'acknowledged', 'rectifying', 'closed'] as const;
      const resolved = await db().transaction(async (tx) => {
        const out: { violationId: number; status: string }[] = [];
        for (const v of open) {
          let from = v.status as (typeof chain)[number];
          let row = v;
          while (from !== 'closed') {
            const to = chain[chain.indexOf(from) + 1]!;
            const moved = await transitionCase(tx, {
              violationId: v.id,
              from,
              to,
              actorUserId: a.principal.userId,
              note: `sweep resolved (${a.role}): ${body.note}`,
              atMs: nowMs,
              set: to === 'closed' ? { resolutionReason: body.note } : undefined,
            });
            if (!moved) throw conflict('The alert changed meanwhile; reload it');
            row = moved;
            from = to;
          }
          out.push({ violationId: row.id, status: row.status });
        }
        return out;
      });
      return c.json({ tripId: t.trip.id, resolved, note: body.note });
    },
  );
}
