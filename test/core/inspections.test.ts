// Pure inspection and registry rules: checklist verdicts, the severity of a failed pre-trip check, the check-in
// gate, ISO weeks, completion rates; route approval, bus status, capacity caps by school kind, device silence;
// driver training and insurance in compliance.
import { describe, expect, it } from 'vitest';
import { addMonths, complianceItems } from '../../src/core/compliance';
import {
  checkInGate,
  dailyCheckCompletion,
  inspectionConfig,
  inspectionItems,
  isoWeekStart,
  preTripFailSeverity,
  verdictOf,
  weeklyInspectionCompletion,
  weeksOverlapping,
} from '../../src/core/inspections';
import { CN_2012_INSPECTIONS, CN_2012_REGISTRY } from '../../src/core/presets/cn-2012';
import {
  busRunnable,
  capacityAllowed,
  deviceSilence,
  firstTripSoon,
  isRouteApproved,
  routeApprovalProblems,
} from '../../src/core/registry-rules';

const allOk = () => Object.fromEntries(inspectionItems.map((i) => [i, { ok: true }]));

describe('pre-trip check', () => {
  it('passes only with every item answered and ok', () => {
    expect(verdictOf(allOk())).toEqual({ passed: true, failed: [], missing: [] });
    expect(verdictOf({ ...allOk(), tyres: { ok: false }, brakes: { ok: false } })).toEqual({
      passed: false,
      failed: ['brakes', 'tyres'],
      missing: [],
    });
    const { steering: _s, ...rest } = allOk();
    expect(verdictOf(rest)).toMatchObject({ passed: false, missing: ['steering'] });
  });

  it('takes the worst failed item’s severity from the preset, with school overrides', () => {
    expect(inspectionItems.every((i) => CN_2012_INSPECTIONS.preTripFailSeverity[i] !== undefined)).toBe(true);
    expect(preTripFailSeverity(['firstAidKit'])).toBe('major');
    expect(preTripFailSeverity(['firstAidKit', 'steering'])).toBe('critical');
    const cfg = inspectionConfig({ inspections: { preTripFailSeverity: { firstAidKit: 'minor', brakes: 'bogus' } } });
    expect(preTripFailSeverity(['firstAidKit'], cfg)).toBe('minor');
    expect(cfg.preTripFailSeverity.brakes).toBe('critical');
    expect(CN_2012_INSPECTIONS.preTripFailSeverity.firstAidKit).toBe('major');
  });

  it('gates check-in: a failed latest check blocks; none blocks only when required', () => {
    const base = inspectionConfig({});
    const required = inspectionConfig({ inspections: { preTripRequiredForCheckIn: true } });
    expect(checkInGate(undefined, base)).toEqual({ ok: true });
    expect(checkInGate({ passed: true }, base)).toEqual({ ok: true });
    expect(checkInGate({ passed: false }, base)).toEqual({ ok: false, reason: 'preTripCheckFailed' });
    expect(checkInGate(undefined, required)).toEqual({ ok: false, reason: 'preTripCheckMissing' });
    expect(checkInGate({ passed: true }, required)).toEqual({ ok: true });
  });
});

describe('weeks and completion', () => {
  it('finds the Monday of the ISO week, across months and years', () => {
    expect(isoWeekStart('2026-09-01')).toBe('2026-08-31');
    expect(isoWeekStart('2026-08-31')).toBe('2026-08-31');
    expect(isoWeekStart('2026-09-06')).toBe('2026-08-31');
    expect(isoWeekStart('2027-01-01')).toBe('2026-12-28');
    expect(weeksOverlapping('2026-09-01', '2026-09-30')).toEqual([
      '2026-08-31',
      '2026-09-07',
      '2026-09-14',
      '2026-09-21',
      '2026-09-28',
    ]);
    expect(weeksOverlapping('2026-09-01', '2026-09-01')).toEqual(['2026-08-31']);
  });

  it('counts checked bus-days once however many checks, and inspected bus-weeks', () => {
    const days = [
      { busId: 1, serviceDate: '2026-09-01' },
      { busId: 1, serviceDate: '2026-09-01' },
      { busId: 2, serviceDate: '2026-09-01' },
      { busId: 1, serviceDate: '2026-09-02' },
    ];
    const checks = [
      { busId: 1, serviceDate: '2026-09-01' },
      { busId: 1, serviceDate: '2026-09-01' },
      { busId: 3, serviceDate: '2026-09-01' },
    ];
    expect(dailyCheckCompletion(days, checks)).toEqual({ due: 3, done: 1, rate: 0.3333 });
    expect(dailyCheckCompletion([], checks)).toEqual({ due: 0, done: 0, rate: null });
    const weeks = ['2026-08-31', '2026-09-07'];
    const insp = [
      { busId: 1, weekStart: '2026-08-31' },
      { busId: 1, weekStart: '2026-09-07' },
      { busId: 2, weekStart: '2026-08-24' },
    ];
    expect(weeklyInspectionCompletion([1, 2], weeks, insp)).toEqual({ due: 4, done: 2, rate: 0.5 });
  });
});

