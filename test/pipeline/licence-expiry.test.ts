// R6 through the real pipeline: a driver whose driving licence (as the registry records it) has expired opens a
// critical driver-credentials violation when the trip starts; a licence valid through the trip's day does not.
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app';
import { ok, type World } from '../helpers/world';
import { fromRouteStart } from './drive';
import { lanePipeline, WORLD_TRIPS_START_MS, withPipelineWorld } from './pipeline';

let t: TestApp;
let w: World;
const START_MS = WORLD_TRIPS_START_MS;
withPipelineWorld((app, world) => ((t = app), (w = world)));

async function credentialViolations(tripId: number) {
  return t.database.query<{ severity: string; evidence: { failures: string[]; trigger: string } }>(
    "select severity, evidence from violations where kind = 'driverCredentials' and trip_id = $1",
    [tripId],
  );
}

describe('R6: the driving licence validity', () => {
  it('an expired licence opens driverCredentials at trip start; one valid through the day does not', async () => {
    await ok(
      t.call('PATCH', `/api/v1/drivers/${w.a.drivers[0].id}`, {
        // the world's annual reviews are overdue: brought up to date, so the licence is the one thing that differs
        body: { licenceValidUntil: '2026-08-31', lastAnnualReview: '2026-03-01' },
      }),
      200,
    );
    await ok(
      t.call('PATCH', `/api/v1/drivers/${w.b.drivers[0].id}`, {
        body: { licenceValidUntil: '2026-09-01', lastAnnualReview: '2026-03-01' },
      }),
      200,
    );
    const { ingest, runner, close } = lanePipeline(t);
    for (const [identifier, route] of [
      ['A-dev-1', w.a.routes[0]],
      ['B-dev-1', w.b.routes[0]],
    ] as const) {
      const device = (await ingest.lookupDevice('json', identifier))!;
      const acks = await ingest.submitFixes(device, fromRouteStart(route, identifier, START_MS, 20), t.clock.nowMs);
      expect(acks.outcomes.every((o) => o.status === 'accepted')).toBe(true);
    }
    await runner.idle();
    await close();

    const started = await t.database.query<{ id: number; status: string }>(
      'select id, status from trips where id = any($1::int[]) order by id',
      [[w.a.trips[0].id, w.b.trips[0].id]],
    );
    expect(started.map((r) => r.status)).toEqual(['active', 'active']);
    const expired = await credentialViolations(w.a.trips[0].id);
    expect(expired).toHaveLength(1);
    expect(expired[0]!.severity).toBe('critical');
    expect(expired[0]!.evidence).toMatchObject({ trigger: 'tripStart', failures: ['licence_expired'] });
    expect(await credentialViolations(w.b.trips[0].id)).toEqual([]);
  });
});
