// Issue 18.5: values that pass validation must not break the write. Every ingest path refuses what its columns
// cannot hold (float4 overflow and underflow, U+0000, lone surrogates), fixes dated 1970 or year 1 and impossible
// speeds, each with its own reason (counted in /metrics, kept in rejected_fixes); and a group commit the database
// still refuses for a data error is split so that every other fix in it commits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsToBcd } from '../../src/ingest/jt808/bcd';
import { decodePositionBody } from '../../src/ingest/jt808/msg-0200-position';
import { Metrics } from '../../src/pipeline/metrics';
import { PositionWriter, type PositionRow } from '../../src/pipeline/position-writer';
import type { TestApp } from '../helpers/app';
import { type IngestWorld, setupIngestWorld, teardownIngestWorld } from '../helpers/ingest-app';
import type { World } from '../helpers/world';

let t: TestApp;
let w: World;
let api: IngestWorld['api'];
let world: IngestWorld | undefined;
const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);

beforeAll(async () => {
  world = await setupIngestWorld(T0);
  ({ t, w, api } = world);
});
afterAll(() => teardownIngestWorld(world));

const post = (positions: unknown[]) =>
  api.call('POST', '/api/v1/telemetry/positions', { token: w.tokens.deviceA1, body: { positions } });
const at = (s: number, extra: Record<string, unknown> = {}) => ({
  time: new Date(T0 - 600_000 + s * 1000).toISOString(),
  lat: 31.2,
  lon: 121.4 + s * 0.0001,
  speedKph: 30,
  ...extra,
});
const countStored = async (deviceId: number) =>
  Number(
    (
      await t.database.query<{ n: number }>('select count(*)::int as n from positions where device_id = $1', [deviceId])
    )[0]!.n,
  );
const auditReasons = async (deviceId: number) =>
  (
    await t.database.query<{ reason: string }>('select reason from rejected_fixes where device_id = $1 order by id', [
      deviceId,
    ])
  ).map((r) => r.reason);