describe('registry rules', () => {
  it('a route is approved with approver, number and a date on or before the service date', () => {
    const r = { approvedBy: '区教育局', approvalNumber: 'XC-1', approvedOn: '2026-08-01' };
    expect(routeApprovalProblems(r, '2026-09-01')).toEqual([]);
    expect(isRouteApproved(r, '2026-09-01')).toBe(true);
    expect(routeApprovalProblems({ ...r, approvalNumber: '  ' }, '2026-09-01')).toEqual(['approvalNumber']);
    expect(routeApprovalProblems({ approvedBy: null, approvalNumber: null, approvedOn: null })).toEqual([
      'approvedBy',
      'approvalNumber',
      'approvedOn',
    ]);
    expect(isRouteApproved(r, '2026-07-31')).toBe(false);
    expect(
      isRouteApproved({ ...r, approvedOn: null }, '2026-09-01', { ...CN_2012_REGISTRY, requireRouteApproval: false }),
    ).toBe(true);
  });

  it('only an active bus runs; capacity caps by school kind', () => {
    expect(busRunnable('active')).toBe(true);
    expect(busRunnable('maintenance')).toBe(false);
    expect(busRunnable('retired')).toBe(false);
    expect(capacityAllowed('kindergarten', 45)).toBe(true);
    expect(capacityAllowed('kindergarten', 46)).toBe(false);
    expect(capacityAllowed('primary', 56)).toBe(true);
    expect(capacityAllowed('secondary', 57)).toBe(false);
  });

  it('device silence: none mounted, none heard in 24 h, or fine', () => {
    const now = Date.parse('2026-09-01T06:00:00+08:00');
    const h = 3_600_000;
    expect(deviceSilence([], now)).toBe('noDevice');
    expect(deviceSilence([null], now)).toBe('silent');
    expect(deviceSilence([now - 25 * h], now)).toBe('silent');
    expect(deviceSilence([now - 25 * h, now - 23 * h], now)).toBeUndefined();
    expect(deviceSilence([now - 25 * h], now, { ...CN_2012_REGISTRY, deviceSilentAfterH: 48 })).toBeUndefined();
    expect(firstTripSoon(now + 60 * 60_000, now)).toBe(true);
    expect(firstTripSoon(now + 61 * 60_000, now)).toBe(false);
    expect(firstTripSoon(now - 5 * 60_000, now)).toBe(true);
  });
});

describe('compliance: driver training and insurance', () => {
  const reg = {
    drivers: [
      {
        id: 1,
        schoolId: 1,
        name: 'D',
        licenceValidUntil: null,
        schoolBusEndorsement: true,
        lastAnnualReview: '2026-03-01',
        qualificationCertExpiry: '2030-01-01',
        lastTrainingOn: '2025-09-10',
      },
      {
        id: 2,
        schoolId: 1,
        name: 'E',
        licenceValidUntil: null,
        schoolBusEndorsement: true,
        lastAnnualReview: '2026-03-01',
        qualificationCertExpiry: '2030-01-01',
        lastTrainingOn: null,
      },
    ],
    buses: [
      {
        id: 7,
        schoolId: 1,
        plate: 'B',
        status: 'active',
        signValidUntil: '2030-01-01',
        inspectionValidUntil: '2030-01-01',
        insuranceValidUntil: '2026-10-15',
      },
    ],
    attendants: [],
  };

  it('training expires the day before its anniversary; insurance warns by its own window', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2025-09-10', 12)).toBe('2026-09-10');
    const items = complianceItems(reg, '2026-09-01', 30, { driverTrainingValidMonths: 12, insuranceWarnDays: 60 });
    expect(items.map((i) => [i.kind, i.subjectId, i.status, i.expiresOn])).toEqual([
      ['driverTraining', 1, 'expiring', '2026-09-09'],
      ['busInsurance', 7, 'expiring', '2026-10-15'],
    ]);
    const narrow = complianceItems(reg, '2026-09-01', 30, { driverTrainingValidMonths: 12, insuranceWarnDays: 30 });
    expect(narrow.map((i) => i.kind)).toEqual(['driverTraining']);
    const later = complianceItems(reg, '2026-09-10', 30, { driverTrainingValidMonths: 12, insuranceWarnDays: 30 });
    expect(later.find((i) => i.kind === 'driverTraining')).toMatchObject({ status: 'expired', daysLeft: -1 });
  });
});
