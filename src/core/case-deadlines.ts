// Deadlines that bite (隐患整改时限, 挂牌督办): every case is due a number of days after it opens, by severity
// (the preset, overridable per school); a reminder goes out before the due date; a case still active after it
// is escalated. Pure: the job (src/jobs/case-deadlines.ts) supplies the rows and the clock value.
import { isActiveCase, type CaseStatus } from './case-workflow';
import type { Severity } from './events';
import { CN_2012_CASE_DEADLINES } from './presets/cn-2012';
import type { CaseDeadlineConfig } from './presets/types';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 3650;

/** The deadlines of a school: `ruleOverrides.cases.{dueDays,remindBeforeH}.{severity}` over the preset. */
export function caseDeadlineConfig(
  schoolOverrides: Record<string, unknown> | null | undefined,
  base: CaseDeadlineConfig = CN_2012_CASE_DEADLINES,
): CaseDeadlineConfig {
  const cases = schoolOverrides?.cases as Record<string, unknown> | undefined;
  const pick = (field: keyof CaseDeadlineConfig) => {
    const over = (cases?.[field] ?? {}) as Record<string, unknown>;
    const out = { ...base[field] };
    for (const s of ['critical', 'major', 'minor'] as const) if (positive(over[s])) out[s] = over[s];
    return out;
  };
  return { dueDays: pick('dueDays'), remindBeforeH: pick('remindBeforeH') };
}

/** The due date of a case that opened at `openedMs`. */
export function dueAtFor(openedMs: number, severity: Severity, cfg: CaseDeadlineConfig): number {
  return openedMs + cfg.dueDays[severity] * DAY_MS;
}

/** When the reminder for a case due at `dueAtMs` goes out (never before half the time to rectify has passed). */
export function remindAtFor(dueAtMs: number, severity: Severity, cfg: CaseDeadlineConfig): number {
  const leadMs = Math.min(cfg.remindBeforeH[severity] * HOUR_MS, (cfg.dueDays[severity] * DAY_MS) / 2);
  return dueAtMs - leadMs;
}

export interface DeadlineCase {
  status: CaseStatus;
  severity: Severity;
  dueAtMs: number | null;
  remindedAtMs: number | null;
  escalatedAtMs: number | null;
}

/**
 * What the deadline sweep does to a case now: remind its owner (due soon, not reminded yet), escalate it (past
 * due, still active, not escalated yet), or nothing. Closed and dismissed cases are left alone.
 */
export function deadlineStep(
  c: DeadlineCase,
  cfg: CaseDeadlineConfig,
  nowMs: number,
): 'remind' | 'escalate' | undefined {
  if (!isActiveCase(c.status) || c.dueAtMs == null || c.escalatedAtMs != null) return undefined;
  if (c.dueAtMs < nowMs) return 'escalate';
  if (c.remindedAtMs == null && remindAtFor(c.dueAtMs, c.severity, cfg) <= nowMs) return 'remind';
  return undefined;
}
