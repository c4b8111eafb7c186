import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { booleanPointInPolygon } from '@turf/turf';
import { matchWindow, type SegmentMatch } from '../../src/core/geo/route-geometry';
import { type PreparedZone, zonesAt } from '../../src/core/geo/zone-index';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { prepareRoute } from '../../src/core/route';
import { locateOnRoute } from '../../src/core/trip-matching';
import { ll } from './helpers';

// The geometry the engine runs per fix writes into buffers it reuses: a reused buffer must give what a fresh one
// gives, and the zone lookup what an independent point-in-polygon test gives.

const square = (cx: number, cy: number, size: number): [number, number][] => {
  const h = size / 2;
  return [ll(cx - h, cy - h), ll(cx + h, cy - h), ll(cx + h, cy + h), ll(cx - h, cy + h), ll(cx - h, cy - h)];
};

// a zig-zag path with a loop back over itself, zones of mixed sizes (one too large for the grid)
const path: [number, number][] = [
  ll(0, 0),
  ll(1000, 0),
  ll(1000, 800),
  ll(0, 800),
  ll(0, 100),
  ll(2000, 100),
  ll(2500, 1500),
  ll(4000, 1500),
];
const zones = [
  ...Array.from({ length: 40 }, (_, i) => ({
    id: `z${i}`,
    polygon: square((i * 97) % 4000, (i * 53) % 1500, 100 + ((i * 31) % 400)),
    postedLimitKph: 40,
  })),
  { id: 'huge', polygon: square(2000, 800, 30_000), hazard: true },
];
const route = prepareRoute({ id: 'r', path, zones });
const g = route.geometry;
const proj = g.projection;
const pointArb = fc.record({
  x: fc.double({ min: -500, max: 4500, noNaN: true }),
  y: fc.double({ min: -500, max: 2000, noNaN: true }),
});
const xy = (p: { x: number; y: number }) => {
  const [lon, lat] = ll(p.x, p.y);
  return { x: (lon - proj.originLon) * proj.mPerDegLon, y: (lat - proj.originLat) * proj.mPerDegLat };
};

describe('allocation-free geometry', () => {
  it('zonesAt with a reused buffer lists exactly the zones turf finds the point in', () => {
    const buf: PreparedZone[] = [];
    fc.assert(
      fc.property(pointArb, (p) => {
        const { x, y } = xy(p);
        const n = zonesAt(route.zones, x, y, buf);
        const expected = zones
          .filter((z) => booleanPointInPolygon(ll(p.x, p.y), { type: 'Polygon', coordinates: [z.polygon] }))
          .map((z) => z.id)
          .sort();
        expect(
          buf
            .slice(0, n)
            .map((z) => z.def.id)
            .sort(),
        ).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('matchWindow and locateOnRoute give the same answer into a reused object as into a fresh one', () => {
    const out: SegmentMatch = { distanceM: 0, alongM: 0, segment: 0 };
    const loc = { alongM: null as number | null, distanceM: 0 };
    fc.assert(
      fc.property(
        pointArb,
        fc.double({ min: 0, max: g.lengthM, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.option(fc.double({ min: 0, max: g.lengthM, noNaN: true }), { nil: null }),
        fc.integer({ min: 0, max: 60 }),
        (p, from, span, prev, dtS) => {
          const { x, y } = xy(p);
          expect({ ...matchWindow(g, x, y, from, from + span, out) }).toEqual(matchWindow(g, x, y, from, from + span));
          expect({ ...locateOnRoute(g, x, y, prev, dtS, CN_2012, loc) }).toEqual(
            locateOnRoute(g, x, y, prev, dtS, CN_2012),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
