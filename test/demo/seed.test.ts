import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDemoDay, seedDemoIfEmpty, type DemoResult } from '../../src/demo/seed';
import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
let demo: DemoResult | undefined;
beforeAll(async () => {
  t = await createTestApp();
  demo = await seedDemoIfEmpty(t.database, { now: Date.UTC(2026, 10, 27, 22, 0, 0) });
});
afterAll(() => t.close());

const count = async (table: string) =>
  (await t.database.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

describe('demo district', () => {
  it('seeds a believable district', async () => {
    expect(demo).toBeDefined();
    expect(await count('schools')).toBe(1);
    expect(await count('routes')).toBeGreaterThanOrEqual(3);
    expect(await count('stops')).toBeGreaterThan(60);
    expect(await count('buses')).toBe(3);
    expect(await count('devices')).toBe(3);
    expect(await count('students')).toBe(12);
    expect(await count('trips')).toBe(3);
    const expired = await t.database.query<{ name: string }>(
      'select name from drivers where qualification_cert_expiry < $1',
      ['2026-11-28'],
    );
    expect(expired).toHaveLength(1);
  });

  it('puts trips on the local service date of the school', async () => {
    const rows = await t.database.query<{ service_date: string }>(
      "select to_char(service_date, 'YYYY-MM-DD') as service_date from trips",
    );
    // 22:00 UTC on 27 Nov is 08:00 on 28 Nov in Brisbane.
    expect(rows.every((r) => r.service_date === '2026-11-28')).toBe(true);
  });

  it('prints tokens that work, with the scope of their role', async () => {
    const manager = demo!.tokens.find((x) => x.role === 'manager')!.token;
    const guardian = demo!.tokens.find((x) => x.role === 'guardian')!.token;
    expect((await t.call('GET', '/api/v1/buses', { token: manager })).body.items).toHaveLength(3);
    const kids = await t.call('GET', '/api/v1/students', { token: guardian });
    expect(kids.status).toBe(200);
    expect(kids.body.items).toHaveLength(1);
  });

  it("re-times today's trips to start a minute from now, keeping each timetable's intervals", async () => {
    const now = Date.UTC(2026, 10, 27, 22, 0, 30); // 08:00:30 in Brisbane
    const before = await t.database.query<{ id: number; s: number[] }>(
      'select route_id as id, array_agg(scheduled_s order by sequence) as s from stops group by route_id order by route_id',
    );
    const { tripIds } = await refreshDemoDay(t.database, { now });
    expect(tripIds).toHaveLength(3);
    const rows = await t.database.query<{ status: string; planned: string }>(
      "select status, to_char(planned_start_at at time zone 'UTC', 'HH24:MI:SS') as planned from trips order by id",
    );
    expect(rows).toEqual(Array.from({ length: 3 }, () => ({ status: 'planned', planned: '22:02:00' })));
    const after = await t.database.query<{ id: number; s: number[] }>(
      'select route_id as id, array_agg(scheduled_s order by sequence) as s from stops group by route_id order by route_id',
    );
    for (const [i, r] of after.entries()) {
      expect(r.s[0]).toBe(8 * 3600 + 120);
      expect(r.s.map((x) => x - r.s[0]!)).toEqual(before[i]!.s.map((x) => x - before[i]!.s[0]!));
    }
    // The next day: yesterday's unstarted trips are cancelled, today's are planned.
    await refreshDemoDay(t.database, { now: now + 86_400_000 });
    const next = await t.database.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from trips group by status order by status',
    );
    expect(next).toEqual([
      { status: 'cancelled', n: 3 },
      { status: 'planned', n: 3 },
    ]);
  });

  it('runs once: a second call on a non-empty database does nothing', async () => {
    expect(await seedDemoIfEmpty(t.database, { now: Date.now() })).toBeUndefined();
    expect(await count('schools')).toBe(1);
  });
});
