// Live topics: `trip:<id>`, `bus:<id>`, `school:<id>:violations`. Anything else is not a topic.

export type Topic =
  | { kind: 'trip'; tripId: number }
  | { kind: 'bus'; busId: number }
  | { kind: 'schoolViolations'; schoolId: number };

const ID = '([1-9][0-9]{0,9})';
const TRIP = new RegExp(`^trip:${ID}$`);
const BUS = new RegExp(`^bus:${ID}$`);
const SCHOOL = new RegExp(`^school:${ID}:violations$`);

export function parseTopic(text: unknown): Topic | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  let m = TRIP.exec(text);
  if (m) return { kind: 'trip', tripId: Number(m[1]) };
  m = BUS.exec(text);
  if (m) return { kind: 'bus', busId: Number(m[1]) };
  m = SCHOOL.exec(text);
  if (m) return { kind: 'schoolViolations', schoolId: Number(m[1]) };
  return undefined;
}

export const tripTopic = (tripId: number | string) => `trip:${tripId}`;
export const busTopic = (busId: number | string) => `bus:${busId}`;
export const schoolViolationsTopic = (schoolId: number | string) => `school:${schoolId}:violations`;
