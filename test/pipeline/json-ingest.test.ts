import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app';
import type { FaultyDatabase } from '../helpers/faults';
import { type IngestWorld, setupIngestWorld, teardownIngestWorld } from '../helpers/ingest-app';
import type { World } from '../helpers/world';

let t: TestApp;
let w: World;
let faulty: FaultyDatabase;
let api: IngestWorld['api'];
let world: IngestWorld | undefined;
const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);

beforeAll(async () => {
  world = await setupIngestWorld(T0);
  ({ t, w, faulty, api } = world);
});
afterAll(() => teardownIngestWorld(world));

const post = (positions: unknown[], token = w.tokens.deviceA1) =>
  api.call('POST', '/api/v1/telemetry/positions', { token, body: { positions } });
// A bus driving east along 31.2°N at about 36 km/h: 10 m per second.
const at = (s: number, extra: Record<string, unknown> = {}) => ({
  time: new Date(T0 - 600_000 + s * 1000).toISOString(),
  lat: 31.2,
  lon: 121.4 + s * 0.0001045,
  speedKph: 36,
  ...extra,
});
const stored = async (deviceId: number) =>
  t.database.query<{ t: string; late: boolean; speed_kph: number | null }>(
    'select extract(epoch from time)::float8 * 1000 as t, late, speed_kph from positions where device_id = $1 order by time',
    [deviceId],
  );

describe('JSON telemetry', () => {
  it('stores a batch and answers per item', async () => {
    const r = await post([at(0), at(1), at(2, { speedKph: undefined })]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ accepted: 3, rejected: 0 });
    const rows = await stored(w.a.devices[0].id);
    expect(rows).toHaveLength(3);
    expect(rows[2]!.speed_kph).toBeNull();
  });

  it('refuses bad items with a reason and keeps the good ones', async () => {
    const r = await post([
      at(3),
      { time: 'yesterday', lat: 31.2, lon: 121.4 },
      at(4, { lat: 0, lon: 0 }),
      at(5, { lat: 95 }),
    ]);
    expect(r.status).toBe(200);
    expect(r.body.items[0]).toEqual({ index: 0, status: 'accepted' });
    expect(r.body.items[1]).toMatchObject({ index: 1, status: 'rejected' });
    expect(r.body.items[2]).toEqual({ index: 2, status: 'rejected', reason: 'null_island' });
    expect(r.body.items[3]).toMatchObject({ index: 3, status: 'rejected' });
    const audit = await t.database.query<{ reason: string }>('select reason from rejected_fixes where device_id = $1', [
      w.a.devices[0].id,
    ]);
    await expect
      .poll(
        async () => (await t.database.query('select 1 from rejected_fixes where reason = $1', ['null_island'])).length,
      )
      .toBe(1);
    expect(audit.every((a) => typeof a.reason === 'string')).toBe(true);
  });

  it('stores a resent batch once and says so', async () => {
    const before = (await stored(w.a.devices[0].id)).length;
    const r = await post([at(0), at(1)]);
    expect(r.body.items).toEqual([
      { index: 0, status: 'accepted', duplicate: true },
      { index: 1, status: 'accepted', duplicate: true },
    ]);
    expect((await stored(w.a.devices[0].id)).length).toBe(before);
  });

  it('marks late fixes, stores them, and refuses an implausible jump', async () => {
    const r = await post([at(10), at(7), at(11, { lon: 122.5 })]);
    expect(r.body.items[0]).toEqual({ index: 0, status: 'accepted' });
    expect(r.body.items[1]).toEqual({ index: 1, status: 'accepted', late: true });
    expect(r.body.items[2]).toEqual({ index: 2, status: 'rejected', reason: 'implausible_jump' });
    const rows = await stored(w.a.devices[0].id);
    expect(rows.find((x) => Number(x.t) === T0 - 600_000 + 7000)?.late).toBe(true);
  });

  it('refuses positions from the future', async () => {
    const r = await post([{ time: new Date(T0 + 3_600_000).toISOString(), lat: 31.2, lon: 121.41 }]);
    expect(r.body.items[0]).toEqual({ index: 0, status: 'rejected', reason: 'future_time' });
  });

  it('is for device tokens only, and validates the envelope', async () => {
    expect((await post([at(20)], w.tokens.guardianA1)).status).toBe(403);
    expect((await post([at(20)], w.tokens.managerA)).status).toBe(403);
    expect(
      (await api.call('POST', '/api/v1/telemetry/positions', { token: null, body: { positions: [at(20)] } })).status,
    ).toBe(401);
    const tooMany = await post(Array.from({ length: 1001 }, (_, i) => at(100 + i)));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('validation_failed');
    expect((await post([])).status).toBe(400);
  });

  it('answers 503 with Retry-After while storage is down, stores nothing, and recovers without restart', async () => {
    const before = (await stored(w.a.devices[0].id)).length;
    faulty.down = true;
    let r: Awaited<ReturnType<typeof post>>;
    try {
      r = await post([at(30), at(31)]);
    } finally {
      faulty.down = false;
    }
    expect(r!.status).toBe(503);
    expect(r!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(r!.body.error.code).toBe('unavailable');
    // The device resends the same batch: stored, not refused as duplicates.
    const again = await post([at(30), at(31)]);
    expect(again.body).toMatchObject({ accepted: 2 });
    expect(again.body.items.every((i: any) => !i.duplicate)).toBe(true);
    expect((await stored(w.a.devices[0].id)).length).toBe(before + 2);
  });

  it('follows a device moved to another bus at once (registry edits invalidate the device cache)', async () => {
    const move = await api.call('PATCH', `/api/v1/devices/${w.a.devices[0].id}`, { body: { busId: w.a.buses[1].id } });
    expect(move.status).toBe(200);
    try {
      const r = await post([at(40)]);
      expect(r.body.accepted).toBe(1);
      const rows = await t.database.query<{ bus_id: number }>(
        'select bus_id from positions where device_id = $1 and time = to_timestamp($2 / 1000.0)',
        [w.a.devices[0].id, T0 - 600_000 + 40_000],
      );
      expect(rows[0]!.bus_id).toBe(w.a.buses[1].id);
    } finally {
      await api.call('PATCH', `/api/v1/devices/${w.a.devices[0].id}`, { body: { busId: w.a.buses[0].id } });
    }
  });

  it('counts accepted and refused fixes in /metrics', async () => {
    const res = await api.app.request('/metrics');
    const text = await res.text();
    expect(text).toMatch(/busguard_fixes_accepted_total\{protocol="json"\} \d+/);
    expect(text).toMatch(/busguard_fixes_rejected_total\{protocol="json",reason="implausible_jump"\} 1/);
    expect(text).toContain('busguard_position_batch_commit_seconds_count');
    expect(text).toMatch(/busguard_ingest_storage_unavailable_total\{protocol="json"\} 1/);
  });
});

