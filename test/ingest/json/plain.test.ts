// The plain reader of partner positions agrees with the schema: whatever it reads, the schema accepts with the
// same result; everything else is left to the schema.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainPosition } from '../../../src/ingest/json/plain';
import {
  type NumberRange,
  POSITION_NUMBERS,
  POSITION_TIME_MS,
  telemetryPositionSchema,
} from '../../../src/ingest/json/schema';

const T = Date.parse('2026-09-01T07:00:00+08:00');

describe('plainPosition', () => {
  it('reads the common position (epoch-ms time, numbers only) without the schema', () => {
    const item = { time: T, lat: 31.2, lon: 121.5, speedKph: 42.5, headingDeg: 359.9, altitudeM: 12, satellites: 9 };
    expect(plainPosition(item)).toEqual(item);
    expect(plainPosition({ time: T, lat: -90, lon: 180, accuracyM: 0 })).toEqual({
      time: T,
      lat: -90,
      lon: 180,
      accuracyM: 0,
    });
  });

  it('leaves to the schema: ISO times, alarms, attributes, ids, out-of-range values, unknown keys', () => {
    for (const item of [
      { time: '2026-09-01T07:00:00+08:00', lat: 31, lon: 121 },
      { time: T, lat: 31, lon: 121, alarms: ['sos'] },
      { time: T, lat: 31, lon: 121, attributes: { a: 1 } },
      { time: T, lat: 31, lon: 121, id: 'p1' },
      { time: T, lat: 91, lon: 121 },
      { time: T, lat: 31, lon: 121, headingDeg: 360 },
      { time: T, lat: 31, lon: 121, satellites: 3.5 },
      { time: T + 0.5, lat: 31, lon: 121 },
      { time: T, lat: 31, lon: 121, speedKmh: 40 },
      { time: T, lat: 31 },
      [T, 31, 121],
      null,
    ])
      expect(plainPosition(item), JSON.stringify(item)).toBeUndefined();
  });

  it('for any item: what it reads, the schema accepts with the same result', () => {
    // Each field: its bounds and their neighbours, values inside and around its range, and junk.
    const around = (r: NumberRange) => {
      const hi = r.max ?? r.below ?? 1e6;
      const inside = r.int
        ? fc.integer({ min: r.min, max: Math.min(hi, 2 ** 53 - 1) })
        : fc.double({ min: r.min, max: hi, maxExcluded: r.below !== undefined, noNaN: true });
      return fc.oneof(
        { arbitrary: inside, weight: 12 },
        { arbitrary: fc.constantFrom(r.min, r.min - 1, r.min + 0.5, hi, hi - 0.5, hi + 1, -0, 2 ** 53), weight: 2 },
        { arbitrary: fc.double({ min: r.min - 10, max: hi + 10, noNaN: true }), weight: 1 },
        { arbitrary: fc.constantFrom(null, true, '1', [], {}), weight: 1 },
      );
    };
    const fields = Object.fromEntries(
      [...Object.entries(POSITION_NUMBERS), ['time', POSITION_TIME_MS] as const].map(([k, r]) => [k, around(r)]),
    );
    const extra = fc.dictionary(fc.constantFrom('x', 'id', 'heading', '__proto__'), fc.integer(), { maxKeys: 1 });
    let read = 0;
    fc.assert(
      fc.property(fc.record(fields, { requiredKeys: [] }), fc.boolean(), extra, (item, withCore, more) => {
        const raw = { ...(withCore ? { time: T, lat: 31, lon: 121 } : {}), ...item, ...more };
        const plain = plainPosition(raw);
        if (plain === undefined) return;
        read++;
        const parsed = telemetryPositionSchema.safeParse(raw);
        expect(parsed.success, JSON.stringify(raw)).toBe(true);
        expect(plain).toEqual(parsed.data);
      }),
      { numRuns: 5000 },
    );
    expect(read).toBeGreaterThan(100); // the property is not vacuous
  });
});
