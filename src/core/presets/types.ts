// Rule configuration: every number a rule uses. Presets supply the defaults; schools, routes and
// zones override parts of it with mergeConfig.

export interface SeatClassBand {
  /** inclusive upper bound of seats for this band; null = no upper bound */
  maxSeats: number | null;
  requiredClass: string;
}

export interface RuleConfig {
  overspeed: {
    expresswayLimitKph: number;
    otherLimitKph: number;
    hazardLimitKph: number;
    lowVisibilityLimitKph: number;
    minDurationS: number;
    minFixes: number;
    /** fraction over the limit at which severity becomes critical (0.2 = 20 %) */
    criticalOverFraction: number;
    /** a fix gap longer than this ends the sustained run (the episode closes at the last fix over) */
    maxGapS: number;
  };
  capacity: Record<string, never>;
  deviation: {
    corridorM: number;
    minDurationS: number;
    minFixes: number;
    /** re-enter threshold = corridorM − reenterMarginM: an open episode closes only inside it */
    reenterMarginM: number;
  };
  stops: {
    radiusM: number;
    /** leave threshold = radius + departMarginM; arrival needs ≤ radius */
    departMarginM: number;
    /** a stop not arrived at is missed once progress passes it by this much */
    missedAfterM: number;
    /** fixes at most this far apart are dense: a stop with no fix inside its radius was not reached */
    inferMinGapS: number;
    /** fixes further apart than this are too far apart to say what happened at the stops between them */
    inferMaxGapS: number;
    /** two fixes implying a faster average along the route are not used to infer passages */
    inferMaxSpeedKph: number;
    /** the cruise speed assumed between two sparse fixes is at least this */
    inferMinSpeedKph: number;
    /** acceleration and braking assumed between two sparse fixes */
    brakeMps2: number;
    /** between two sparse fixes, a stop is inferred only when the spare time allows at least this dwell */
    minDwellS: number;
    /** a visit to a stop whose fixes inside the radius were all faster than this was a drive-through */
    stoppedSpeedKph: number;
  };
  offStop: { radiusM: number };
  /** who gets on and off where (attendant records checked against the trip's riders) */
  riders: {
    /** a child who is not a rider of this trip's route boarded it */
    wrongBusSeverity: 'critical' | 'major' | 'minor';
    /** a rider got on or off at a stop that is not theirs (the school's stops excepted) */
    wrongStopSeverity: 'critical' | 'major' | 'minor';
    /** a card that belongs to no student of the school was read */
    unknownCardSeverity: 'critical' | 'major' | 'minor';
  };
  /** R9 end-of-trip sweep: minutes after the arrival at the final stop for the attendant's "no child left aboard" */
  sweep: { confirmWithinMin: number };
  fatigue: {
    maxContinuousDrivingS: number;
    preWarningS: number;
    restS: number;
    movingSpeedKph: number;
  };
  driver: {
    minAgeYears: number;
    maxAgeYears: number;
    minLicensedYears: number;
    seatClassBands: SeatClassBand[];
    /** licence class → classes it also permits */
    classCovers: Record<string, string[]>;
    movingSpeedKph: number;
    /** a moving bus with no driver on duty must be sustained this long before it counts */
    noDriverMinDurationS: number;
  };
  device: {
    offlineAfterS: number;
    /**
     * A fix whose device time is at least this far behind its receipt time was stored on the device and uploaded
     * later (phones and partner systems forward after a gap): treated as blind-area back-fill, like JT/T 808
     * 0x0704 type 1 — it marks an offline gap as coverage loss and does not end it at its own time.
     */
    backfillLagS: number;
    tamperAlarms: string[];
    emergencyAlarms: string[];
  };
  progress: {
    /** search window behind the previous progress */
    searchBackM: number;
    /** base search window ahead of the previous progress */
    searchAheadM: number;
    /** ahead window grows with elapsed time at this speed */
    searchSpeedKph: number;
    /** a local match closer than this is accepted without a global search */
    localAcceptM: number;
    /** trip.progress is emitted at most once per this many seconds of device time (0 = every fix) */
    emitEveryS: number;
  };
  tripStart: {
    /** auto start: bus within this distance of its path… */
    onRouteM: number;
    /** …moving at least this fast… */
    movingSpeedKph: number;
    /** …inside the planned window widened by this much on each side */
    windowSlackS: number;
  };
  filters: {
    maxFutureS: number;
    maxJumpSpeedKph: number;
    /** the jump test is skipped when the fixes are further apart than this */
    jumpMaxGapS: number;
    /** this many consecutive rejected fixes that agree with each other re-anchor the jump test */
    jumpReanchorFixes: number;
  };
}

/** Case deadlines (隐患整改时限): days to rectify by severity from the moment a case opens, and the reminder lead. */
export interface CaseDeadlineConfig {
  dueDays: { critical: number; major: number; minor: number };
  /** a reminder goes out this many hours before the due date */
  remindBeforeH: { critical: number; major: number; minor: number };
}

export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export type ConfigOverride = DeepPartial<RuleConfig>;

export type SeverityLevel = 'critical' | 'major' | 'minor';

/** Inspections (日检、周检): what a failed pre-trip item weighs, and whether check-in needs a passed check first. */
export interface InspectionConfig {
  /** severity of the `preTripCheckFailed` case by failed item (the worst failed item decides) */
  preTripFailSeverity: Record<string, SeverityLevel>;
  /** check-in is refused until the bus has a pre-trip check on the trip's day (a failed latest check always blocks) */
  preTripRequiredForCheckIn: boolean;
}

/** Registry facts: validity of driver training, insurance warning, route approval, device silence, capacity caps. */
export interface RegistryConfig {
  /** a driver's safety training is valid this many months after the latest session */
  driverTrainingValidMonths: number;
  /** vehicle insurance is flagged this many days before it ends */
  insuranceWarnDays: number;
  /** trips are refused on a route without approval (approver, number and date) */
  requireRouteApproval: boolean;
  /** a bus with no device heard for this many hours is flagged before its first trip of the day */
  deviceSilentAfterH: number;
  /** …this many minutes before that trip's planned start (the job looks this far ahead) */
  deviceSilenceLeadMin: number;
  /** severity of the `deviceSilent` case */
  deviceSilentSeverity: SeverityLevel;
  /** approved capacity caps by school kind (GB 24407: kindergarten 45, primary and secondary 56) */
  maxCapacityBySchoolKind: Record<string, number>;
}
