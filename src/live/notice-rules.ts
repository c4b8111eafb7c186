// Which guardians get which notice, with its dedupe key and texts. Pure: riders, events and ETAs in, drafts out.
// A draft's dedupe key names guardian, trip and subject (stop, student, bus), so the store keeps one per key:
// a bus dwelling at a stop or jittering at the radius edge cannot repeat a notice.
import { type NoticeKind, noticeText, type NoticeTextInput } from './notice-text';

export type Locale = 'zh-CN' | 'en';

/** A child riding a trip, with the guardian to tell (one row per guardian × child). */
export interface Rider {
  guardianId: number;
  locale: Locale;
  approachMinutes?: number;
  approachMetres?: number;
  /** notice kinds this guardian does not want */
  muted?: string[];
  studentId: number;
  studentName: string;
  /** stops.id as a string, as the engine names stops */
  stopId: string;
  stopName: string | null;
}

export interface TripInfo {
  tripId: number;
  plate?: string | null;
}

export interface NoticeDraft {
  guardianId: number;
  tripId: number | null;
  kind: NoticeKind;
  dedupeKey: string;
  locale: Locale;
  payload: Record<string, unknown>;
  textZh: string;
  textEn: string;
}

export const DEFAULT_APPROACH_MINUTES = 5;

export function dedupeKey(kind: NoticeKind, tripId: number | null, guardianId: number, subject?: string): string {
  return `${kind}:t${tripId ?? '-'}:g${guardianId}${subject ? `:${subject}` : ''}`;
}

function draft(
  kind: NoticeKind,
  tripId: number | null,
  rider: Pick<Rider, 'guardianId' | 'locale'>,
  subject: string | undefined,
  payload: Record<string, unknown>,
  text: NoticeTextInput,
): NoticeDraft {
  return {
    guardianId: rider.guardianId,
    tripId,
    kind,
    dedupeKey: dedupeKey(kind, tripId, rider.guardianId, subject),
    locale: rider.locale,
    payload: { tripId, ...payload },
    ...noticeText(kind, text),
  };
}

const wants = (r: Rider, kind: NoticeKind) => !r.muted?.includes(kind);

/** Riders grouped by guardian (first row of each guardian kept, with all their children). */
function perGuardian(riders: Rider[], kind: NoticeKind): { rider: Rider; studentIds: number[] }[] {
  const out = new Map<number, { rider: Rider; studentIds: number[] }>();
  for (const r of riders) {
    if (!wants(r, kind)) continue;
    const g = out.get(r.guardianId);
    if (g) g.studentIds.push(r.studentId);
    else out.set(r.guardianId, { rider: r, studentIds: [r.studentId] });
  }
  return [...out.values()];
}

/** Riders grouped by guardian and stop. */
function perGuardianStop(riders: Rider[], kind: NoticeKind): { rider: Rider; studentIds: number[] }[] {
  const out = new Map<string, { rider: Rider; studentIds: number[] }>();
  for (const r of riders) {
    if (!wants(r, kind)) continue;
    const key = `${r.guardianId}/${r.stopId}`;
    const g = out.get(key);
    if (g) g.studentIds.push(r.studentId);
    else out.set(key, { rider: r, studentIds: [r.studentId] });
  }
  return [...out.values()];
}

export function tripStartedNotices(trip: TripInfo, riders: Rider[], timeMs: number): NoticeDraft[] {
  return perGuardian(riders, 'trip.started').map(({ rider, studentIds }) =>
    draft('trip.started', trip.tripId, rider, undefined, { timeMs, studentIds }, { plate: trip.plate }),
  );
}

/** Arrived at / departed from a stop: the guardians whose child uses that stop. */
export function stopNotices(
  kind: 'stop.arrived' | 'stop.departed',
  trip: TripInfo,
  riders: Rider[],
  stopId: string,
  timeMs: number,
): NoticeDraft[] {
  return perGuardianStop(
    riders.filter((r) => r.stopId === stopId),
    kind,
  ).map(({ rider, studentIds }) =>
    draft(
      kind,
      trip.tripId,
      rider,
      `s${stopId}`,
      { stopId, timeMs, studentIds },
      { plate: trip.plate, stopName: rider.stopName },
    ),
  );
}

