import { describe, expect, it } from 'vitest';
import { parseGeoJsonRoute } from '../../../src/ingest/geojson';
import { RouteImportError } from '../../../src/ingest/route-import';

function errorOf(fn: () => unknown): RouteImportError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RouteImportError) return err;
    throw err;
  }
  throw new Error('expected a RouteImportError');
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  const e = errorOf(fn);
  expect(e.code).toBe('geojson_invalid');
  return e.details as { path: string; message: string }[];
}

// An L-shaped street: 0.01° east (≈ 1.06 km at 17° S) then 0.01° south (≈ 1.11 km).
const L_PATH: [number, number][] = [
  [145.77, -16.92],
  [145.78, -16.92],
  [145.78, -16.93],
];

function line(props: Record<string, unknown> = { name: 'Esplanade Loop' }, coordinates: unknown = L_PATH) {
  return { type: 'Feature', id: 'line-1', properties: props, geometry: { type: 'LineString', coordinates } };
}

function stop(lon: number, lat: number, props: Record<string, unknown>, id?: string | number) {
  return {
    type: 'Feature',
    ...(id !== undefined ? { id } : {}),
    properties: props,
    geometry: { type: 'Point', coordinates: [lon, lat] },
  };
}

function collection(...features: unknown[]) {
  return { type: 'FeatureCollection', features };
}

describe('parseGeoJsonRoute happy paths', () => {
  it('reads a FeatureCollection: path, stops in path order, times and radius', () => {
    const route = parseGeoJsonRoute(
      collection(
        // listed out of order, with no sequence: ordered by distance along the path
        stop(145.7801, -16.929, { name: 'School Gate', time: '7:40', radiusM: 40 }, 3),
        line(),
        stop(145.7705, -16.9201, { name: 'Depot', scheduledTime: '07:25:30', code: 'D1' }, 'stop-depot'),
        stop(145.7799, -16.9205, { name: 'Corner Shop' }),
      ),
    );
    expect(route).toEqual({
      name: 'Esplanade Loop',
      externalId: 'line-1',
      path: { type: 'LineString', coordinates: L_PATH },
      stops: [
        {
          name: 'Depot',
          lat: -16.9201,
          lon: 145.7705,
          sequence: 1,
          scheduledTime: '07:25:30',
          code: 'D1',
          externalId: 'stop-depot',
        },
        { name: 'Corner Shop', lat: -16.9205, lon: 145.7799, sequence: 2 },
        {
          name: 'School Gate',
          lat: -16.929,
          lon: 145.7801,
          sequence: 3,
          scheduledTime: '07:40:00',
          radiusM: 40,
          externalId: '3',
        },
      ],
    });
  });

  it('orders by the given sequence when every stop has one', () => {
    const route = parseGeoJsonRoute(
      collection(
        line(),
        stop(145.7705, -16.9201, { name: 'First by path', sequence: 20 }),
        stop(145.7801, -16.929, { name: 'Last by path', sequence: 5 }),
      ),
    );
    expect(route.stops.map((s) => [s.name, s.sequence])).toEqual([
      ['Last by path', 1],
      ['First by path', 2],
    ]);
  });

  it('orders a stop on the second leg after one on the first leg even when it is nearer the start as the crow flies', () => {
    // a U-shaped path: east, south, back west; the return-leg stop is 110 m from the start point
    const u: [number, number][] = [
      [145.77, -16.92],
      [145.78, -16.92],
      [145.78, -16.921],
      [145.77, -16.921],
    ];
    const route = parseGeoJsonRoute(
      collection(
        line({ name: 'U' }, u),
        stop(145.7701, -16.921, { name: 'Return leg' }),
        stop(145.775, -16.92, { name: 'Outbound' }),
      ),
    );
    expect(route.stops.map((s) => s.name)).toEqual(['Outbound', 'Return leg']);
  });

  it('accepts a bare LineString with opts.name, dropping altitude and repeated points', () => {
    const route = parseGeoJsonRoute(
      {
        type: 'LineString',
        coordinates: [
          [145.77, -16.92, 5],
          [145.77, -16.92],
          [145.78, -16.92, 7],
        ],
      },
      { name: '  Morning run  ' },
    );
    expect(route).toEqual({
      name: 'Morning run',
      path: {
        type: 'LineString',
        coordinates: [
          [145.77, -16.92],
          [145.78, -16.92],
        ],
      },
      stops: [],
    });
  });

  it('accepts a single Feature and prefers opts.name over properties.name', () => {
    expect(parseGeoJsonRoute(line({ name: 'From file', shortName: 'R7' })).shortName).toBe('R7');
    expect(parseGeoJsonRoute(line({ name: 'From file' }), { name: 'Chosen' }).name).toBe('Chosen');
  });

  it('accepts JSON text', () => {
    expect(parseGeoJsonRoute(JSON.stringify(line())).path.coordinates).toEqual(L_PATH);
  });

  it('joins MultiLineString parts that meet end to start', () => {
    const route = parseGeoJsonRoute({
      type: 'Feature',
      properties: { name: 'Two legs' },
      geometry: {
        type: 'MultiLineString',
        coordinates: [
          [L_PATH[0], L_PATH[1]],
          [L_PATH[1], L_PATH[2]],
        ],
      },
    });
    expect(route.path.coordinates).toEqual(L_PATH);
  });
});

