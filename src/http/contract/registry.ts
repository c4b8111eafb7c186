// Responses of the registry resources (schools, buses, devices, drivers, attendants, routes, students, guardians,
// trips): the row as JSON; one object (and every create or update) adds the owned children.
import { z } from 'zod';
import {
  busStatuses,
  deviceProtocols,
  licenceClasses,
  locales,
  roadClasses,
  routePeriods,
  schoolKinds,
  schoolLanguages,
  tripStatuses,
} from '../../store/schema';
import { anyRecord, day, instant, int, lonLat, text } from './common';

const stamps = { createdAt: instant, updatedAt: instant };

export const school = z.strictObject({
  id: int,
  name: text,
  timeZone: text,
  /** kindergarten buses are capped lower (GB 24407) */
  kind: z.enum(schoolKinds),
  /** the language of the school's reports when the reader asks for none (?lang=) */
  language: z.enum(schoolLanguages),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  lowVisibility: z.boolean(),
  ruleOverrides: anyRecord,
  ...stamps,
});

export const bus = z.strictObject({
  id: int,
  schoolId: int,
  plate: text,
  approvedCapacity: int,
  seats: int.nullable(),
  signNumber: text.nullable(),
  signValidUntil: day.nullable(),
  inspectionValidUntil: day.nullable(),
  insuranceValidUntil: day.nullable(),
  status: z.enum(busStatuses),
  ...stamps,
});

/** The secret is never returned: hasSecret says whether one is set. */
export const device = z.strictObject({
  id: int,
  schoolId: int,
  busId: int.nullable(),
  protocol: z.enum(deviceProtocols),
  identifier: text,
  tzOffsetMin: int,
  label: text.nullable(),
  lastSeenAt: instant.nullable(),
  hasSecret: z.boolean(),
  /** JT/T 808: until when a manager lets the terminal register once more (POST /devices/{id}/reregistration) */
  reregistrationUntil: instant.nullable(),
  ...stamps,
});

export const reregistrationWindow = z.strictObject({ deviceId: int, reregistrationUntil: instant });

export const deviceEventPage = z.strictObject({
  items: z.array(
    z.strictObject({
      id: int,
      type: text,
      time: instant,
      receivedAt: instant,
      busId: int.nullable(),
      payload: z.unknown(),
    }),
  ),
  nextBefore: int.nullable(),
});

export const driver = z.strictObject({
  id: int,
  schoolId: int,
  name: text,
  phone: text.nullable(),
  birthDate: day,
  licenceClass: z.enum(licenceClasses),
  licenceFirstIssued: day,
  licenceValidUntil: day.nullable(),
  schoolBusEndorsement: z.boolean(),
  lastAnnualReview: day.nullable(),
  qualificationCertNo: text.nullable(),
  qualificationCertExpiry: day.nullable(),
  cardId: text.nullable(),
  ...stamps,
});

export const attendant = z.strictObject({
  id: int,
  schoolId: int,
  name: text,
  phone: text.nullable(),
  trainingValidUntil: day.nullable(),
  ...stamps,
});

export const lineString = z.strictObject({ type: z.literal('LineString'), coordinates: z.array(lonLat) });
export const polygon = z.strictObject({ type: z.literal('Polygon'), coordinates: z.array(z.array(lonLat)) });

export const route = z.strictObject({
  id: int,
  schoolId: int,
  name: text,
  period: z.enum(routePeriods),
  path: lineString,
  corridorWidthM: int,
  ruleOverrides: anyRecord,
  externalId: text.nullable(),
  /** Route approval (Art. 30); trips are refused on a route without all three */
  approvedBy: text.nullable(),
  approvalNumber: text.nullable(),
  approvedOn: day.nullable(),
  ...stamps,
});

export const stop = z.strictObject({
  id: int,
  routeId: int,
  sequence: int,
  name: text,
  lat: z.number(),
  lon: z.number(),
  radiusM: int,
  /** Seconds after local midnight of the service date (may pass 24 h); scheduledTime is the same as HH:MM:SS. */
  scheduledS: int.nullable(),
  scheduledTime: text.nullable(),
  externalId: text.nullable(),
});

export const speedZone = z.strictObject({
  id: int,
  routeId: int,
  name: text.nullable(),
  polygon,
  roadClass: z.enum(roadClasses),
  postedLimitKph: int.nullable(),
  hazard: z.boolean(),
});

/** One route with its ordered stops and its speed zones. */
/** A route in a list: without its path unless `?include=geometry` (the detail always has it). */
export const routeListRow = route.extend({ path: lineString.optional() });

export const routeWithStops = route.extend({ stops: z.array(stop), zones: z.array(speedZone) });

export const student = z.strictObject({
  id: int,
  schoolId: int,
  name: text,
  grade: text.nullable(),
  cardId: text.nullable(),
  ...stamps,
});

/** One student with the stop they use on each route and their guardians. */
export const studentWithLinks = student.extend({
  stops: z.array(z.strictObject({ routeId: int, stopId: int })),
  guardianIds: z.array(int),
});
/** A student in a list: with their stops when asked with `?include=stops`. */
export const studentListRow = student.extend({ stops: studentWithLinks.shape.stops.optional() });

export const noticePreferences = z.strictObject({
  approachMinutes: int.optional(),
  approachMetres: int.optional(),
  muted: z.array(text).optional(),
});

export const guardian = z.strictObject({
  id: int,
  schoolId: int,
  name: text,
  phone: text.nullable(),
  locale: z.enum(locales),
  noticePreferences,
  ...stamps,
});

/** One guardian with their children. */
export const guardianWithStudents = guardian.extend({ studentIds: z.array(int) });
/** A guardian in a list: with their children when asked with `?include=students`. */
export const guardianListRow = guardian.extend({ studentIds: z.array(int).optional() });

export const trip = z.strictObject({
  id: int,
  schoolId: int,
  routeId: int,
  busId: int,
  driverId: int.nullable(),
  attendantId: int.nullable(),
  serviceDate: day,
  plannedStartAt: instant,
  status: z.enum(tripStatuses),
  startedAt: instant.nullable(),
  endedAt: instant.nullable(),
  attendantCheckedInAt: instant.nullable(),
  ...stamps,
});

export type School = z.infer<typeof school>;
export type Bus = z.infer<typeof bus>;
export type Device = z.infer<typeof device>;
export type Driver = z.infer<typeof driver>;
export type Attendant = z.infer<typeof attendant>;
export type Route = z.infer<typeof route>;
export type Stop = z.infer<typeof stop>;
export type SpeedZone = z.infer<typeof speedZone>;
export type RouteWithStops = z.infer<typeof routeWithStops>;
export type RouteListRow = z.infer<typeof routeListRow>;
export type Student = z.infer<typeof student>;
export type StudentWithLinks = z.infer<typeof studentWithLinks>;
export type StudentListRow = z.infer<typeof studentListRow>;
export type GuardianListRow = z.infer<typeof guardianListRow>;
export type Guardian = z.infer<typeof guardian>;
export type GuardianWithStudents = z.infer<typeof guardianWithStudents>;
export type Trip = z.infer<typeof trip>;
export type NoticePreferences = z.infer<typeof noticePreferences>;
