import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseGeoJsonRoute } from '../../../src/ingest/geojson';
import { RouteImportError } from '../../../src/ingest/route-import';

function parseOrRouteImportError(input: unknown): void {
  try {
    const route = parseGeoJsonRoute(input);
    // whatever is accepted is a usable route
    expect(route.name.length).toBeGreaterThan(0);
    expect(route.path.coordinates.length).toBeGreaterThanOrEqual(2);
    route.stops.forEach((s, i) => expect(s.sequence).toBe(i + 1));
  } catch (err) {
    if (!(err instanceof RouteImportError)) throw err;
    expect(['geojson_invalid', 'geojson_stop_off_path']).toContain(err.code);
  }
}

const lon = fc.oneof(fc.double({ min: -180, max: 180, noNaN: true }), fc.double(), fc.constantFrom(145.77, 145.78));
const lat = fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), fc.double(), fc.constantFrom(-16.92, -16.93));
const position = fc.oneof(
  fc.tuple(lon, lat),
  fc.tuple(lon, lat, fc.double()),
  fc.anything(),
  fc.array(lon, { maxLength: 3 }),
);
const props = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.string({ maxLength: 6 }), fc.anything()),
      sequence: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.anything()),
      time: fc.oneof(fc.constantFrom('07:30', '7:05:09', '25:00:00', '07:61'), fc.anything()),
      radiusM: fc.oneof(fc.double(), fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
const geometry = fc.oneof(
  fc.record({ type: fc.constant('LineString'), coordinates: fc.array(position, { maxLength: 5 }) }),
  fc.record({
    type: fc.constant('MultiLineString'),
    coordinates: fc.array(fc.array(position, { maxLength: 3 }), { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('Point'), coordinates: position }),
  fc.record({ type: fc.constantFrom('Polygon', 'GeometryCollection', 'Nope'), coordinates: fc.anything() }),
  fc.anything(),
);
const feature = fc.oneof(
  fc.record({ type: fc.constant('Feature'), id: fc.anything(), properties: props, geometry }),
  fc.anything(),
);
const geojson = fc.oneof(
  fc.record({
    type: fc.constant('FeatureCollection'),
    features: fc.oneof(fc.array(feature, { maxLength: 5 }), fc.anything()),
  }),
  feature,
  geometry,
);

describe('parseGeoJsonRoute on arbitrary input', () => {
  it('throws only RouteImportError on anything at all', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withTypedArray: true }),
        parseOrRouteImportError,
      ),
      {
        numRuns: 500,
      },
    );
  });

  it('throws only RouteImportError on GeoJSON-shaped input with odd members', () => {
    fc.assert(fc.property(geojson, parseOrRouteImportError), { numRuns: 1000 });
  });

  it('throws only RouteImportError on arbitrary JSON text', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), parseOrRouteImportError), { numRuns: 300 });
  });
});