describe('parseGeoJsonRoute rejects malformed input with geojson_invalid and where it is', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 42, '$', /expected a GeoJSON object/],
    ['null', null, '$', /expected a GeoJSON object/],
    ['unknown type', { type: 'Topology' }, '$.type', /FeatureCollection, Feature or LineString/],
    ['features not an array', { type: 'FeatureCollection', features: {} }, '$.features', /array of features/],
    ['bare Point', { type: 'Point', coordinates: [1, 2] }, '$.type', /expected a FeatureCollection/],
    [
      'a member that is not a Feature',
      collection(line(), { type: 'Point', coordinates: [1, 2] }),
      '$.features[1]',
      /expected a Feature/,
    ],
    [
      'Feature without geometry',
      collection(line(), { type: 'Feature', properties: {}, geometry: null }),
      '$.features[1].geometry',
      /geometry object/,
    ],
    [
      'Polygon feature',
      collection(line(), { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [] } }),
      '$.features[1].geometry.type',
      /unsupported geometry type "Polygon"/,
    ],
    [
      'properties not an object',
      collection({ ...line(), properties: 'x' }),
      '$.features[0].properties',
      /object or null/,
    ],
    [
      'longitude out of range',
      collection(
        line({ name: 'x' }, [
          [145.77, -16.92],
          [190, -16.92],
        ]),
      ),
      '$.features[0].geometry.coordinates[1][0]',
      /longitude 190 is outside/,
    ],
    [
      'latitude out of range',
      collection(
        line({ name: 'x' }, [
          [145.77, -16.92],
          [145.78, -91],
        ]),
      ),
      '$.features[0].geometry.coordinates[1][1]',
      /latitude -91 is outside/,
    ],
    [
      'non-finite number',
      collection(
        line({ name: 'x' }, [
          [145.77, -16.92],
          [Number.NaN, -16.9],
        ]),
      ),
      '$.features[0].geometry.coordinates[1][0]',
      /finite number/,
    ],
    [
      'coordinate given as text',
      collection(
        line({ name: 'x' }, [
          [145.77, -16.92],
          ['145.78', -16.9],
        ]),
      ),
      '$.features[0].geometry.coordinates[1][0]',
      /finite number, got "145.78"/,
    ],
    [
      'position too short',
      collection(line({ name: 'x' }, [[145.77, -16.92], [145.78]])),
      '$.features[0].geometry.coordinates[1]',
      /expected a position/,
    ],
    [
      'coordinates not an array',
      collection(line({ name: 'x' }, 'abc')),
      '$.features[0].geometry.coordinates',
      /array of positions/,
    ],
    [
      'one distinct position',
      collection(
        line({ name: 'x' }, [
          [145.77, -16.92],
          [145.77, -16.92],
        ]),
      ),
      '$.features[0].geometry.coordinates',
      /at least 2 distinct positions, found 1/,
    ],
    ['no line at all', collection(stop(145.77, -16.92, { name: 'Lonely' })), '$', /no LineString/],
    ['two lines', collection(line(), line()), '$', /found 2 lines/],
    ['route without a name', line({}), '$.properties.name', /no name/],
    [
      'stop without a name',
      collection(line(), stop(145.775, -16.92, {})),
      '$.features[1].properties.name',
      /needs a name/,
    ],
    [
      'stop with a bad time',
      collection(line(), stop(145.775, -16.92, { name: 'A', time: '7pm' })),
      '$.features[1].properties.time',
      /HH:MM/,
    ],
    [
      'stop with minutes 60',
      collection(line(), stop(145.775, -16.92, { name: 'A', scheduledTime: '07:60' })),
      '$.features[1].properties.scheduledTime',
      /HH:MM/,
    ],
    [
      'stop with a negative radius',
      collection(line(), stop(145.775, -16.92, { name: 'A', radiusM: -5 })),
      '$.features[1].properties.radiusM',
      /positive number/,
    ],
    [
      'stop with a fractional sequence',
      collection(line(), stop(145.775, -16.92, { name: 'A', sequence: 1.5 })),
      '$.features[1].properties.sequence',
      /whole number/,
    ],
    [
      'stop with bad coordinates',
      collection(line(), stop(145.775, 95, { name: 'A' })),
      '$.features[1].geometry.coordinates[1]',
      /latitude 95/,
    ],
    [
      'stops with a repeated sequence',
      collection(
        line(),
        stop(145.775, -16.92, { name: 'A', sequence: 1 }),
        stop(145.776, -16.92, { name: 'B', sequence: 1 }),
      ),
      '$.features[2].properties.sequence',
      /repeats/,
    ],
    [
      'stops with and without sequence',
      collection(line(), stop(145.775, -16.92, { name: 'A', sequence: 1 }), stop(145.776, -16.92, { name: 'B' })),
      '$.features[2].properties.sequence',
      /every stop a sequence or none/,
    ],
    [
      'MultiLineString parts that do not meet',
      {
        type: 'Feature',
        properties: { name: 'x' },
        geometry: {
          type: 'MultiLineString',
          coordinates: [
            [L_PATH[0], L_PATH[1]],
            [L_PATH[2], [145.79, -16.93]],
          ],
        },
      },
      '$.geometry.coordinates[1][0]',
      /does not start where part 0 ends/,
    ],
    ['invalid JSON text', '{"type": "Feature",', '$', /not valid JSON/],
  ])('%s', (_label, input, path, message) => {
    const issues = issuesOf(() => parseGeoJsonRoute(input));
    const hit = issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('lists every problem, not only the first, and summarises them in the message', () => {
    const e = errorOf(() =>
      parseGeoJsonRoute(
        collection(
          line({}, [
            [200, 0],
            [0, 100],
          ]),
          stop(0, 0, {}),
        ),
      ),
    );
    expect(e.code).toBe('geojson_invalid');
    const paths = (e.details as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$.features[0].geometry.coordinates[0][0]',
        '$.features[0].geometry.coordinates[1][1]',
        '$.features[1].properties.name',
      ]),
    );
    expect(e.message).toMatch(
      /^GeoJSON route is invalid: \$\.features\[0\]\.geometry\.coordinates\[0\]\[0\]: longitude 200/,
    );
  });
});

describe('stops far from the path', () => {
  it('rejects a stop more than 500 m away with geojson_stop_off_path naming it and its distance', () => {
    const e = errorOf(() =>
      parseGeoJsonRoute(
        collection(
          line(),
          stop(145.775, -16.9201, { name: 'On street' }),
          // 0.006° north of the first leg ≈ 667 m
          stop(145.775, -16.914, { name: 'Far Away' }),
        ),
      ),
    );
    expect(e.code).toBe('geojson_stop_off_path');
    expect(e.message).toContain('Far Away');
    expect(e.details).toEqual([{ path: '$.features[2].geometry', name: 'Far Away', offsetM: 667 }]);
  });

  it('accepts a stop 400 m from the path', () => {
    // 0.0036° north of the first leg ≈ 400 m
    const route = parseGeoJsonRoute(collection(line(), stop(145.775, -16.9164, { name: 'Across the park' })));
    expect(route.stops).toHaveLength(1);
  });
});
