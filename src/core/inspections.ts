// Inspections (日检、周检、演练), pure: the checklist items, the verdict of a check, the case a failed pre-trip check
// opens, the ISO week an inspection counts for, and the completion rates the reports show.
import type { Severity } from './events';
import { CN_2012_INSPECTIONS } from './presets/cn-2012';
import type { InspectionConfig } from './presets/types';
import { inspectionItems, type InspectionItem } from './inspection-items';

export { inspectionItems, type InspectionItem } from './inspection-items';

export type ItemResults = Partial<Record<string, { ok: boolean; note?: string }>>;

export interface Verdict {
  passed: boolean;
  /** failed items, in checklist order */
  failed: InspectionItem[];
  /** items not answered (a check must answer every item) */
  missing: InspectionItem[];
}

export function verdictOf(items: ItemResults): Verdict {
  const failed = inspectionItems.filter((i) => items[i] && !items[i]!.ok);
  const missing = inspectionItems.filter((i) => !items[i]);
  return { passed: failed.length === 0 && missing.length === 0, failed, missing };
}

const rank: Record<Severity, number> = { critical: 3, major: 2, minor: 1 };

/** The severity of the case a failed check opens: the worst of its failed items (unknown items count as major). */
export function preTripFailSeverity(failed: readonly string[], cfg: InspectionConfig = CN_2012_INSPECTIONS): Severity {
  let worst: Severity = 'minor';
  for (const item of failed) {
    const s = cfg.preTripFailSeverity[item] ?? 'major';
    if (rank[s] > rank[worst]) worst = s;
  }
  return worst;
}

/** A school's inspection config: `ruleOverrides.inspections` over the preset (only well-formed values count). */
export function inspectionConfig(
  schoolOverrides: Record<string, unknown> | null | undefined,
  base: InspectionConfig = CN_2012_INSPECTIONS,
): InspectionConfig {
  const over = (schoolOverrides?.inspections ?? {}) as Record<string, unknown>;
  const sev = (over.preTripFailSeverity ?? {}) as Record<string, unknown>;
  const out: InspectionConfig = { ...base, preTripFailSeverity: { ...base.preTripFailSeverity } };
  for (const [k, v] of Object.entries(sev))
    if (v === 'critical' || v === 'major' || v === 'minor') out.preTripFailSeverity[k] = v;
  if (typeof over.preTripRequiredForCheckIn === 'boolean')
    out.preTripRequiredForCheckIn = over.preTripRequiredForCheckIn;
  return out;
}

/**
 * Whether check-in may go ahead given the bus's latest pre-trip check on the trip's day: a failed latest check
 * blocks; no check blocks only when the school requires one.
 */
export function checkInGate(
  latest: { passed: boolean } | undefined,
  cfg: InspectionConfig,
): { ok: true } | { ok: false; reason: 'preTripCheckFailed' | 'preTripCheckMissing' } {
  if (latest && !latest.passed) return { ok: false, reason: 'preTripCheckFailed' };
  if (!latest && cfg.preTripRequiredForCheckIn) return { ok: false, reason: 'preTripCheckMissing' };
  return { ok: true };
}

const DAY_MS = 86_400_000;
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Monday of the ISO week of a date (YYYY-MM-DD). */
export function isoWeekStart(date: string): string {
  const ms = dayMs(date);
  const dow = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return dayText(ms - dow * DAY_MS);
}

/** The Mondays of the ISO weeks that overlap [startDate, endDate]. */
export function weeksOverlapping(startDate: string, endDate: string): string[] {
  const out: string[] = [];
  for (let ms = dayMs(isoWeekStart(startDate)); ms <= dayMs(endDate); ms += 7 * DAY_MS) out.push(dayText(ms));
  return out;
}

export interface Completion {
  /** checks (or inspections) that were due */
  due: number;
  /** of those, done */
  done: number;
  /** done / due, 4 decimals; null when nothing was due */
  rate: number | null;
}

const completion = (due: number, done: number): Completion => ({
  due,
  done,
  rate: due > 0 ? Math.round((done / due) * 10_000) / 10_000 : null,
});

/**
 * Daily checks: every bus-day with a trip that ran or was due (cancelled trips left out) needs one pre-trip check
 * of that bus on that day, passed or not.
 */
export function dailyCheckCompletion(
  busDays: readonly { busId: number; serviceDate: string }[],
  checks: readonly { busId: number; serviceDate: string }[],
): Completion {
  const due = new Set(busDays.map((d) => `${d.busId}:${d.serviceDate}`));
  const done = new Set(checks.map((c) => `${c.busId}:${c.serviceDate}`));
  let n = 0;
  for (const k of due) if (done.has(k)) n++;
  return completion(due.size, n);
}

/** Weekly inspections: every bus in service needs one inspection in each ISO week that overlaps the period. */
export function weeklyInspectionCompletion(
  busIds: readonly number[],
  weeks: readonly string[],
  inspections: readonly { busId: number; weekStart: string }[],
): Completion {
  const done = new Set(inspections.map((i) => `${i.busId}:${i.weekStart}`));
  let n = 0;
  for (const b of busIds) for (const w of weeks) if (done.has(`${b}:${w}`)) n++;
  return completion(busIds.length * weeks.length, n);
}
