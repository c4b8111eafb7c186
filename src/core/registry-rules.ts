// Registry facts that gate planning and check-in (pure): route approval (Art. 30), bus status, the capacity cap of
// the school's kind (GB 24407), and a bus whose devices went silent (应装未装 / 人为关闭, Art. 21).
import { CN_2012_REGISTRY } from './presets/cn-2012';
import type { RegistryConfig } from './presets/types';

export interface RouteApproval {
  approvedBy: string | null;
  approvalNumber: string | null;
  approvedOn: string | null;
}

/** The approval fields a route lacks (empty: approved); an approval dated after the service date does not count yet. */
export function routeApprovalProblems(r: RouteApproval, serviceDate?: string): string[] {
  const out: string[] = [];
  if (!r.approvedBy?.trim()) out.push('approvedBy');
  if (!r.approvalNumber?.trim()) out.push('approvalNumber');
  if (!r.approvedOn) out.push('approvedOn');
  else if (serviceDate && r.approvedOn > serviceDate) out.push('approvedOn');
  return out;
}

export function isRouteApproved(
  r: RouteApproval,
  serviceDate?: string,
  cfg: RegistryConfig = CN_2012_REGISTRY,
): boolean {
  return !cfg.requireRouteApproval || routeApprovalProblems(r, serviceDate).length === 0;
}

/** Only a bus in service runs trips: one in maintenance or retired is refused at planning and check-in. */
export function busRunnable(status: string): boolean {
  return status === 'active';
}

/** The approved-capacity cap of a school's buses, by the school's kind. */
export function capacityCap(schoolKind: string, cfg: RegistryConfig = CN_2012_REGISTRY): number | undefined {
  return cfg.maxCapacityBySchoolKind[schoolKind];
}

/** Whether a bus's approved capacity is allowed at a school of this kind. */
export function capacityAllowed(schoolKind: string, approvedCapacity: number, cfg: RegistryConfig = CN_2012_REGISTRY) {
  const cap = capacityCap(schoolKind, cfg);
  return cap === undefined || approvedCapacity <= cap;
}

export type SilenceReason = 'noDevice' | 'silent';

/**
 * Before a bus's first trip of the day: no device mounted (应装未装), or none heard within `deviceSilentAfterH`
 * hours (人为关闭 or broken). Undefined when some device was heard recently.
 */
export function deviceSilence(
  lastSeenMs: readonly (number | null)[],
  nowMs: number,
  cfg: RegistryConfig = CN_2012_REGISTRY,
): SilenceReason | undefined {
  if (lastSeenMs.length === 0) return 'noDevice';
  const windowMs = cfg.deviceSilentAfterH * 3_600_000;
  return lastSeenMs.some((t) => t != null && t > nowMs - windowMs && t <= nowMs + 300_000) ? undefined : 'silent';
}

/** Whether a bus's first trip of the day is within the look-ahead (or already due and not started). */
export function firstTripSoon(plannedStartMs: number, nowMs: number, cfg: RegistryConfig = CN_2012_REGISTRY): boolean {
  return plannedStartMs - nowMs <= cfg.deviceSilenceLeadMin * 60_000;
}
