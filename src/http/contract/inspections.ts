// Responses of the inspections (pre-trip check, weekly bus inspection, evacuation drills) and driver trainings.
import { z } from 'zod';
import { inspectionItems } from '../../core/inspections';
import { inspectionPerformers } from '../../store/schema';
import { day, instant, int, text } from './common';

const itemResult = z.strictObject({ ok: z.boolean(), note: text.optional() });
export const itemResults = z.record(z.enum(inspectionItems), itemResult);

export const preTripCheck = z.strictObject({
  id: int,
  schoolId: int,
  busId: int,
  tripId: int.nullable(),
  serviceDate: day,
  performedBy: z.enum(inspectionPerformers),
  performerName: text.nullable(),
  items: itemResults,
  passed: z.boolean(),
  /** Failed items, in checklist order. */
  failedItems: z.array(z.enum(inspectionItems)),
  /** The `preTripCheckFailed` case a failed check opened. */
  violationId: int.nullable(),
  createdAt: instant,
});

export const preTripCheckState = z.strictObject({
  tripId: int,
  busId: int,
  serviceDate: day,
  /** The checklist, in order. */
  items: z.array(z.enum(inspectionItems)),
  /** The school requires a check before check-in. */
  required: z.boolean(),
  /** Check-in is allowed as far as the pre-trip check goes (no failed latest check; one on record when required). */
  checkInAllowed: z.boolean(),
  latest: preTripCheck.nullable(),
});

export const busInspection = z.strictObject({
  id: int,
  schoolId: int,
  busId: int,
  inspectedOn: day,
  /** Monday of the ISO week the inspection counts for. */
  weekStart: day,
  inspector: text,
  items: itemResults,
  passed: z.boolean(),
  failedItems: z.array(z.enum(inspectionItems)),
  notes: text.nullable(),
  recordedByUserId: int.nullable(),
  createdAt: instant,
});

export const evacuationDrill = z.strictObject({
  id: int,
  schoolId: int,
  routeId: int.nullable(),
  heldOn: day,
  participants: int,
  notes: text.nullable(),
  /** Photos stored (metadata stripped); GET /evacuation-drills/{id}/photos/{n}. */
  photos: int,
  recordedByUserId: int.nullable(),
  createdAt: instant,
});

export const driverTraining = z.strictObject({
  id: int,
  schoolId: int,
  driverId: int,
  heldOn: day,
  hours: z.number(),
  topic: text,
  createdAt: instant,
});

export const driverTrainings = z.strictObject({
  items: z.array(driverTraining),
  /** The last day the latest training covers (null: none on record). */
  validUntil: day.nullable(),
});

export type PreTripCheck = z.infer<typeof preTripCheck>;
export type PreTripCheckState = z.infer<typeof preTripCheckState>;
export type BusInspection = z.infer<typeof busInspection>;
export type EvacuationDrill = z.infer<typeof evacuationDrill>;
