// Jobs on a real database: trip lateness, compliance expiries, retention, reports, the offline tick; every one
// idempotent for its period.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runJob } from '../../src/jobs/runner';
import { runRetention } from '../../src/jobs/retention';
import { runTripLateness } from '../../src/jobs/trip-lateness';
import type { JobDeps } from '../../src/jobs/types';
import { silentLogger } from '../../src/logging';
import { claimJobRun, finishJobRun } from '../../src/store/repos/job-runs-repo';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertPositions } from '../helpers/violations';
import { buildWorld, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let deps: JobDeps;
const SH = 'Asia/Shanghai';
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  deps = { database: t.database, log: silentLogger };
});
afterAll(() => t.close());

const rows = <T = any>(q: string, p: unknown[] = []) => t.database.query<T>(q, p);

describe('trip lateness', () => {
  // Every world trip is planned for 2026-09-01 07:00 in Shanghai = 2026-08-31 23:00 UTC.
  const planned = Date.UTC(2026, 7, 31, 23, 0, 0);
  const lateRows = () =>
    rows<{ episode_key: string; peak_value: number; ended_at: Date | null; started_at: Date; trip_id: number }>(
      `select * from violations where kind = 'tripLate' order by trip_id`,
    );

  it('flags nothing before 10 minutes, then one row per trip that re-runs update in place', async () => {
    expect(
      (await runTripLateness(t.database.db, planned + 9 * 60_000 + 59_000, { lateAfterMin: 10, lateLookbackH: 12 }))
        .late,
    ).toBe(0);
    expect(await lateRows()).toHaveLength(0);
    const told: number[] = [];
    const [out] = await runJob({ ...deps, onTripLate: (tripId) => told.push(tripId) }, 'tripLateness', {
      nowMs: planned + 10 * 60_000,
      timeZone: SH,
    });
    expect(out).toMatchObject({ status: 'succeeded', result: { late: 3 } });
    // The guardians of each late trip are told (the notice service stores each notice once).
    expect(told.sort((x, y) => x - y)).toEqual([...w.a.trips, ...w.b.trips].map((x) => x.id).sort((x, y) => x - y));
    await runJob(deps, 'tripLateness', { nowMs: planned + 10 * 60_000, timeZone: SH });
    await runJob(deps, 'tripLateness', { nowMs: planned + 20 * 60_000, timeZone: SH });
    const r = await lateRows();
    const tripIds = [...w.a.trips, ...w.b.trips].map((x) => x.id).sort((x, y) => x - y);
    expect(r.map((x) => x.episode_key)).toEqual(tripIds.map((id) => `tripLate:${id}`));
    expect(r.map((x) => Number(x.peak_value))).toEqual([20, 20, 20]);
    expect(r.every((x) => new Date(x.started_at).getTime() === planned + 10 * 60_000)).toBe(true);
  });

  it('ends the episode with the real lateness once the trip starts, and leaves it ended', async () => {
    const trip = w.a.trips[0];
    await rows(`update trips set status = 'active', started_at = $2 where id = $1`, [
      trip.id,
      new Date(planned + 22 * 60_000).toISOString(),
    ]);
    const out = await runTripLateness(t.database.db, planned + 25 * 60_000, { lateAfterMin: 10, lateLookbackH: 12 });
    expect(out).toEqual({
      late: 2,
      resolved: 1,
      lateTripIds: [w.a.trips[1].id, w.b.trips[0].id].sort((x, y) => x - y),
    });
    await runTripLateness(t.database.db, planned + 30 * 60_000, { lateAfterMin: 10, lateLookbackH: 12 });
    const row = (await lateRows()).find((x) => x.trip_id === trip.id)!;
    expect(new Date(row.ended_at!).getTime()).toBe(planned + 22 * 60_000);
    expect(Number(row.peak_value)).toBe(22);
    expect(await lateRows()).toHaveLength(3);
  });
});

