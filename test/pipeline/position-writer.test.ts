// The position writer's statement on both databases: every column round-trips (attributes with quotes,
// backslashes and non-ASCII text, rows without attributes, absent optional values), a row already stored is
// ignored (exactly once), and rows of many callers committed together each resolve their own caller, a slice of them
// per turn of the event loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/pipeline/metrics';
import { PositionWriter, type PositionRow } from '../../src/pipeline/position-writer';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);

function row(deviceId: number, k: number, extra: Partial<PositionRow> = {}): PositionRow {
  return {
    busId: 100 + deviceId,
    deviceId,
    timeMs: T0 + k * 1000,
    receivedMs: T0 + k * 1000 + 250,
    lat: 22.5 + k * 1e-6,
    lon: 113.9 - k * 1e-6,
    speedKph: 36.5,
    headingDeg: 90,
    altitudeM: 12,
    satellites: 9,
    alarms: [],
    acc: true,
    doorOpen: false,
    late: false,
    blindArea: false,
    attributes: { mileageKm: 1234.5 },
    ...extra,
  };
}

interface Stored {
  bus_id: number;
  device_id: number;
  time: Date;
  received_at: Date;
  lat: number;
  lon: number;
  speed_kph: number | null;
  heading_deg: number | null;
  altitude_m: number | null;
  accuracy_m: number | null;
  satellites: number | null;
  alarms: string[] | null;
  acc: boolean | null;
  door_open: boolean | null;
  late: boolean;
  blind_area: boolean;
  attributes: Record<string, unknown> | null;
}

const read = (deviceId: number) =>
  database.query<Stored>('select * from positions where device_id = $1 order by time', [deviceId]);

describe('position writer', () => {
  it('stores every column as given', async () => {
    const writer = new PositionWriter(database, new Metrics());
    const odd = {
      note: 'quote " backslash \\ tab \t brace {x,y} 校车',
      nested: { list: [1, 'two', null] },
      flag: false,
    };
    await writer.write([
      row(1, 0),
      row(1, 1, { attributes: odd, alarms: ['overspeed', 'sos'], late: true, blindArea: true, doorOpen: true }),
      row(1, 2, {
        attributes: null,
        speedKph: undefined,
        headingDeg: undefined,
        altitudeM: undefined,
        satellites: undefined,
        acc: undefined,
        doorOpen: undefined,
        accuracyM: 4.5,
      }),
      row(1, 3, { attributes: {} }),
    ]);
    const rows = await read(1);
    expect(rows).toHaveLength(4);
    expect(new Date(rows[0]!.time).getTime()).toBe(T0);
    expect(new Date(rows[0]!.received_at).getTime()).toBe(T0 + 250);
    expect(rows[0]).toMatchObject({
      bus_id: 101,
      device_id: 1,
      speed_kph: 36.5,
      heading_deg: 90,
      altitude_m: 12,
      accuracy_m: null,
      satellites: 9,
      alarms: null,
      acc: true,
      door_open: false,
      late: false,
      blind_area: false,
      attributes: { mileageKm: 1234.5 },
    });
    expect(rows[0]!.lat).toBe(22.5);
    expect(rows[1]).toMatchObject({
      alarms: ['overspeed', 'sos'],
      late: true,
      blind_area: true,
      door_open: true,
      attributes: odd,
    });
    expect(rows[2]).toMatchObject({
      speed_kph: null,
      heading_deg: null,
      altitude_m: null,
      accuracy_m: 4.5,
      satellites: null,
      acc: null,
      door_open: null,
      attributes: null,
    });
    expect(rows[3]!.attributes).toBeNull();
  });

  it('ignores rows already stored, and resolves every caller of a shared statement', async () => {
    const writer = new PositionWriter(database, new Metrics(), { maxDelayMs: 20 });
    await writer.write([row(2, 0), row(2, 1)]);
    // Three callers in one group commit; the first resends a stored row with other values.
    const settled = await Promise.allSettled([
      writer.write([row(2, 1, { lat: 0, lon: 0 }), row(2, 2)]),
      writer.write([row(3, 0, { attributes: null })]),
      writer.write(Array.from({ length: 500 }, (_, k) => row(4, k))),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const two = await read(2);
    expect(two.map((r) => new Date(r.time).getTime() - T0)).toEqual([0, 1000, 2000]);
    expect(two[1]!.lat).toBeCloseTo(22.5 + 1e-6, 9);
    expect(await read(3)).toHaveLength(1);
    const four = await read(4);
    expect(four).toHaveLength(500);
    expect(four.every((r, k) => new Date(r.time).getTime() === T0 + k * 1000 && r.bus_id === 104)).toBe(true);
    await writer.close();
  });

  it('acknowledges the callers of one commit a slice per turn of the event loop', async () => {
    const writer = new PositionWriter(database, new Metrics(), { maxDelayMs: 20 });
    let settled = 0;
    let seenByFirst: number | undefined;
    const writes = Array.from({ length: 100 }, (_, k) =>
      writer.write([row(5, k)]).then(async () => {
        settled++;
        if (k > 0) return;
        // Every promise job of this turn has run after a few ticks: the callers settled so far are the first slice.
        for (let i = 0; i < 10; i++) await Promise.resolve();
        seenByFirst = settled;
      }),
    );
    // close() returns once every caller is settled, the last slices included.
    await writer.close();
    expect(settled).toBe(100);
    await Promise.all(writes);
    expect(seenByFirst).toBe(32);
    expect(settled).toBe(100);
    expect(await read(5)).toHaveLength(100);
  });
});
