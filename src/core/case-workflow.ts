// The closed loop of a violation case (隐患闭环): open → acknowledged → rectifying → closed, or dismissed with a reason.
import type { Severity } from './events';
import { CN_2012_CASE_DEADLINES } from './presets/cn-2012';

export type CaseStatus = 'open' | 'acknowledged' | 'rectifying' | 'closed' | 'dismissed';

/** Legal moves; closed and dismissed are final. Any state before closure may be dismissed. */
export const caseTransitions: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ['acknowledged', 'dismissed'],
  acknowledged: ['rectifying', 'dismissed'],
  rectifying: ['closed', 'dismissed'],
  closed: [],
  dismissed: [],
};

export const activeCaseStatuses: readonly CaseStatus[] = ['open', 'acknowledged', 'rectifying'];

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return caseTransitions[from].includes(to);
}

export function isActiveCase(status: CaseStatus): boolean {
  return activeCaseStatuses.includes(status);
}

/** Why a route deviation was justified (R3 exemptions). */
export const exemptionReasons = ['trafficControl', 'roadworks', 'disaster', 'badWeather', 'accident'] as const;
export type ExemptionReason = (typeof exemptionReasons)[number];

/** Days to rectify by severity (the preset's case deadlines). */
export const defaultDueDays: Record<Severity, number> = CN_2012_CASE_DEADLINES.dueDays;

/** A case is overdue while it is still active and its due date has passed. */
export function isOverdue(status: CaseStatus, dueAtMs: number | null | undefined, nowMs: number): boolean {
  return dueAtMs != null && dueAtMs < nowMs && isActiveCase(status);
}

/** The stored resolution reason of a dismissal: the exemption code (if any) and the free text. */
export function encodeResolution(reason: string | undefined, exemption: ExemptionReason | undefined): string {
  if (!exemption) return reason ?? '';
  return reason ? `exemption:${exemption}: ${reason}` : `exemption:${exemption}`;
}

export function decodeResolution(stored: string | null): {
  reason: string | null;
  exemptionReason: ExemptionReason | null;
} {
  if (stored == null) return { reason: null, exemptionReason: null };
  const m = /^exemption:(\w+)(?:: ([\s\S]*))?$/.exec(stored);
  if (m && (exemptionReasons as readonly string[]).includes(m[1]!))
    return { exemptionReason: m[1] as ExemptionReason, reason: m[2] ?? null };
  return { reason: stored, exemptionReason: null };
}