export function schoolArrivedNotices(trip: TripInfo, riders: Rider[], stopId: string, timeMs: number): NoticeDraft[] {
  return perGuardian(riders, 'school.arrived').map(({ rider, studentIds }) =>
    draft('school.arrived', trip.tripId, rider, undefined, { stopId, timeMs, studentIds }, { plate: trip.plate }),
  );
}

export interface StopEta {
  etaMs: number;
  remainingM: number;
}

/**
 * Approaching: the child's stop is still ahead and either the ETA is within the guardian's minutes or the bus
 * is within their metres (default: 5 minutes when the guardian set neither).
 */
export function approachingNotices(
  trip: TripInfo,
  riders: Rider[],
  etas: ReadonlyMap<string, StopEta>,
  nowMs: number,
): NoticeDraft[] {
  const out: NoticeDraft[] = [];
  for (const { rider, studentIds } of perGuardianStop(riders, 'approaching')) {
    const eta = etas.get(rider.stopId);
    if (!eta) continue;
    const minutes = rider.approachMinutes ?? (rider.approachMetres == null ? DEFAULT_APPROACH_MINUTES : undefined);
    const secondsAway = Math.max(0, (eta.etaMs - nowMs) / 1000);
    const byTime = minutes != null && secondsAway <= minutes * 60;
    const byDistance = rider.approachMetres != null && eta.remainingM <= rider.approachMetres;
    if (!byTime && !byDistance) continue;
    out.push(
      draft(
        'approaching',
        trip.tripId,
        rider,
        `s${rider.stopId}`,
        { stopId: rider.stopId, etaMs: Math.round(eta.etaMs), remainingM: Math.round(eta.remainingM), studentIds },
        byTime
          ? { plate: trip.plate, stopName: rider.stopName, minutes: secondsAway / 60 }
          : { plate: trip.plate, stopName: rider.stopName, metres: eta.remainingM },
      ),
    );
  }
  return out;
}

/** A late notice is updated (a new notice) when the delay moves by more than this since the last one told. */
export const LATE_UPDATE_S = 180;

/**
 * Running late: the ETA to the child's stop is later than its scheduled time by more than `marginS`. The first per
 * guardian and trip; then, given `previous` (guardian → the delay last told, seconds), an update each time the
 * delay has moved by more than LATE_UPDATE_S, so the notice follows the card instead of contradicting it.
 */
export function etaLateNotices(
  trip: TripInfo,
  riders: Rider[],
  etas: ReadonlyMap<string, StopEta>,
  scheduledMs: ReadonlyMap<string, number>,
  marginS: number,
  previous: ReadonlyMap<number, number> = new Map(),
): NoticeDraft[] {
  const out: NoticeDraft[] = [];
  const seen = new Set<number>();
  for (const { rider, studentIds } of perGuardianStop(riders, 'trip.late')) {
    if (seen.has(rider.guardianId)) continue;
    const eta = etas.get(rider.stopId);
    const planned = scheduledMs.get(rider.stopId);
    if (!eta || planned == null) continue;
    const lateS = (eta.etaMs - planned) / 1000;
    const told = previous.get(rider.guardianId);
    if (told == null ? lateS <= marginS : Math.abs(lateS - told) <= LATE_UPDATE_S) continue;
    seen.add(rider.guardianId);
    out.push(
      draft(
        'trip.late',
        trip.tripId,
        rider,
        told == null ? undefined : `u${Math.round(lateS / 60)}m`,
        {
          reason: 'eta',
          stopId: rider.stopId,
          etaMs: Math.round(eta.etaMs),
          scheduledMs: planned,
          lateS: Math.round(lateS),
          studentIds,
        },
        {
          plate: trip.plate,
          stopName: rider.stopName,
          minutes: lateS / 60,
          lateReason: 'eta',
          lateUpdate: told != null,
        },
      ),
    );
  }
  return out;
}

