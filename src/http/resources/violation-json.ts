// The JSON of a violation as managers see it: the row, its case state and the overdue flag.
import { decodeResolution, isOverdue, type CaseStatus } from '../../core/case-workflow';
import type { CaseActionRow, ViolationRow } from '../../store/repos/violations-repo';

export function violationJson(row: ViolationRow, nowMs: number) {
  const { reason, exemptionReason } = decodeResolution(row.resolutionReason);
  return {
    ...row,
    resolutionReason: reason,
    exemptionReason,
    overdue: isOverdue(row.status as CaseStatus, row.dueAt?.getTime(), nowMs),
    escalated: row.escalatedAt != null,
  };
}

export function caseActionJson(a: CaseActionRow & { actorName?: string | null }) {
  return {
    id: a.id,
    violationId: a.violationId,
    actorUserId: a.actorUserId,
    actorName: a.actorName ?? null,
    action: a.action,
    fromStatus: a.fromStatus,
    toStatus: a.toStatus,
    note: a.note,
    at: a.at,
  };
}
