// Who may subscribe to (or read over REST) which topic: the authorization policy's `track` action
// (src/auth/policy.ts) on the topic's object. Unknown objects answer 404; objects out of scope 403.
// - trip:<id> — the trip;
// - bus:<id> — the bus (a guardian only on a day one of their children's trips runs on it);
// - school:<id>:violations — the school's violations.
import { can, type Decision } from '../auth/policy';
import type { Principal } from '../auth/principal';
import type { DbOrTx } from '../store/db';
import { loadFacts } from '../store/repos/scope';
import type { Authorization } from './hub';
import type { Topic } from './topics';

const verdict = (d: Decision): Authorization =>
  d.ok ? { ok: true } : { ok: false, status: 403, code: 'forbidden', message: d.reason };
const notFound = (what: string): Authorization => ({
  ok: false,
  status: 404,
  code: 'not_found',
  message: `${what} not found`,
});

export async function authorizeTopic(db: DbOrTx, p: Principal, topic: Topic, nowMs: number): Promise<Authorization> {
  switch (topic.kind) {
    case 'trip': {
      const trip = await loadFacts(db, p, 'trip', topic.tripId);
      return trip ? verdict(can(p, 'track', trip, nowMs)) : notFound('Trip');
    }
    case 'bus': {
      const bus = await loadFacts(db, p, 'bus', topic.busId);
      return bus ? verdict(can(p, 'track', bus, nowMs)) : notFound('Bus');
    }
    case 'schoolViolations': {
      const school = await loadFacts(db, p, 'school', topic.schoolId);
      return school ? verdict(can(p, 'track', { ...school, kind: 'violation' }, nowMs)) : notFound('School');
    }
  }
}