/** The trip has not started `minutesLate` after its planned start. Same dedupe key as the ETA-late notice: one late notice per trip. */
export function notStartedNotices(
  trip: TripInfo,
  riders: Rider[],
  plannedStartMs: number,
  nowMs: number,
): NoticeDraft[] {
  const minutes = (nowMs - plannedStartMs) / 60_000;
  return perGuardian(riders, 'trip.late').map(({ rider, studentIds }) =>
    draft(
      'trip.late',
      trip.tripId,
      rider,
      undefined,
      { reason: 'notStarted', plannedStartMs, lateS: Math.round(minutes * 60), studentIds },
      { plate: trip.plate, minutes, lateReason: 'notStarted' },
    ),
  );
}

export function busSubstitutedNotices(
  trip: TripInfo,
  riders: Rider[],
  busId: number,
  previousBusId: number | null,
): NoticeDraft[] {
  return perGuardian(riders, 'bus.substituted').map(({ rider, studentIds }) =>
    draft(
      'bus.substituted',
      trip.tripId,
      rider,
      `b${busId}`,
      { busId, previousBusId, plate: trip.plate ?? null, studentIds },
      { plate: trip.plate },
    ),
  );
}

export interface StudentGuardian {
  guardianId: number;
  locale: Locale;
  muted?: string[];
}

export function boardingNotices(
  tripId: number,
  guardians: StudentGuardian[],
  student: { id: number; name: string },
  boarded: boolean,
  timeMs: number,
  stopName?: string | null,
  more: { atSchool?: boolean; wrongBus?: { plate: string | null; expectedPlate: string | null } } = {},
): NoticeDraft[] {
  const kind: NoticeKind = boarded ? (more.wrongBus ? 'student.wrongBus' : 'student.boarded') : 'student.alighted';
  const seen = new Set<number>();
  const out: NoticeDraft[] = [];
  for (const g of guardians) {
    if (seen.has(g.guardianId) || g.muted?.includes(kind)) continue;
    seen.add(g.guardianId);
    out.push(
      draft(
        kind,
        tripId,
        g,
        `st${student.id}`,
        {
          studentId: student.id,
          studentIds: [student.id],
          timeMs,
          ...(more.atSchool ? { atSchool: true } : {}),
          ...(more.wrongBus ? { plate: more.wrongBus.plate, expectedPlate: more.wrongBus.expectedPlate } : {}),
        },
        {
          studentName: student.name,
          stopName,
          atSchool: more.atSchool,
          plate: more.wrongBus?.plate,
          expectedPlate: more.wrongBus?.expectedPlate,
        },
      ),
    );
  }
  return out;
}

/** The trip is cancelled: every guardian of its riders, once. */
export function tripCancelledNotices(trip: TripInfo, riders: Rider[], timeMs: number): NoticeDraft[] {
  return perGuardian(riders, 'trip.cancelled').map(({ rider, studentIds }) =>
    draft('trip.cancelled', trip.tripId, rider, undefined, { timeMs, studentIds }, { plate: trip.plate }),
  );
}

/**
 * The bus left a child's stop with no boarding record for that child (on a trip where the attendant records
 * students by name): the child's guardians, once per child and trip.
 */
export function notBoardedNotices(
  trip: TripInfo,
  riders: Rider[],
  stopId: string,
  boardedStudentIds: ReadonlySet<number>,
  timeMs: number,
): NoticeDraft[] {
  const out: NoticeDraft[] = [];
  const seen = new Set<string>();
  for (const r of riders) {
    if (r.stopId !== stopId || boardedStudentIds.has(r.studentId) || !wants(r, 'student.notBoarded')) continue;
    const key = `${r.guardianId}/${r.studentId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(
      draft(
        'student.notBoarded',
        trip.tripId,
        r,
        `st${r.studentId}`,
        { stopId, studentId: r.studentId, studentIds: [r.studentId], timeMs },
        { plate: trip.plate, stopName: r.stopName, studentName: r.studentName },
      ),
    );
  }
  return out;
}
