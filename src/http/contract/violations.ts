// Responses of violations and their cases: the violation as managers see it, counts, the track and the trail.
import { z } from 'zod';
import { exemptionReasons } from '../../core/case-workflow';
import { caseStatuses, severities } from '../../store/schema';
import { anyRecord, instant, int, itemsOf, lonLat, text } from './common';

export const violation = z.strictObject({
  id: int,
  episodeKey: text,
  kind: text,
  severity: z.enum(severities),
  status: z.enum(caseStatuses),
  /** null: a district-level case (a hazard report about a plate no school owns) */
  schoolId: int.nullable(),
  busId: int.nullable(),
  tripId: int.nullable(),
  driverId: int.nullable(),
  routeId: int.nullable(),
  startedAt: instant,
  endedAt: instant.nullable(),
  peakValue: z.number().nullable(),
  limitValue: z.number().nullable(),
  startLat: z.number().nullable(),
  startLon: z.number().nullable(),
  endLat: z.number().nullable(),
  endLon: z.number().nullable(),
  evidence: anyRecord,
  ownerUserId: int.nullable(),
  dueAt: instant.nullable(),
  resolutionReason: text.nullable(),
  exemptionReason: z.enum(exemptionReasons).nullable(),
  overdue: z.boolean(),
  /** When the reminder before the due date went out. */
  remindedAt: instant.nullable(),
  /** Escalated (挂牌督办): when it passed its due date still active, or a supervisor escalated it. */
  escalatedAt: instant.nullable(),
  escalated: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
});
/** The cursor is opaque: pass nextCursor back as ?cursor=. */
export const violationPage = z.strictObject({ items: z.array(violation), nextCursor: text.nullable() });

export const violationCounts = z.strictObject({
  total: int,
  overdue: int,
  escalated: int,
  byKind: z.record(z.string(), int),
  bySeverity: z.record(z.string(), int),
  byStatus: z.record(z.string(), int),
});

export const caseAction = z.strictObject({
  id: int,
  violationId: int,
  actorUserId: int.nullable(),
  actorName: text.nullable(),
  action: text,
  fromStatus: text.nullable(),
  toStatus: text.nullable(),
  note: text.nullable(),
  at: instant,
});
export const caseActionList = itemsOf(caseAction);

const trackFeature = z.strictObject({
  type: z.literal('Feature'),
  geometry: z.union([
    z.strictObject({ type: z.literal('LineString'), coordinates: z.array(lonLat) }),
    z.strictObject({ type: z.literal('Point'), coordinates: lonLat }),
  ]),
  properties: z.strictObject({
    role: z.literal('track'),
    busId: int.nullable(),
    coordTimes: z.array(instant),
    speedsKph: z.array(z.number().nullable()),
    /** Index range of the points inside the episode itself. */
    episodeFromIndex: int.nullable(),
    episodeToIndex: int.nullable(),
  }),
});
const episodePoint = z.strictObject({
  type: z.literal('Feature'),
  geometry: z.strictObject({ type: z.literal('Point'), coordinates: lonLat }),
  properties: z.strictObject({ role: z.enum(['episodeStart', 'episodeEnd']), time: instant.nullable() }),
});
export const track = z.strictObject({
  type: z.literal('FeatureCollection'),
  properties: z.strictObject({ from: instant, to: instant, pointCount: int }),
  features: z.array(z.union([trackFeature, episodePoint])),
});

export const violationWithActions = violation.extend({ actions: z.array(caseAction) });
export const violationDetail = violation.extend({ track, actions: z.array(caseAction) });

export type Violation = z.infer<typeof violation>;
export type ViolationPage = z.infer<typeof violationPage>;
export type ViolationCounts = z.infer<typeof violationCounts>;
export type CaseAction = z.infer<typeof caseAction>;
export type CaseActionList = z.infer<typeof caseActionList>;
export type TrackFeature = z.infer<typeof trackFeature>;
export type Track = z.infer<typeof track>;
export type ViolationWithActions = z.infer<typeof violationWithActions>;
export type ViolationDetail = z.infer<typeof violationDetail>;
