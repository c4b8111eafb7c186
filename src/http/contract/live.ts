// Responses of the REST twins of the live feed: positions, ETAs and a guardian's notices.
import { z } from 'zod';
import { anyRecord, instant, int, text } from './common';

export const position = z.strictObject({
  busId: int,
  tripId: int.nullable(),
  lat: z.number(),
  lon: z.number(),
  speedKph: z.number().nullable(),
  headingDeg: z.number().nullable(),
  timeMs: int,
});
export const busPosition = z.strictObject({ busId: int, position: position.nullable() });
export const tripPosition = z.strictObject({ tripId: int, position: position.nullable() });

export const etaStop = z.strictObject({
  stopId: text,
  name: text.nullable(),
  etaMs: z.number(),
  remainingM: z.number().nullable(),
  scheduledMs: z.number().nullable(),
  /** ETA minus schedule, seconds (positive = late). */
  delayS: z.number().nullable(),
});
export const eta = z.strictObject({
  tripId: int,
  busId: int,
  source: z.enum(['live', 'timetable']),
  progressM: z.number().nullable(),
  routeLengthM: z.number().nullable(),
  computedMs: z.number(),
  stops: z.array(etaStop),
});

export const notice = z.strictObject({
  id: int,
  kind: text,
  tripId: int.nullable(),
  /** In the guardian's language. */
  text,
  textZh: text,
  textEn: text,
  payload: anyRecord,
  createdAt: instant,
});
export const noticePage = z.strictObject({ items: z.array(notice), nextCursor: int.nullable() });

export type Position = z.infer<typeof position>;
export type BusPosition = z.infer<typeof busPosition>;
export type TripPosition = z.infer<typeof tripPosition>;
export type EtaStop = z.infer<typeof etaStop>;
export type Eta = z.infer<typeof eta>;
export type Notice = z.infer<typeof notice>;
export type NoticePage = z.infer<typeof noticePage>;