describe('compliance expiries job', () => {
  it('turns expired, expiring and missing items into cases once per school and day, and ends renewed ones', async () => {
    await t.call('PATCH', `/api/v1/drivers/${w.a.drivers[0].id}`, {
      body: { licenceValidUntil: '2026-09-20', lastAnnualReview: '2026-03-01' },
    });
    await t.call('PATCH', `/api/v1/buses/${w.a.buses[1].id}`, { body: { inspectionValidUntil: '2026-08-31' } });
    const at = Date.UTC(2026, 7, 31, 22, 0, 0); // 06:00 on 1 Sep in Shanghai
    const first = await runJob(deps, 'complianceExpiries', { nowMs: at, timeZone: SH });
    expect(first.map((o) => [o.scope, o.period, o.status])).toEqual([
      [`school:${w.a.schoolId}`, '2026-09-01', 'succeeded'],
      [`school:${w.b.schoolId}`, '2026-09-01', 'succeeded'],
    ]);
    // A: licence expiring (19 days), inspection expired, driver 2 has no annual review. B: its driver has none either.
    expect(first[0]!.result).toMatchObject({ expired: 1, expiring: 1, missing: 1, upserted: 3, resolved: 0 });
    const cases = () =>
      rows<{ episode_key: string; severity: string; ended_at: Date | null; school_id: number }>(
        `select * from violations where kind = 'complianceExpiry' order by episode_key`,
      );
    const before = await cases();
    expect(before).toHaveLength(4);
    expect(before.find((c) => c.episode_key.startsWith('compliance:busInspection'))!.severity).toBe('major');
    expect(before.find((c) => c.episode_key.startsWith('compliance:driverLicence'))!.severity).toBe('minor');
    // The same day again: skipped, nothing duplicated.
    const again = await runJob(deps, 'complianceExpiries', { nowMs: at + 3600_000, timeZone: SH });
    expect(again.map((o) => o.status)).toEqual(['skipped', 'skipped']);
    expect(await cases()).toHaveLength(4);
    // Next day, after the inspection was renewed: same rows, the inspection case ended.
    await t.call('PATCH', `/api/v1/buses/${w.a.buses[1].id}`, { body: { inspectionValidUntil: '2027-03-01' } });
    const next = await runJob(deps, 'complianceExpiries', { nowMs: at + 86_400_000, timeZone: SH });
    expect(next[0]).toMatchObject({ status: 'succeeded', result: { expired: 0, expiring: 1, resolved: 1 } });
    const after = await cases();
    expect(after).toHaveLength(4);
    expect(after.find((c) => c.episode_key.startsWith('compliance:busInspection'))!.ended_at).not.toBeNull();
  });

  it('serves the list through the API, scoped to the manager’s schools', async () => {
    t.clock.nowMs = Date.UTC(2026, 8, 1, 2, 0, 0);
    const r = await t.call('GET', '/api/v1/compliance/expiries', { token: w.tokens.managerA });
    expect(r.status).toBe(200);
    expect(r.body.asOf).toEqual({ [w.a.schoolId]: '2026-09-01' });
    expect(r.body.items.map((i: any) => [i.kind, i.status, i.daysLeft])).toEqual([
      ['annualReview', 'missing', null],
      ['driverLicence', 'expiring', 19],
    ]);
    const wide = await t.call('GET', '/api/v1/compliance/expiries?withinDays=200&subjectType=bus', {
      token: w.tokens.managerA,
    });
    expect(wide.body.items.map((i: any) => [i.kind, i.subjectId])).toEqual([
      ['busInspection', w.a.buses[0].id],
      ['busSign', w.a.buses[0].id],
      ['busSign', w.a.buses[1].id],
      ['busInspection', w.a.buses[1].id],
    ]);
    expect(
      (await t.call('GET', `/api/v1/compliance/expiries?schoolId=${w.b.schoolId}`, { token: w.tokens.managerA }))
        .status,
    ).toBe(403);
    for (const token of [w.tokens.guardianA1, w.tokens.attendantA1, w.tokens.deviceA1])
      expect((await t.call('GET', '/api/v1/compliance/expiries', { token })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/compliance/expiries?withinDays=-1')).status).toBe(400);
  });
});

describe('retention', () => {
  it('deletes raw positions older than the policy in bounded chunks, once per day', async () => {
    const now = Date.UTC(2026, 8, 10, 19, 30, 0);
    const bus = w.b.buses[0];
    const dev = w.b.devices[0];
    const pts = [];
    for (let i = 0; i < 25; i++)
      pts.push({ busId: bus.id, deviceId: dev.id, timeMs: now - 40 * 86_400_000 + i * 1000, lat: 31.2, lon: 121.6 });
    for (let i = 0; i < 5; i++)
      pts.push({ busId: bus.id, deviceId: dev.id, timeMs: now - 10 * 86_400_000 + i * 1000, lat: 31.2, lon: 121.6 });
    await insertPositions(t.database, pts);
    const count = async () =>
      Number((await rows<{ n: number }>('select count(*)::int as n from positions where bus_id = $1', [bus.id]))[0]!.n);
    const partial = await runRetention(t.database, now, {
      keepRawPositionsDays: 30,
      retentionChunkRows: 7,
      retentionMaxChunks: 2,
    });
    expect(partial).toMatchObject({ deleted: 14, chunks: 2, complete: false });
    expect(await count()).toBe(16);
    const job = { ...deps, config: { keepRawPositionsDays: 30, retentionChunkRows: 7 } };
    const [out] = await runJob(job, 'retention', { nowMs: now, timeZone: SH });
    expect(out).toMatchObject({
      status: 'succeeded',
      period: '2026-09-11',
      result: { deleted: 11, chunks: 2, complete: true },
    });
    expect(await count()).toBe(5);
    expect((await runJob(job, 'retention', { nowMs: now + 60_000, timeZone: SH }))[0]!.status).toBe('skipped');
  });
});

describe('device offline tick and job runs', () => {
  it('hands the job clock to the engine runner’s tick', async () => {
    const tick = vi.fn(async () => {});
    const out = await runJob({ ...deps, tick }, 'deviceOffline', { nowMs: 1_788_000_000_000, timeZone: SH });
    expect(tick).toHaveBeenCalledWith(1_788_000_000_000);
    expect(out[0]).toMatchObject({ status: 'succeeded', result: { ticked: true } });
    expect((await runJob(deps, 'deviceOffline', { nowMs: 1, timeZone: SH }))[0]!.result).toEqual({ ticked: false });
  });

  it('claims a period once, lets a failed run be retried and a stale running one be taken over', async () => {
    const key = { job: 'dailyReport', scope: 'school:999', period: '2026-01-01' };
    const t0 = Date.UTC(2026, 0, 2);
    expect(await claimJobRun(t.database.db, key, t0)).toBe(true);
    expect(await claimJobRun(t.database.db, key, t0 + 1000)).toBe(false);
    expect(await claimJobRun(t.database.db, key, t0 + 2 * 3600_000)).toBe(true); // stale after an hour
    await finishJobRun(t.database.db, key, t0 + 2 * 3600_000, { error: 'boom' });
    expect(await claimJobRun(t.database.db, key, t0 + 2 * 3600_000 + 1)).toBe(true);
    await finishJobRun(t.database.db, key, t0 + 2 * 3600_000 + 2, { result: {} });
    expect(await claimJobRun(t.database.db, key, t0 + 9 * 3600_000)).toBe(false);
  });

  it('stores the daily reports of each school and the district once, however often the job runs', async () => {
    const at = Date.UTC(2026, 8, 1, 16, 15, 0); // 00:15 on 2 Sep in Shanghai
    const first = await runJob(deps, 'dailyReport', { nowMs: at, timeZone: SH });
    expect(first.map((o) => [o.scope, o.period, o.status])).toEqual([
      [`school:${w.a.schoolId}`, '2026-09-01', 'succeeded'],
      [`school:${w.b.schoolId}`, '2026-09-01', 'succeeded'],
      ['district', '2026-09-01', 'succeeded'],
    ]);
    const second = await runJob(deps, 'dailyReport', { nowMs: at + 30_000, timeZone: SH });
    expect(second.map((o) => o.status)).toEqual(['skipped', 'skipped', 'skipped']);
    // A zone with no schools produces nothing (and no district report outside the default zone).
    expect(await runJob(deps, 'dailyReport', { nowMs: at, timeZone: 'Asia/Urumqi' })).toEqual([]);
    const stored = await rows<{ scope: string; period_key: string; source: string }>(
      'select scope, period_key, source from reports order by scope',
    );
    expect(stored).toEqual([
      { scope: 'district', period_key: '2026-09-01', source: 'schedule' },
      { scope: `school:${w.a.schoolId}`, period_key: '2026-09-01', source: 'schedule' },
      { scope: `school:${w.b.schoolId}`, period_key: '2026-09-01', source: 'schedule' },
    ]);
  });
});
