// R10 daily: each school's expired, missing and soon-expiring registry items become (or update) compliance cases.
import { complianceForSchools, syncComplianceViolations, type SchoolZone } from '../store/repos/compliance-repo';
import type { DbOrTx } from '../store/db';

export async function runComplianceExpiries(db: DbOrTx, school: SchoolZone, nowMs: number, warnDays: number) {
  const { today, items } = await complianceForSchools(db, [school], nowMs, warnDays);
  const synced = await syncComplianceViolations(db, school.id, items, nowMs, warnDays);
  return {
    asOf: today[school.id],
    expired: items.filter((i) => i.status === 'expired').length,
    expiring: items.filter((i) => i.status === 'expiring').length,
    missing: items.filter((i) => i.status === 'missing').length,
    ...synced,
  };
}
