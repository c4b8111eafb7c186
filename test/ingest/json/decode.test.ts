import { describe, expect, it } from 'vitest';
import { decodeJsonBatch, telemetryBatchSchema } from '../../../src/ingest/json';

describe('partner JSON batch', () => {
  it('accepts good items, rejects bad ones with a reason, keeps the order', () => {
    const r = decodeJsonBatch(
      {
        positions: [
          {
            time: '2024-09-02T07:35:10+08:00',
            lat: 31.23,
            lon: 121.47,
            speedKph: 40,
            headingDeg: 90,
            altitudeM: 12,
            accuracyM: 4,
            satellites: 11,
            alarms: ['overspeed'],
            attributes: { door: 'open', odometerKm: 12.5, acc: true },
            id: 'p-1',
          },
          { time: 1725233710000, lat: 95, lon: 0 },
          { time: 'yesterday', lat: 1, lon: 1 },
          { time: 1725233710000, lat: 1, lon: 1, speedKmh: 3 },
          { time: 1725233711000, lat: -33.9, lon: 18.4 },
        ],
      },
      'partner-bus-9',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.results.map((x) => x.status)).toEqual(['accepted', 'rejected', 'rejected', 'rejected', 'accepted']);
    expect(r.results[1]).toMatchObject({ index: 1, status: 'rejected', reason: expect.stringContaining('lat') });
    expect(r.results[2]).toMatchObject({ reason: expect.stringContaining('time') });
    expect(r.results[3]).toMatchObject({ reason: expect.stringContaining('speedKmh') });
    expect(r.fixes).toHaveLength(2);
    expect(r.fixes[0]).toEqual({
      deviceId: 'partner-bus-9',
      protocol: 'json',
      timeMs: Date.parse('2024-09-01T23:35:10Z'),
      lat: 31.23,
      lon: 121.47,
      speedKph: 40,
      headingDeg: 90,
      altitudeM: 12,
      accuracyM: 4,
      satellites: 11,
      valid: true,
      alarms: ['overspeed'],
      attributes: { door: 'open', odometerKm: 12.5, acc: true, positionId: 'p-1' },
    });
    expect(r.fixes[1]!.timeMs).toBe(1725233711000);
  });

  it('a body that is not the envelope is one error', () => {
    for (const body of [
      null,
      'x',
      [],
      {},
      { positions: [] },
      { positions: 'x' },
      { positions: new Array(1001).fill({}) },
    ]) {
      const r = decodeJsonBatch(body, 'd');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid_body');
    }
  });

  it('accepts exactly 1000 items; the documentation schema agrees', () => {
    const positions = Array.from({ length: 1000 }, (_, i) => ({ time: 1_700_000_000_000 + i * 1000, lat: 1, lon: 2 }));
    const r = decodeJsonBatch({ positions }, 'd');
    expect(r.ok && r.fixes.length).toBe(1000);
    expect(telemetryBatchSchema.safeParse({ positions }).success).toBe(true);
  });
});
