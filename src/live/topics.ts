// Live topics: `trip:<id>`, `bus:<id>`, `school:<id>:violations` (id: decimal, no leading zero, 1 to 2^31 − 1).
// Anything else is not a topic.

export type Topic =
  { kind: 'trip'; tripId: number } | { kind: 'bus'; busId: number } | { kind: 'schoolViolations'; schoolId: number };

const ID = '([1-9][0-9]{0,9})';
const TRIP = new RegExp(`^trip:${ID}$`);
const BUS = new RegExp(`^bus:${ID}$`);
const SCHOOL = new RegExp(`^school:${ID}:violations$`);

/** Ids are PostgreSQL integers: a larger number is not an id (and must not reach a query). */
const MAX_ID = 2_147_483_647;
const idOf = (digits: string | undefined): number | undefined => {
  const n = Number(digits);
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_ID ? n : undefined;
};

export function parseTopic(text: unknown): Topic | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  let m = TRIP.exec(text);
  let id: number | undefined;
  if (m) return (id = idOf(m[1])) === undefined ? undefined : { kind: 'trip', tripId: id };
  m = BUS.exec(text);
  if (m) return (id = idOf(m[1])) === undefined ? undefined : { kind: 'bus', busId: id };
  m = SCHOOL.exec(text);
  if (m) return (id = idOf(m[1])) === undefined ? undefined : { kind: 'schoolViolations', schoolId: id };
  return undefined;
}

export const tripTopic = (tripId: number | string) => `trip:${tripId}`;
export const busTopic = (busId: number | string) => `bus:${busId}`;
export const schoolViolationsTopic = (schoolId: number | string) => `school:${schoolId}:violations`;
