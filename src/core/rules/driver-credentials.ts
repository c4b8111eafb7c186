// R6 driver credentials at trip start and on every driver-card event, and "moving with no driver
// on duty". One driverCredentials episode per failing sign-on (it closes when a valid driver signs
// on or the trip ends); one noDriver episode per run of moving without a driver.
import type { DriverRecord, TripContext } from '../context';
import { isDate, localDate, yearsBetween } from '../dates';
import { closeEpisode, type EventSink, openEpisode } from '../episodes';
import type { Episode } from '../events';
import type { FixFrame } from '../frame';
import type { DriverCardInput } from '../inputs';
import type { RuleConfig } from '../presets/types';

/** Why a driver fails R6 (the attendant page words each one: src/pages/attendant/strings.ts `reason.<code>`). */
export const credentialFailures = [
  'unknown_driver',
  'card_read_failed',
  'certificate_expired',
  'no_school_bus_endorsement',
  'age_out_of_range',
  'licensed_too_recently',
  'licence_class_mismatch',
  'licence_expired',
  'annual_review_overdue',
  'not_assigned_driver',
  'no_driver_assigned',
] as const;
export type CredentialFailure = (typeof credentialFailures)[number];

export interface DriverState {
  /** roster id of the driver on duty, or null */
  onDutyId: string | null;
  /** false once a card was removed and none inserted */
  onDuty: boolean;
  credentials: Episode | null;
  noDriver: Episode | null;
  /** start of the current moving-without-driver run */
  noDriverSinceMs: number | null;
  /**
   * A card read before the trip started (the usual sign-on order): kept so the trip-start check uses what the card
   * said (its certificate expiry, a failed read, an unknown card). Absent in older checkpoints.
   */
  signOnCard?: SignOnCard | null;
}

export interface SignOnCard {
  timeMs: number;
  driverId: string | null;
  readFailed: boolean;
  driverName: string | null;
  certificateNo: string | null;
  certificateExpiry: string | null;
}

export function initialDriver(): DriverState {
  return { onDutyId: null, onDuty: false, credentials: null, noDriver: null, noDriverSinceMs: null };
}

export function requiredLicenceClass(seats: number, cfg: RuleConfig['driver']): string | null {
  for (const band of cfg.seatClassBands)
    if (band.maxSeats === null || seats <= band.maxSeats) return band.requiredClass;
  return null;
}

/** Pure check of one roster record against the bus and the date. */
export function checkDriver(
  driver: DriverRecord,
  ctx: TripContext,
  atMs: number,
  cardExpiry?: string,
): CredentialFailure[] {
  const cfg = ctx.config.driver;
  const today = localDate(atMs, ctx.utcOffsetMin ?? 480);
  const failures: CredentialFailure[] = [];
  const expiry = isDate(cardExpiry) ? cardExpiry : driver.qualificationExpiry;
  if (!isDate(expiry) || expiry < today) failures.push('certificate_expired');
  if (!driver.schoolBusEndorsement) failures.push('no_school_bus_endorsement');
  if (!isDate(driver.birthDate)) failures.push('age_out_of_range');
  else {
    const age = yearsBetween(driver.birthDate, today);
    if (age < cfg.minAgeYears || age > cfg.maxAgeYears) failures.push('age_out_of_range');
  }
  if (!isDate(driver.licensedSince) || yearsBetween(driver.licensedSince, today) < cfg.minLicensedYears)
    failures.push('licensed_too_recently');
  // A driver without a valid driving licence holds no credential at all (the registry may not record its validity:
  // then R10 does not flag it either, and only a recorded date that has passed fails).
  if (isDate(driver.licenceValidUntil) && driver.licenceValidUntil < today) failures.push('licence_expired');
  const required = requiredLicenceClass(ctx.bus.seats, cfg);
  if (required) {
    const held = driver.licenceClass ?? '';
    const covers = cfg.classCovers[held] ?? [held];
    if (!covers.includes(required)) failures.push('licence_class_mismatch');
  }
  if (!isDate(driver.annualReviewDue) || driver.annualReviewDue < today) failures.push('annual_review_overdue');
  if (ctx.assignedDriverId !== undefined && driver.id !== ctx.assignedDriverId) failures.push('not_assigned_driver');
  return failures;
}

export function findDriver(ctx: TripContext, card: DriverCardInput): DriverRecord | undefined {
  const roster = ctx.drivers;
  if (card.driverId) return roster.find((d) => d.id === card.driverId);
  if (card.certificateNo) {
    const byCert = roster.find((d) => d.qualificationCertificateNo === card.certificateNo);
    if (byCert) return byCert;
  }
  if (card.idCardNo) {
    const byId = roster.find((d) => d.idCardNo === card.idCardNo);
    if (byId) return byId;
  }
  return undefined;
}

function report(
  st: DriverState,
  failures: CredentialFailure[],
  driverId: string | null,
  timeMs: number,
  trigger: string,
  sink: EventSink,
  extra: Record<string, string | null> = {},
): DriverState {
  let credentials = st.credentials;
  if (credentials) {
    closeEpisode(sink, credentials, timeMs, timeMs);
    credentials = null;
  }
  if (failures.length > 0) {
    credentials = openEpisode(sink, {
      kind: 'driverCredentials',
      severity: 'critical',
      startMs: timeMs,
      timeMs,
      discriminator: trigger === 'tripStart' ? undefined : 'card',
      evidence: { failures, driverId, trigger, ...extra },
    });
  }
  return { ...st, credentials };
}

