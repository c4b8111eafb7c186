// Default preset: Decree 617 (2012), the traffic-law implementing rules and GB 24407-2012.
// Overspeed: Decree 617 Art. 35; fatigue: traffic-law implementing rules Art. 62(7); driver credentials: Art. 23-26,
// 45, 47. Durations, fix counts and distances that no regulation fixes are operating defaults.
import type { CaseDeadlineConfig, InspectionConfig, RegistryConfig, RuleConfig } from './types';

export const CN_2012: RuleConfig = {
  overspeed: {
    expresswayLimitKph: 80,
    otherLimitKph: 60,
    hazardLimitKph: 20,
    lowVisibilityLimitKph: 20,
    minDurationS: 10,
    minFixes: 2,
    criticalOverFraction: 0.2,
    maxGapS: 60,
  },
  capacity: {},
  deviation: { corridorM: 100, minDurationS: 30, minFixes: 3, reenterMarginM: 20 },
  stops: {
    radiusM: 50,
    departMarginM: 20,
    missedAfterM: 150,
    inferMinGapS: 10,
    inferMaxGapS: 300,
    inferMaxSpeedKph: 120,
    inferMinSpeedKph: 15,
    brakeMps2: 1.2,
    minDwellS: 8,
    stoppedSpeedKph: 5,
  },
  offStop: { radiusM: 50 },
  riders: { wrongBusSeverity: 'minor', wrongStopSeverity: 'minor', unknownCardSeverity: 'minor' },
  sweep: { confirmWithinMin: 10 },
  fatigue: { maxContinuousDrivingS: 4 * 3600, preWarningS: 3 * 3600 + 45 * 60, restS: 20 * 60, movingSpeedKph: 5 },
  driver: {
    minAgeYears: 25,
    maxAgeYears: 60,
    minLicensedYears: 3,
    seatClassBands: [
      { maxSeats: 9, requiredClass: 'C1' },
      { maxSeats: 19, requiredClass: 'B1' },
      { maxSeats: null, requiredClass: 'A1' },
    ],
    classCovers: {
      A1: ['A1', 'A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4'],
      B1: ['B1', 'C1', 'C2', 'C3', 'C4'],
      C1: ['C1', 'C2', 'C3', 'C4'],
    },
    movingSpeedKph: 5,
    noDriverMinDurationS: 10,
  },
  device: {
    offlineAfterS: 300,
    backfillLagS: 60,
    tamperAlarms: ['gnssAntennaCut', 'gnssAntennaShort', 'powerLost'],
    emergencyAlarms: ['sos'],
  },
  progress: { searchBackM: 60, searchAheadM: 200, searchSpeedKph: 200, localAcceptM: 30, emitEveryS: 5 },
  tripStart: { onRouteM: 100, movingSpeedKph: 5, windowSlackS: 30 * 60 },
  filters: { maxFutureS: 300, maxJumpSpeedKph: 200, jumpMaxGapS: 600, jumpReanchorFixes: 3 },
};

/**
 * Case deadlines: critical 1 day, major 3, minor 7 from the moment the case opens (operating defaults; no
 * regulation fixes them). A school overrides them under `ruleOverrides.cases` (e.g. {"cases":{"dueDays":{"major":2}}}).
 */
export const CN_2012_CASE_DEADLINES: CaseDeadlineConfig = {
  dueDays: { critical: 1, major: 3, minor: 7 },
  remindBeforeH: { critical: 4, major: 24, minor: 24 },
};

/**
 * Inspections (Art. 41: brakes, steering, lights, tyres, emergency exits, seats and belts; plus the extinguisher,
 * first-aid kit, escape hammer, school-bus sign and signal lamps). A failed brake, steering or emergency exit makes
 * the bus unsafe to run (critical); any other failed item is major. Check-in without a check is allowed by default
 * (the reports show the missing checks); a school requires it with {"inspections":{"preTripRequiredForCheckIn":true}}.
 */
export const CN_2012_INSPECTIONS: InspectionConfig = {
  preTripFailSeverity: {
    brakes: 'critical',
    steering: 'critical',
    emergencyExits: 'critical',
    lights: 'major',
    tyres: 'major',
    seatsAndBelts: 'major',
    extinguisher: 'major',
    firstAidKit: 'major',
    escapeHammer: 'major',
    schoolBusSign: 'major',
    signalLamps: 'major',
  },
  preTripRequiredForCheckIn: false,
};

/**
 * Registry facts: driver safety training valid 12 months (operating default); insurance flagged 30 days ahead (R10);
 * routes need approval (Art. 30); a bus whose devices were silent 24 h is flagged (应装未装 / 人为关闭, Art. 21) from
 * 60 minutes before its first trip; capacity caps of GB 24407-2012 (kindergarten 45, primary and secondary 56).
 */
export const CN_2012_REGISTRY: RegistryConfig = {
  driverTrainingValidMonths: 12,
  insuranceWarnDays: 30,
  requireRouteApproval: true,
  deviceSilentAfterH: 24,
  deviceSilenceLeadMin: 60,
  deviceSilentSeverity: 'major',
  maxCapacityBySchoolKind: { kindergarten: 45, primary: 56, secondary: 56, other: 56 },
};
