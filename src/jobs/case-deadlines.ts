// Deadlines that bite (run every minute): every active case without a due date gets one by severity (from the
// moment it opened; per-school override), a reminder goes to its owner (or the school's managers) before the due
// date, and a case still active after it is escalated (挂牌督办): flagged on the case, entered in its trail, and
// notified to the supervisors overseeing the school and to its managers, once.
import { caseDeadlineConfig, deadlineStep, dueAtFor } from '../core/case-deadlines';
import type { CaseStatus } from '../core/case-workflow';
import { zoneOffsetMin } from '../core/time-zone';
import type { LivePublisher } from '../live/messages';
import { schoolViolationsTopic } from '../live/topics';
import type { Logger } from '../logging';
import { kindLabel } from '../reports/labels';
import type { Database } from '../store/db';
import {
  assignDueDate,
  casesDueBy,
  casesWithoutDueDate,
  claimReminder,
  escalateCase,
  insertStaffNotices,
  type NewStaffNotice,
  schoolOverrides,
  schoolStaff,
} from '../store/repos/case-deadlines-repo';

/** Rows looked at per run and step (the rest waits for the next minute). */
export const CASE_DEADLINE_BATCH = 500;

/** A case event for the live channel (the school's violations topic). */
export interface CaseDeadlineEvent {
  type: 'case.dueSoon' | 'case.escalated';
  /** null: a district-level case (not published on a school's topic) */
  schoolId: number | null;
  violationId: number;
  kind: string;
  severity: string;
  dueAt: string;
  timeMs: number;
}

export interface CaseDeadlineDeps {
  database: Database;
  log: Logger;
  publishCaseEvent?: (e: CaseDeadlineEvent) => unknown;
}

/** Publishes the event as a `violation` message on the school's violations topic (`school:<id>:violations`). */
export function liveCaseEventPublisher(publisher: LivePublisher): (e: CaseDeadlineEvent) => void {
  return (e) => {
    if (e.schoolId != null) publisher.publish(schoolViolationsTopic(e.schoolId), 'violation', { event: e.type, ...e });
  };
}

export interface CaseDeadlineResult {
  dueDatesSet: number;
  reminded: number;
  escalated: number[];
}

/** 2026-09-02 08:00 in the school's zone. */
const local = (ms: number, timeZone: string | null) =>
  new Date(ms + zoneOffsetMin(timeZone ?? 'Asia/Shanghai', ms) * 60_000).toISOString().slice(0, 16).replace('T', ' ');

/** The notices of an escalation (or reminder) for its recipients. */
export function caseNotices(
  e: {
    type: CaseDeadlineEvent['type'];
    violationId: number;
    kind: string;
    dueAtMs: number;
    timeZone: string | null;
  },
  userIds: number[],
): NewStaffNotice[] {
  const kindZh = kindLabel(e.kind, 'zh-CN');
  const kindEn = kindLabel(e.kind, 'en');
  const escalated = e.type === 'case.escalated';
  return [...new Set(userIds)].map((userId) => ({
    userId,
    kind: escalated ? 'caseEscalated' : 'caseDueSoon',
    violationId: e.violationId,
    dedupeKey: `${escalated ? 'caseEscalated' : 'caseDueSoon'}:${e.violationId}:${userId}`,
    payload: { violationId: e.violationId, kind: e.kind, dueAt: new Date(e.dueAtMs).toISOString() },
    textZh: escalated
      ? `隐患案件 #${e.violationId}（${kindZh}）已超过整改期限（${local(e.dueAtMs, e.timeZone)}），已挂牌督办。`
      : `隐患案件 #${e.violationId}（${kindZh}）将于 ${local(e.dueAtMs, e.timeZone)} 到期，请及时整改。`,
    textEn: escalated
      ? `Case #${e.violationId} (${kindEn}) passed its due date (${new Date(e.dueAtMs).toISOString()}) and is escalated.`
      : `Case #${e.violationId} (${kindEn}) is due ${new Date(e.dueAtMs).toISOString()}.`,
  }));
}

async function publish(deps: CaseDeadlineDeps, e: CaseDeadlineEvent) {
  try {
    await deps.publishCaseEvent?.(e);
  } catch (err) {
    deps.log.error('case event not published on the live channel', { violationId: e.violationId, error: String(err) });
  }
}