const metric = async (reason: string, protocol: string) => {
  const text = await (await api.app.request('/metrics')).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('busguard_fixes_rejected_total{') &&
        l.includes(`reason="${reason}"`) &&
        l.includes(`protocol="${protocol}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('no poison in the batch: validation matches the columns', () => {
  it('partner JSON: each unstorable item is refused with its own reason; the good ones in the batch are stored', async () => {
    const deviceId = w.a.devices[0].id;
    const r = await post([
      at(0),
      at(1, { accuracyM: 1e39 }), // overflows a real
      at(2, { accuracyM: 1e-50 }), // underflows a real
      at(3, { alarms: ['sos\u0000'] }),
      at(4, { attributes: { note: 'half \ud800 a pair' } }),
      at(5, { attributes: { ['key\u0000']: 1 } }),
      { ...at(6), time: 0 }, // 1970
      { ...at(7), time: '0001-01-01T00:00:00Z' }, // year 1
      at(8, { speedKph: 900 }),
      at(9),
    ]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items.map((i: { status: string; reason?: string }) => i.reason ?? i.status)).toEqual([
      'accepted',
      'out_of_range_value',
      'out_of_range_value',
      'invalid_text',
      'invalid_text',
      'invalid_text',
      'implausible_time',
      'implausible_time',
      'implausible_speed',
      'accepted',
    ]);
    expect(await countStored(deviceId)).toBe(2);
    await expect.poll(() => auditReasons(deviceId)).toHaveLength(8);
    expect(await auditReasons(deviceId)).toEqual(
      expect.arrayContaining(['out_of_range_value', 'invalid_text', 'implausible_time', 'implausible_speed']),
    );
    // The audit copy is itself storable: the bad characters became U+FFFD.
    const [audit] = await t.database.query<{ fix: { alarms: string[] } }>(
      "select fix from rejected_fixes where device_id = $1 and reason = 'invalid_text' order by id limit 1",
      [deviceId],
    );
    expect(audit!.fix.alarms).toEqual(['sos\ufffd']);
    expect(await metric('out_of_range_value', 'json')).toBe(2);
    expect(await metric('invalid_text', 'json')).toBe(3);
    expect(await metric('implausible_time', 'json')).toBe(2);
    expect(await metric('implausible_speed', 'json')).toBe(1);
  });

  it('OsmAnd without a credential: accuracy=1e39 is refused with a reason, not 503; an id with U+0000 is a 400', async () => {
    const device = await t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, busId: w.a.buses[1].id, protocol: 'osmand', identifier: 'phone-poison' },
    });
    expect(device.status).toBe(201);
    const ts = Math.floor((T0 - 60_000) / 1000);
    const bad = await api.app.request(`/osmand?id=phone-poison&lat=31.2&lon=121.45&timestamp=${ts}&accuracy=1e39`, {
      method: 'POST',
    });
    expect(bad.status).toBe(200);
    expect(await bad.json()).toMatchObject({ accepted: 0, rejected: ['out_of_range_value'] });
    const good = await api.app.request(`/osmand?id=phone-poison&lat=31.2&lon=121.45&timestamp=${ts + 1}&accuracy=8`, {
      method: 'POST',
    });
    expect(good.status).toBe(200);
    expect(await countStored(device.body.id)).toBe(1);
    const nul = await api.app.request('/osmand?id=phone%00poison&lat=31.2&lon=121.45', { method: 'POST' });
    expect(nul.status).toBe(400);
    expect((await nul.json()).error.code).toBe('bad_id');
    expect(await metric('out_of_range_value', 'osmand')).toBe(1);
  });

  it('JT/T 808: a speed word of 0xFFFF (6,553.5 km/h) is refused as implausible_speed', async () => {
    const body = new Uint8Array(28);
    const view = new DataView(body.buffer);
    view.setUint32(4, 0x0002); // status: GNSS fix
    view.setUint32(8, 31_200_000);
    view.setUint32(12, 121_450_000);
    view.setUint16(18, 0xffff);
    const local = new Date(T0 - 30_000 + 8 * 3_600_000); // GMT+8 wall clock
    const digits = local.toISOString().replace(/\D/g, '').slice(2, 14);
    body.set(digitsToBcd(digits, 6), 22);
    const errors: { code: string; message: string }[] = [];
    const fix = decodePositionBody(body, 0, 28, { deviceId: 'jt-poison', version: 2013 }, errors);
    expect(errors).toEqual([]);
    expect(fix!.speedKph).toBe(6553.5);
    const device = (await api.ingest.directory.byId(w.a.devices[1].id))!;
    const before = await countStored(device.deviceId);
    const result = await api.ingest.submitFixes(
      device,
      [fix!, { ...fix!, timeMs: fix!.timeMs + 1000, speedKph: 42 }],
      T0,
    );
    expect(result.outcomes).toEqual([
      { status: 'rejected', reason: 'implausible_speed' },
      { status: 'accepted', late: false },
    ]);
    expect(await countStored(device.deviceId)).toBe(before + 1);
  });
});

describe('a group commit the database refuses is split: the bad rows alone are refused', () => {
  const row = (deviceId: number, k: number, extra: Partial<PositionRow> = {}): PositionRow => ({
    busId: 9000 + deviceId,
    deviceId: 9000 + deviceId,
    timeMs: T0 + k * 1000,
    receivedMs: T0 + k * 1000,
    lat: 31.2,
    lon: 121.4,
    alarms: [],
    late: false,
    blindArea: false,
    attributes: null,
    ...extra,
  });

  it('three callers in one statement, one row out of range: the other callers commit and only that row is refused', async () => {
    const metrics = new Metrics();
    const writer = new PositionWriter(t.database, metrics, { maxDelayMs: 30 });
    const [a, b, c] = await Promise.all([
      writer.write([row(1, 0), row(1, 1)]),
      writer.write([row(2, 0), row(2, 1, { accuracyM: 1e39 }), row(2, 2)]),
      writer.write([row(3, 0)]),
    ]);
    expect(a.refused).toEqual([]);
    expect(c.refused).toEqual([]);
    expect(b.refused).toHaveLength(1);
    expect(b.refused[0]!.index).toBe(1);
    expect(b.refused[0]!.error).toMatch(/out of range.*SQLSTATE 22003/);
    const n = await t.database.query<{ d: number; n: number }>(
      'select device_id as d, count(*)::int as n from positions where device_id in (9001, 9002, 9003) group by device_id order by device_id',
    );
    expect(n.map((r) => [Number(r.d), Number(r.n)])).toEqual([
      [9001, 2],
      [9002, 2],
      [9003, 1],
    ]);
    expect(metrics.render()).toMatch(/busguard_position_rows_refused_total 1/);
    await writer.close();
  });

  it('through the pipeline: a row refused by a constraint is rejected with the database error; the batch and other devices commit', async () => {
    // A data rule the filters do not know about, as a later schema change might add.
    await t.database.query(
      'alter table positions add constraint test_no_altitude_4321 check (altitude_m is distinct from 4321)',
    );
    try {
      const a1 = (await api.ingest.directory.byId(w.a.devices[0].id))!;
      const b1 = (await api.ingest.directory.byId(w.b.devices[0].id))!;
      const beforeA = await countStored(a1.deviceId);
      const beforeB = await countStored(b1.deviceId);
      const fix = (s: number, extra: Record<string, unknown> = {}) => ({
        deviceId: 'x',
        protocol: 'json' as const,
        timeMs: T0 - 100_000 + s * 1000,
        lat: 31.2,
        lon: 121.4 + s * 0.0001,
        valid: true,
        alarms: [],
        attributes: {},
        ...extra,
      });
      const [ra, rb] = await Promise.all([
        api.ingest.submitFixes(a1, [fix(0), fix(1, { altitudeM: 4321 }), fix(2)], T0),
        api.ingest.submitFixes(b1, [fix(0), fix(1)], T0),
      ]);
      expect(ra.outcomes).toEqual([
        { status: 'accepted', late: false },
        { status: 'rejected', reason: 'database_refused' },
        { status: 'accepted', late: false },
      ]);
      expect(rb.outcomes.every((o) => o.status === 'accepted')).toBe(true);
      expect(await countStored(a1.deviceId)).toBe(beforeA + 2);
      expect(await countStored(b1.deviceId)).toBe(beforeB + 2);
      await expect
        .poll(
          async () =>
            (
              await t.database.query<{ fix: { databaseError: string } }>(
                "select fix from rejected_fixes where reason = 'database_refused'",
              )
            )[0]?.fix.databaseError,
        )
        .toMatch(/SQLSTATE 23514/);
      // A corrected resend of the refused fix (same time) is stored, not taken for a duplicate.
      const again = await api.ingest.submitFixes(a1, [fix(1, { altitudeM: 12 })], T0);
      expect(again.outcomes).toEqual([{ status: 'accepted', late: true }]);
      expect(await countStored(a1.deviceId)).toBe(beforeA + 3);
      expect(await metric('database_refused', 'json')).toBe(1);
    } finally {
      await t.database.query('alter table positions drop constraint test_no_altitude_4321');
    }
  });
});
