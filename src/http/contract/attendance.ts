// Responses of the attendant's trip endpoints: check-in, boarding records, the end-of-trip sweep and its alert.
import { z } from 'zod';
import { boardingKinds, caseStatuses, severities, sweepAlertReasons, tripStatuses } from '../../store/schema';
import { anyRecord, instant, int, text } from './common';

/** Boarded − got off over every record of the trip, against the bus's approved capacity. */
export const counts = z.strictObject({
  records: int,
  boarded: int,
  alighted: int,
  onboard: int,
  capacity: int,
  overCapacity: z.boolean(),
});

export const preDepartureCheck = z.strictObject({
  check: text,
  rule: text,
  passed: z.boolean(),
  reasons: z.array(text),
});

export const checkIn = z.strictObject({
  tripId: int,
  checkedInAt: instant,
  tripStatus: z.enum(tripStatuses),
  startedNow: z.boolean(),
  allPassed: z.boolean(),
  checks: z.array(preDepartureCheck),
  violations: z.array(
    z.strictObject({
      id: int,
      episodeKey: text,
      kind: text,
      severity: z.enum(severities),
      status: z.enum(caseStatuses),
      evidence: anyRecord,
    }),
  ),
  counts,
});

export const boardingWarning = z.strictObject({
  clientId: text,
  kind: z.enum(['wrongBus', 'wrongStop', 'unknownCard']),
  studentId: int.optional(),
  studentName: text.optional(),
  cardId: text.optional(),
  stopId: int.nullable().optional(),
  assignedStopId: int.nullable().optional(),
  message: text,
});

export const boardingResult = z.strictObject({
  tripId: int,
  /** Client ids stored by this call. */
  applied: z.array(text),
  /** Client ids stored before (resent records). */
  duplicates: z.array(text),
  rejected: z.array(z.strictObject({ clientId: text, reason: text, message: text })),
  warnings: z.array(boardingWarning),
  violations: z.array(
    z.strictObject({
      event: z.enum(['violation.opened', 'violation.updated', 'violation.closed']),
      violationId: int.nullable(),
      episodeKey: text,
      kind: text,
      severity: z.enum(severities),
      onboard: z.number().nullable(),
      limit: z.number().nullable(),
      evidence: z.unknown(),
    }),
  ),
  /** false when the records were stored but the engine did not take them (they count all the same). */
  engineApplied: z.boolean(),
  counts,
});

export const boardingRecord = z.strictObject({
  clientId: text,
  type: z.enum(boardingKinds),
  recordedAt: instant,
  studentId: int.nullable(),
  boarded: int,
  alighted: int,
  stopId: int.nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  attendantId: int.nullable(),
  receivedAt: instant,
});

export const sweep = z.strictObject({
  confirmedAt: instant.nullable(),
  confirmedEmpty: z.boolean().nullable(),
  confirmedByUserId: int.nullable(),
  onboardAtConfirm: int.nullable(),
  note: text.nullable(),
  alertRaisedAt: instant.nullable(),
  alertReason: z.enum(sweepAlertReasons).nullable(),
});

/** An open "child possibly left on board" alert (a violation case). */
export const leftOnBoardAlert = z.strictObject({
  violationId: int,
  kind: text,
  severity: z.enum(severities),
  status: z.enum(caseStatuses),
  startedAt: instant,
  evidence: anyRecord,
});

export const boardingState = z.strictObject({
  tripId: int,
  tripStatus: z.enum(tripStatuses),
  checkedInAt: instant.nullable(),
  counts,
  records: z.array(boardingRecord),
  sweep: sweep.nullable(),
  alerts: z.array(leftOnBoardAlert),
});

export const sweepResult = z.discriminatedUnion('alreadyConfirmed', [
  /** A resend: the first confirmation stands. */
  z.strictObject({
    tripId: int,
    alreadyConfirmed: z.literal(true),
    tripStatus: z.enum(tripStatuses).optional(),
    sweep: sweep.nullable(),
    counts,
    alerts: z.array(leftOnBoardAlert),
  }),
  z.strictObject({
    tripId: int,
    alreadyConfirmed: z.literal(false),
    tripStatus: z.literal('completed'),
    sweep: sweep.nullable(),
    counts,
    alert: leftOnBoardAlert.extend({ message: text }).nullable(),
    alerts: z.array(leftOnBoardAlert),
  }),
]);

export const sweepResolved = z.strictObject({
  tripId: int,
  resolved: z.array(z.strictObject({ violationId: int, status: z.enum(caseStatuses) })),
  note: text,
});

export type Counts = z.infer<typeof counts>;
export type CheckIn = z.infer<typeof checkIn>;
export type BoardingWarning = z.infer<typeof boardingWarning>;
export type BoardingResult = z.infer<typeof boardingResult>;
export type BoardingRecord = z.infer<typeof boardingRecord>;
export type Sweep = z.infer<typeof sweep>;
export type LeftOnBoardAlert = z.infer<typeof leftOnBoardAlert>;
export type BoardingState = z.infer<typeof boardingState>;
export type SweepResult = z.infer<typeof sweepResult>;
export type SweepResolved = z.infer<typeof sweepResolved>;
