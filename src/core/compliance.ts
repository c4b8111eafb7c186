// R10: registry dates that have expired or expire soon (pure: the local date is passed in).

export const complianceItemKinds = [
  'driverLicence',
  'schoolBusEndorsement',
  'annualReview',
  'qualificationCertificate',
  'busSign',
  'busInspection',
  'attendantTraining',
  'driverTraining',
  'busInsurance',
] as const;
export type ComplianceItemKind = (typeof complianceItemKinds)[number];
export type ComplianceStatus = 'expired' | 'expiring' | 'missing';

export interface ComplianceItem {
  kind: ComplianceItemKind;
  subjectType: 'driver' | 'bus' | 'attendant';
  subjectId: number;
  subjectName: string;
  schoolId: number;
  /** YYYY-MM-DD, the last valid day; null when the credential is missing altogether. */
  expiresOn: string | null;
  /** Days from the local date to expiresOn (negative once expired). */
  daysLeft: number | null;
  status: ComplianceStatus;
}

export interface ComplianceDriver {
  id: number;
  schoolId: number;
  name: string;
  licenceValidUntil: string | null;
  schoolBusEndorsement: boolean;
  lastAnnualReview: string | null;
  qualificationCertExpiry: string | null;
  /** Date of the latest safety training session on record (none: not flagged, like attendant training). */
  lastTrainingOn?: string | null;
}
export interface ComplianceBus {
  id: number;
  schoolId: number;
  plate: string;
  status: string;
  signValidUntil: string | null;
  inspectionValidUntil: string | null;
  insuranceValidUntil?: string | null;
}
export interface ComplianceAttendant {
  id: number;
  schoolId: number;
  name: string;
  trainingValidUntil: string | null;
}

export interface ComplianceRegistry {
  drivers: ComplianceDriver[];
  buses: ComplianceBus[];
  attendants: ComplianceAttendant[];
}

const dayMs = 86_400_000;
const dayNumber = (d: string) => Math.round(Date.parse(`${d}T00:00:00Z`) / dayMs);

export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** The date one year after `date` (the annual review falls due then; 29 Feb → 28 Feb). */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y! + years, m! - 1, d!));
  if (t.getUTCMonth() !== m! - 1) t.setUTCDate(0);
  return t.toISOString().slice(0, 10);
}

/** Per-item numbers from the preset's registry section (src/core/presets/cn-2012.ts CN_2012_REGISTRY). */
export interface ComplianceRules {
  /** driver training is valid this many months after the latest session */
  driverTrainingValidMonths: number;
  /** insurance is flagged this many days ahead (instead of warnDays) */
  insuranceWarnDays: number;
}

/** The date `months` months after `date`, clamped to the month's last day (31 Jan + 1 → 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y!, m! - 1 + months, 1));
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(d!, last));
  return t.toISOString().slice(0, 10);
}

/**
 * Everything expired (the last valid day is before `today`), expiring within `warnDays` (inclusive), or missing
 * (no school-bus endorsement, no annual review on record). Sorted by expiry, missing first.
 */
export function complianceItems(
  reg: ComplianceRegistry,
  today: string,
  warnDays = 30,
  rules: ComplianceRules = { driverTrainingValidMonths: 12, insuranceWarnDays: 30 },
): ComplianceItem[] {
  const out: ComplianceItem[] = [];
  const check = (
    base: Omit<ComplianceItem, 'expiresOn' | 'daysLeft' | 'status'>,
    expiresOn: string | null,
    missingIfNull: boolean,
    warn = warnDays,
  ) => {
    if (expiresOn == null) {
      if (missingIfNull) out.push({ ...base, expiresOn: null, daysLeft: null, status: 'missing' });
      return;
    }
    const daysLeft = daysBetween(today, expiresOn);
    if (daysLeft < 0) out.push({ ...base, expiresOn, daysLeft, status: 'expired' });
    else if (daysLeft <= warn) out.push({ ...base, expiresOn, daysLeft, status: 'expiring' });
  };
  for (const d of reg.drivers) {
    const base = { subjectType: 'driver' as const, subjectId: d.id, subjectName: d.name, schoolId: d.schoolId };
    check({ ...base, kind: 'driverLicence' }, d.licenceValidUntil, false);
    if (!d.schoolBusEndorsement)
      out.push({ ...base, kind: 'schoolBusEndorsement', expiresOn: null, daysLeft: null, status: 'missing' });
    // The review is due a year after the last one; the day before that is the last valid day.
    check(
      { ...base, kind: 'annualReview' },
      d.lastAnnualReview ? addDays(addYears(d.lastAnnualReview, 1), -1) : null,
      true,
    );
    check({ ...base, kind: 'qualificationCertificate' }, d.qualificationCertExpiry, true);
    // Training is valid N months after the latest session; the day before is the last valid day.
    check(
      { ...base, kind: 'driverTraining' },
      d.lastTrainingOn ? addDays(addMonths(d.lastTrainingOn, rules.driverTrainingValidMonths), -1) : null,
      false,
    );
  }
  for (const b of reg.buses) {
    if (b.status === 'retired') continue;
    const base = { subjectType: 'bus' as const, subjectId: b.id, subjectName: b.plate, schoolId: b.schoolId };
    check({ ...base, kind: 'busSign' }, b.signValidUntil, true);
    check({ ...base, kind: 'busInspection' }, b.inspectionValidUntil, true);
    check({ ...base, kind: 'busInsurance' }, b.insuranceValidUntil ?? null, false, rules.insuranceWarnDays);
  }
  for (const a of reg.attendants) {
    check(
      {
        kind: 'attendantTraining',
        subjectType: 'attendant',
        subjectId: a.id,
        subjectName: a.name,
        schoolId: a.schoolId,
      },
      a.trainingValidUntil,
      false,
    );
  }
  return out.sort(
    (x, y) =>
      (x.daysLeft ?? -Infinity) - (y.daysLeft ?? -Infinity) ||
      x.kind.localeCompare(y.kind) ||
      x.subjectId - y.subjectId,
  );
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

/** R10: warn this many days ahead (cn-2012 default). */
export const defaultComplianceWarnDays = 30;