describe('OsmAnd over HTTP', () => {
  let deviceId: number;
  beforeAll(async () => {
    const d = await t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, busId: w.a.buses[1].id, protocol: 'osmand', identifier: '123456789012345' },
    });
    deviceId = d.body.id;
  });
  const ts = (s: number) => Math.floor((T0 - 300_000) / 1000) + s;

  it('stores a query-string report with speed in knots', async () => {
    const res = await api.app.request(
      `/osmand/?id=123456789012345&timestamp=${ts(0)}&lat=31.2&lon=121.45&speed=10&bearing=7.2&batt=87`,
      { method: 'POST' },
    );
    expect(res.status).toBe(200);
    const rows = await t.database.query<{ speed_kph: number; attributes: any; bus_id: number }>(
      'select speed_kph, attributes, bus_id from positions where device_id = $1',
      [deviceId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.speed_kph).toBeCloseTo(18.52, 2);
    expect(rows[0]!.bus_id).toBe(w.a.buses[1].id);
  });

  it('reuses the last position for a report without one, marked outdated', async () => {
    const res = await api.app.request(`/osmand/?id=123456789012345&timestamp=${ts(5)}&batt=80`);
    expect(res.status).toBe(200);
    const rows = await t.database.query<{ lat: number; attributes: any }>(
      'select lat, attributes from positions where device_id = $1 order by time',
      [deviceId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]!.lat).toBe(31.2);
    expect(rows[1]!.attributes.outdated).toBe(true);
  });

  it('400 without an id, and for an unregistered device', async () => {
    const noId = await api.app.request('/osmand/?lat=31.2&lon=121.4');
    expect(noId.status).toBe(400);
    const unknown = await api.app.request('/osmand/?id=nobody&lat=31.2&lon=121.4');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.code).toBe('unknown_device');
  });
});

describe('jump filter through the lane', () => {
  it('a wrong first fix after a gap is replaced once three fixes agree with each other, across separate posts', async () => {
    // After more than the jump test's 10-minute gap, a cold-start fix 47 km off becomes the reference.
    const glitch = await post([at(710, { lon: 121.4 + 710 * 0.0001045 + 0.5 })]);
    expect(glitch.body.items[0]).toEqual({ index: 0, status: 'accepted' });
    const answers = [];
    for (const s of [711, 712, 713, 714]) answers.push((await post([at(s)])).body.items[0]);
    expect(answers).toEqual([
      { index: 0, status: 'rejected', reason: 'implausible_jump' },
      { index: 0, status: 'rejected', reason: 'implausible_jump' },
      { index: 0, status: 'accepted' },
      { index: 0, status: 'accepted' },
    ]);
    const times = (await stored(w.a.devices[0].id)).map((r) => Number(r.t));
    expect(times).toEqual(expect.arrayContaining([T0 - 600_000 + 713_000, T0 - 600_000 + 714_000]));
    expect(times).not.toContain(T0 - 600_000 + 711_000);
  });
});
