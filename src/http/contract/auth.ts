// Responses of users, tokens and the caller's own endpoints (/me, /me/trips, /me/notice-preferences).
import { z } from 'zod';
import { locales, roles, routePeriods, tripStatuses } from '../../store/schema';
import { day, instant, int, itemsOf, text } from './common';
import { noticePreferences } from './registry';

/** Who is calling: role and scope (the ids of the attendant, guardian or device the user acts as). */
export const principal = z.strictObject({
  userId: int,
  tokenId: int,
  name: text,
  role: z.enum(roles),
  schoolIds: z.array(int),
  allSchools: z.boolean().optional(),
  attendantId: int.optional(),
  guardianId: int.optional(),
  deviceId: int.optional(),
});

export const user = z.strictObject({
  id: int,
  name: text,
  role: z.enum(roles),
  attendantId: int.nullable(),
  guardianId: int.nullable(),
  deviceId: int.nullable(),
  disabled: z.boolean(),
  allSchools: z.boolean(),
  createdAt: instant,
});
export const userWithSchools = user.extend({ schoolIds: z.array(int) });
export const userList = itemsOf(userWithSchools);

/** The token itself appears in this answer only. */
export const issuedToken = z.strictObject({ id: int, userId: int, token: text, createdAt: instant, note: text });
export const tokenInfo = z.strictObject({
  id: int,
  label: text.nullable(),
  createdAt: instant,
  lastUsedAt: instant.nullable(),
  expiresAt: instant.nullable(),
  revokedAt: instant.nullable(),
});
export const tokenList = itemsOf(tokenInfo);

export const rider = z.strictObject({ stopId: int, studentId: int, name: text, grade: text.nullable() });
export const myTrip = z.strictObject({
  id: int,
  schoolId: int,
  routeId: int,
  routeName: text,
  period: z.enum(routePeriods),
  busId: int,
  busPlate: text,
  approvedCapacity: int,
  attendantId: int.nullable(),
  serviceDate: day,
  plannedStartAt: instant,
  status: z.enum(tripStatuses),
  startedAt: instant.nullable(),
  endedAt: instant.nullable(),
  attendantCheckedInAt: instant.nullable(),
  timeZone: text,
  riders: z.array(rider),
});
export const myTrips = z.strictObject({ dates: z.array(day), items: z.array(myTrip) });

export const myNoticePreferences = z.strictObject({ guardianId: int, locale: z.enum(locales), noticePreferences });

export type Principal = z.infer<typeof principal>;
export type User = z.infer<typeof user>;
export type UserWithSchools = z.infer<typeof userWithSchools>;
export type IssuedToken = z.infer<typeof issuedToken>;
export type TokenInfo = z.infer<typeof tokenInfo>;
export type UserList = z.infer<typeof userList>;
export type TokenList = z.infer<typeof tokenList>;
export type Rider = z.infer<typeof rider>;
export type MyTrip = z.infer<typeof myTrip>;
export type MyTrips = z.infer<typeof myTrips>;
export type MyNoticePreferences = z.infer<typeof myNoticePreferences>;