/** At trip start: the assigned driver is presumed on duty until a card event says otherwise. */
export function driverOnTripStart(st: DriverState, timeMs: number, ctx: TripContext, sink: EventSink): DriverState {
  const assigned = ctx.assignedDriverId;
  const card = st.signOnCard;
  if (st.onDuty && card) {
    // The card read before the start is checked now, with everything it carried.
    const rec = card.driverId !== null ? ctx.drivers.find((d) => d.id === card.driverId) : undefined;
    const failures: CredentialFailure[] = card.readFailed
      ? ['card_read_failed']
      : rec
        ? checkDriver(rec, ctx, timeMs, card.certificateExpiry ?? undefined)
        : ['unknown_driver'];
    return report({ ...st, signOnCard: null }, failures, card.driverId, timeMs, 'tripStart', sink, {
      driverName: card.driverName,
      certificateNo: card.certificateNo,
      cardReadMs: String(card.timeMs),
    });
  }
  if (st.onDuty && st.onDutyId) {
    const rec = ctx.drivers.find((d) => d.id === st.onDutyId);
    return report(st, rec ? checkDriver(rec, ctx, timeMs) : ['unknown_driver'], st.onDutyId, timeMs, 'tripStart', sink);
  }
  if (assigned === undefined)
    return report({ ...st, onDuty: false, onDutyId: null }, ['no_driver_assigned'], null, timeMs, 'tripStart', sink);
  const rec = ctx.drivers.find((d) => d.id === assigned);
  const next: DriverState = { ...st, onDuty: true, onDutyId: assigned };
  return report(next, rec ? checkDriver(rec, ctx, timeMs) : ['unknown_driver'], assigned, timeMs, 'tripStart', sink);
}

export function driverOnCard(
  st: DriverState,
  card: DriverCardInput,
  ctx: TripContext,
  sink: EventSink,
  tripActive: boolean,
): DriverState {
  const t = card.timeMs;
  if (!card.inserted) {
    return { ...st, onDuty: false, onDutyId: null, signOnCard: null };
  }
  const rec = card.readResult !== undefined && card.readResult !== 0 ? undefined : findDriver(ctx, card);
  const next: DriverState = { ...st, onDuty: true, onDutyId: rec?.id ?? null };
  let failures: CredentialFailure[];
  if (card.readResult !== undefined && card.readResult !== 0) failures = ['card_read_failed'];
  else if (!rec) failures = ['unknown_driver'];
  else failures = checkDriver(rec, ctx, t, card.certificateExpiry);
  // Before the trip starts the duty and the card are recorded; the trip-start check reports them.
  if (!tripActive) {
    const readFailed = card.readResult !== undefined && card.readResult !== 0;
    return {
      ...next,
      signOnCard: {
        timeMs: t,
        driverId: rec?.id ?? null,
        readFailed,
        driverName: card.driverName ?? null,
        certificateNo: card.certificateNo ?? null,
        certificateExpiry: isDate(card.certificateExpiry) ? card.certificateExpiry : null,
      },
    };
  }
  return report(next, failures, rec?.id ?? null, t, 'driverCard', sink, {
    driverName: card.driverName ?? null,
    certificateNo: card.certificateNo ?? null,
  });
}

export function noDriverOnFix(st: DriverState, frame: FixFrame, ctx: TripContext, sink: EventSink): DriverState {
  const cfg = ctx.config.driver;
  const moving = frame.speedKph !== null && frame.speedKph > cfg.movingSpeedKph;
  const t = frame.timeMs;
  if (st.onDuty) {
    if (!st.noDriver && st.noDriverSinceMs === null) return st;
    if (st.noDriver) closeEpisode(sink, st.noDriver, t, t, frame.position);
    return { ...st, noDriver: null, noDriverSinceMs: null };
  }
  if (!moving) {
    // a stop without a driver keeps an open episode open, but drops a run that never qualified
    return !st.noDriver && st.noDriverSinceMs !== null ? { ...st, noDriverSinceMs: null } : st;
  }
  if (st.noDriver) return st;
  const since = st.noDriverSinceMs ?? t;
  if (t - since < cfg.noDriverMinDurationS * 1000)
    return st.noDriverSinceMs === null ? { ...st, noDriverSinceMs: since } : st;
  const ep = openEpisode(sink, {
    kind: 'noDriver',
    severity: 'critical',
    startMs: since,
    timeMs: t,
    peakValue: frame.speedKph ?? undefined,
    unit: 'km/h',
    position: frame.position,
    evidence: {},
  });
  return { ...st, noDriver: ep, noDriverSinceMs: since };
}

export function driverClose(st: DriverState, timeMs: number, sink: EventSink): DriverState {
  if (st.credentials) closeEpisode(sink, st.credentials, timeMs, timeMs);
  if (st.noDriver) closeEpisode(sink, st.noDriver, timeMs, timeMs);
  return { ...st, credentials: null, noDriver: null, noDriverSinceMs: null };
}