/** Tells the recipients of an escalation: supervisors and managers of the school (and the owner). */
export async function notifyEscalation(
  deps: CaseDeadlineDeps,
  c: {
    id: number;
    schoolId: number | null;
    kind: string;
    severity: string;
    ownerUserId: number | null;
    dueAtMs: number;
    timeZone: string | null;
  },
  nowMs: number,
): Promise<void> {
  const staff = await schoolStaff(deps.database.db, c.schoolId);
  const to = [...staff.supervisors, ...staff.managers, ...(c.ownerUserId != null ? [c.ownerUserId] : [])];
  await insertStaffNotices(
    deps.database.db,
    caseNotices(
      { type: 'case.escalated', violationId: c.id, kind: c.kind, dueAtMs: c.dueAtMs, timeZone: c.timeZone },
      to,
    ),
  );
  await publish(deps, {
    type: 'case.escalated',
    schoolId: c.schoolId,
    violationId: c.id,
    kind: c.kind,
    severity: c.severity,
    dueAt: new Date(c.dueAtMs).toISOString(),
    timeMs: nowMs,
  });
}

export async function runCaseDeadlines(deps: CaseDeadlineDeps, nowMs: number): Promise<CaseDeadlineResult> {
  const db = deps.database.db;
  const out: CaseDeadlineResult = { dueDatesSet: 0, reminded: 0, escalated: [] };

  // 1. A due date for every case that has none: the time it opened (its start) plus the days for its severity. A
  //    backlog from before deadlines existed gets its due date the same way, so what is long overdue escalates.
  for (const c of await casesWithoutDueDate(db, CASE_DEADLINE_BATCH)) {
    const cfg = caseDeadlineConfig(c.schoolRuleOverrides);
    if (await assignDueDate(db, c.id, dueAtFor(c.startedAt.getTime(), c.severity, cfg), nowMs)) out.dueDatesSet++;
  }

  // 2. Reminders and escalations of cases due within the longest reminder lead of any school.
  const leadMs = Math.max(
    ...[{}, ...(await schoolOverrides(db))].map((o) => {
      const cfg = caseDeadlineConfig(o);
      return Math.max(...Object.values(cfg.remindBeforeH)) * 3_600_000;
    }),
  );
  for (const c of await casesDueBy(db, nowMs + leadMs, CASE_DEADLINE_BATCH)) {
    const cfg = caseDeadlineConfig(c.schoolRuleOverrides);
    const step = deadlineStep(
      {
        status: c.status as CaseStatus,
        severity: c.severity,
        dueAtMs: c.dueAt!.getTime(),
        remindedAtMs: c.remindedAt?.getTime() ?? null,
        escalatedAtMs: c.escalatedAt?.getTime() ?? null,
      },
      cfg,
      nowMs,
    );
    try {
      const dueAtMs = c.dueAt!.getTime();
      if (step === 'remind' && (await claimReminder(db, c.id, nowMs))) {
        const to = c.ownerUserId != null ? [c.ownerUserId] : (await schoolStaff(db, c.schoolId)).managers;
        await insertStaffNotices(
          db,
          caseNotices({ type: 'case.dueSoon', violationId: c.id, kind: c.kind, dueAtMs, timeZone: c.timeZone }, to),
        );
        await publish(deps, {
          type: 'case.dueSoon',
          schoolId: c.schoolId,
          violationId: c.id,
          kind: c.kind,
          severity: c.severity,
          dueAt: c.dueAt!.toISOString(),
          timeMs: nowMs,
        });
        out.reminded++;
      }
      if (step === 'escalate') {
        const row = await escalateCase(db, {
          violationId: c.id,
          actorUserId: null,
          note: `overdue since ${c.dueAt!.toISOString()}: escalated (挂牌督办)`,
          atMs: nowMs,
        });
        if (!row) continue;
        out.escalated.push(c.id);
        deps.log.warn('case overdue: escalated', { violationId: c.id, schoolId: c.schoolId, kind: c.kind });
        await notifyEscalation(deps, { ...c, dueAtMs }, nowMs);
      }
    } catch (err) {
      deps.log.error('case deadline step failed', { violationId: c.id, error: String(err) });
    }
  }
  return out;
}
