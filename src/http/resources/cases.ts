// The closed loop on each violation: status transitions, owner and due date, notes, and the append-only trail.
import { and, eq, inArray } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import {
  canTransition,
  defaultDueDays,
  encodeResolution,
  exemptionReasons,
  isActiveCase,
  type CaseStatus,
} from '../../core/case-workflow';
import type { Severity } from '../../core/events';
import type { DbOrTx } from '../../store/db';
import { appendCaseAction, caseTrail, transitionCase } from '../../store/repos/violations-repo';
import { escalateCase } from '../../store/repos/case-deadlines-repo';
import { caseStatuses, schools, users, userSchools, violations } from '../../store/schema';
import { notifyEscalation } from '../../jobs/case-deadlines';
import type { AppDeps, AppEnv } from '../context';
import { badRequest, conflict } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { parseBody } from '../validate';
import { id } from './fields';
import { loadManagedViolation } from './violations';
import { caseActionJson, violationJson } from './violation-json';

const note = z.string().trim().min(1).max(4000);
const dueAt = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const transitionBody = z
  .object({
    to: z.enum(caseStatuses),
    note: note.optional(),
    /** Required to dismiss (unless an exemption reason is given). */
    reason: note.optional(),
    /** Route deviations only: why the bus had to leave the approved route. */
    exemptionReason: z.enum(exemptionReasons).optional(),
    ownerUserId: id.nullable().optional(),
    dueAt: dueAt.nullable().optional(),
  })
  .strict();

const assignBody = z
  .object({ ownerUserId: id.nullable().optional(), dueAt: dueAt.nullable().optional(), note: note.optional() })
  .strict()
  .refine((b) => b.ownerUserId !== undefined || b.dueAt !== undefined, 'give ownerUserId or dueAt');

const noteBody = z.object({ note }).strict();
const escalateBody = z.object({ note }).strict();

async function schoolTimeZone(tx: DbOrTx, schoolId: number | null): Promise<string> {
  if (schoolId == null) return 'Asia/Shanghai';
  const [s] = await tx.select({ tz: schools.timeZone }).from(schools).where(eq(schools.id, schoolId));
  return s?.tz ?? 'Asia/Shanghai';
}

/** The owner must be an admin or a manager of the violation's school (an admin for a district-level case). */
async function checkOwner(tx: DbOrTx, ownerUserId: number | null | undefined, schoolId: number | null) {
  if (ownerUserId == null) return;
  const [u] = await tx
    .select({ role: users.role, disabled: users.disabled })
    .from(users)
    .where(eq(users.id, ownerUserId));
  const ok =
    u &&
    !u.disabled &&
    (u.role === 'admin' ||
      (u.role === 'manager' &&
        schoolId != null &&
        (
          await tx
            .select()
            .from(userSchools)
            .where(and(eq(userSchools.userId, ownerUserId), inArray(userSchools.schoolId, [schoolId])))
        ).length > 0));
  if (!ok)
    throw badRequest(
      `User ${ownerUserId} cannot own this case (an admin or a manager of the school)`,
      [{ path: 'ownerUserId', message: 'not a manager of the school' }],
      'invalid_reference',
    );
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : 'none');

export function registerCases(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Cases';
  const roles = 'admin, manager (own schools)';

  api.route(
    app,
    {
      method: 'post',
      path: '/violations/{id}/transitions',
      summary:
        'Move the case: open → acknowledged → rectifying → closed, or → dismissed with a reason (409 for an illegal move)',
      tag,
      roles,
      body: transitionBody,
      responses: { 200: contract.violationWithActions },
    },
    async (c) => {
      const { a, row } = await loadManagedViolation(deps, c);
      const body = await parseBody(c, transitionBody);
      const from = row.status as CaseStatus;
      const to = body.to as CaseStatus;
      if (!canTransition(from, to)) throw conflict(`A case cannot go from ${from} to ${to}`, { from, to });
      if (to === 'dismissed' && !body.reason && !body.exemptionReason)
        throw badRequest(
          'Dismissing needs a reason',
          [{ path: 'reason', message: 'required to dismiss' }],
          'validation_failed',
        );
      if (body.exemptionReason && to !== 'dismissed')
        throw badRequest(
          'An exemption reason applies to a dismissal',
          [{ path: 'exemptionReason', message: 'only with to=dismissed' }],
          'validation_failed',
        );
      if (body.exemptionReason && row.kind !== 'routeDeviation')
        throw badRequest(
          'Only route deviations can be exempted',
          [{ path: 'exemptionReason', message: `not for ${row.kind}` }],
          'validation_failed',
        );
      if (body.reason && to !== 'dismissed')
        throw badRequest(
          'A reason goes with a dismissal; use note otherwise',
          [{ path: 'reason', message: 'only with to=dismissed' }],
          'validation_failed',
        );
      const nowMs = deps.now();
      const updated = await db().transaction(async (tx) => {
        await checkOwner(tx, body.ownerUserId, row.schoolId);
        const set: { ownerUserId?: number | null; dueAt?: Date | null; resolutionReason?: string | null } = {};
        if (body.ownerUserId !== undefined) set.ownerUserId = body.ownerUserId;
        if (body.dueAt !== undefined) set.dueAt = body.dueAt;
        // Acknowledging takes ownership and sets a due date by severity, unless given or already set.
        if (to === 'acknowledged') {
          if (set.ownerUserId === undefined && row.ownerUserId == null) set.ownerUserId = a.principal.userId;
          if (set.dueAt === undefined && row.dueAt == null)
            set.dueAt = new Date(nowMs + defaultDueDays[row.severity as Severity] * 86_400_000);
        }
        if (to === 'dismissed') set.resolutionReason = encodeResolution(body.reason, body.exemptionReason);
        const details = [
          body.exemptionReason ? `exemption: ${body.exemptionReason}` : undefined,
          body.reason ? `reason: ${body.reason}` : undefined,
          set.ownerUserId !== undefined && set.ownerUserId !== row.ownerUserId
            ? `owner: ${row.ownerUserId ?? 'none'} → ${set.ownerUserId ?? 'none'}`
            : undefined,
          set.dueAt !== undefined && iso(set.dueAt) !== iso(row.dueAt)
            ? `due: ${iso(row.dueAt)} → ${iso(set.dueAt)}`
            : undefined,
          body.note,
        ].filter(Boolean);
        const moved = await transitionCase(tx, {
          violationId: row.id,
          from,
          to,
          actorUserId: a.principal.userId,
          note: details.join('; ') || undefined,
          atMs: nowMs,
          set,
        });
        // Someone else moved the case between our read and this write.
        if (!moved) throw conflict('The case changed meanwhile; reload it', { from, to });
        return moved;
      });
      return c.json({ ...violationJson(updated, nowMs), actions: (await caseTrail(db(), row.id)).map(caseActionJson) });
    },
  );

  api.route(
    app,
    {
      method: 'patch',
      path: '/violations/{id}/case',
      summary: 'Set the owner and due date of an active case (recorded in the trail)',
      tag,
      roles,
      body: assignBody,
      responses: { 200: contract.violation },
    },
    async (c) => {
      const { a, row } = await loadManagedViolation(deps, c);
      const body = await parseBody(c, assignBody);
      if (!isActiveCase(row.status as CaseStatus))
        throw conflict(`The case is ${row.status}; owner and due date are final`);
      const nowMs = deps.now();
      const updated = await db().transaction(async (tx) => {
        await checkOwner(tx, body.ownerUserId, row.schoolId);
        const set: { ownerUserId?: number | null; dueAt?: Date | null } = {};
        if (body.ownerUserId !== undefined) set.ownerUserId = body.ownerUserId;
        if (body.dueAt !== undefined) set.dueAt = body.dueAt;
        const [u] = await tx
          .update(violations)
          .set({ ...set, updatedAt: new Date(nowMs) })
          .where(and(eq(violations.id, row.id), inArray(violations.status, ['open', 'acknowledged', 'rectifying'])))
          .returning();
        if (!u) throw conflict('The case changed meanwhile; reload it');
        const details = [
          set.ownerUserId !== undefined
            ? `owner: ${row.ownerUserId ?? 'none'} → ${set.ownerUserId ?? 'none'}`
            : undefined,
          set.dueAt !== undefined ? `due: ${iso(row.dueAt)} → ${iso(set.dueAt)}` : undefined,
          body.note,
        ].filter(Boolean);
        await appendCaseAction(tx, {
          violationId: row.id,
          actorUserId: a.principal.userId,
          action: 'assign',
          fromStatus: row.status,
          toStatus: row.status,
          note: details.join('; '),
          atMs: nowMs,
        });
        return u;
      });
      return c.json(violationJson(updated, nowMs));
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/violations/{id}/notes',
      summary: 'Append a note to the case trail',
      tag,
      roles: `${roles}, supervisor (overseen schools)`,
      body: noteBody,
      responses: { 201: contract.caseAction },
    },
    async (c) => {
      const { a, row } = await loadManagedViolation(deps, c, 'comment');
      const body = await parseBody(c, noteBody);
      const action = await appendCaseAction(db(), {
        violationId: row.id,
        actorUserId: a.principal.userId,
        action: 'note',
        fromStatus: row.status,
        toStatus: row.status,
        note: body.note,
        atMs: deps.now(),
      });
      return c.json(caseActionJson(action), 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/violations/{id}/actions',
      summary: 'The case trail (append-only: who, when, from → to, note)',
      tag,
      roles: `${roles}, supervisor (overseen schools)`,
      responses: { 200: contract.caseActionList },
    },
    async (c) => {
      const { row } = await loadManagedViolation(deps, c, 'read');
      return c.json({ items: (await caseTrail(db(), row.id)).map(caseActionJson) });
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: '/violations/{id}/escalate',
      summary:
        'Escalate an active case (挂牌督办): flagged, entered in the trail, notified to the school’s managers and supervisors (409 when closed or escalated already)',
      tag,
      roles: `${roles}, supervisor (overseen schools)`,
      body: escalateBody,
      responses: { 200: contract.violationWithActions },
    },
    async (c) => {
      const { a, row } = await loadManagedViolation(deps, c, 'escalate');
      const body = await parseBody(c, escalateBody);
      if (!isActiveCase(row.status as CaseStatus)) throw conflict(`The case is ${row.status}; it cannot be escalated`);
      if (row.escalatedAt) throw conflict('The case is escalated already');
      const nowMs = deps.now();
      const updated = await escalateCase(db(), {
        violationId: row.id,
        actorUserId: a.principal.userId,
        note: `escalated (挂牌督办): ${body.note}`,
        atMs: nowMs,
      });
      if (!updated) throw conflict('The case changed meanwhile; reload it');
      await notifyEscalation(
        { database: deps.database, log: deps.log },
        { ...updated, dueAtMs: updated.dueAt?.getTime() ?? nowMs, timeZone: await schoolTimeZone(db(), row.schoolId) },
        nowMs,
      );
      return c.json({ ...violationJson(updated, nowMs), actions: (await caseTrail(db(), row.id)).map(caseActionJson) });
    },
  );
}
