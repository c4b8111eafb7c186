import { describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import {
  gtfsRoute,
  gtfsRoutes,
  listGtfsRoutes,
  readGtfsFiles,
  readGtfsZip,
  type GtfsFeed,
} from '../../../src/ingest/gtfs';
import { RouteImportError } from '../../../src/ingest/route-import';
import { readGoogleSampleFiles, tinyFeedFiles } from './helpers';

function codeOf(fn: () => unknown): { code: string; message: string; details: unknown } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RouteImportError);
    const e = err as RouteImportError;
    return { code: e.code, message: e.message, details: e.details };
  }
  throw new Error('expected a RouteImportError');
}

function withFiles(changes: Record<string, string | undefined>): GtfsFeed {
  const files: Record<string, string> = { ...tinyFeedFiles() };
  for (const [name, text] of Object.entries(changes)) {
    if (text === undefined) delete files[name];
    else files[name] = text;
  }
  return readGtfsFiles(files);
}

describe('tiny feed', () => {
  const feed = readGtfsFiles(tinyFeedFiles());

  it('imports a route: path by numeric sequence, stops by numeric stop_sequence, first trip by trip_id', () => {
    const route = gtfsRoute(feed, { routeId: 'R1' });
    expect(route).toEqual({
      name: 'Maple School Loop',
      shortName: '7',
      externalId: 'R1',
      shapeId: 'S1',
      tripId: 'T1', // T2 comes first in trips.txt, T1 first by id
      path: {
        type: 'LineString',
        coordinates: [
          [-75, 40],
          [-75, 40.005],
          [-75, 40.01],
        ],
      },
      stops: [
        { name: 'Oak Ave', lat: 40, lon: -75, sequence: 1, externalId: 'A', code: '101', scheduledTime: '07:05:00' },
        // empty arrival_time falls back to departure_time
        { name: 'Pine St', lat: 40.005, lon: -75, sequence: 2, externalId: 'B', scheduledTime: '07:11:00' },
        // stop_sequence 10 after 5 (numeric), quoted name with a comma, time past midnight kept
        {
          name: 'School Gate, North',
          lat: 40.01,
          lon: -75,
          sequence: 3,
          externalId: 'C',
          code: '103',
          scheduledTime: '24:15:00',
        },
      ],
    });
  });

  it('selects by tripId and by shapeId', () => {
    const byTrip = gtfsRoute(feed, { tripId: 'T2' });
    expect(byTrip.tripId).toBe('T2');
    expect(byTrip.stops.map((s) => [s.externalId, s.scheduledTime])).toEqual([
      ['A', '08:05:00'],
      ['C', '08:20:00'],
    ]);
    const byShape = gtfsRoute(feed, { shapeId: 'S2' });
    expect(byShape).toMatchObject({ tripId: 'T3', externalId: 'R1', shapeId: 'S2' });
    expect(byShape.stops.map((s) => s.externalId)).toEqual(['C', 'A']);
    expect(gtfsRoute(feed, { routeId: 'R1', shapeId: 'S2' }).tripId).toBe('T3');
  });

  it('lists routes with shapes by use and trip counts', () => {
    expect(listGtfsRoutes(feed)).toEqual([
      { routeId: 'R1', shortName: '7', longName: 'Maple School Loop', shapeIds: ['S1', 'S2'], tripCount: 3 },
      { routeId: 'R2', shortName: '8', longName: 'No Shape Line', shapeIds: [], tripCount: 1 },
    ]);
  });

  it('names the route from route_short_name when there is no long name', () => {
    const f = withFiles({ 'routes.txt': 'route_id,route_short_name\nR1,7\nR2,8\n' });
    expect(gtfsRoute(f, { routeId: 'R1' }).name).toBe('7');
  });

  it('rejects a shapeless route with gtfs_no_shape naming it', () => {
    const e = codeOf(() => gtfsRoute(feed, { routeId: 'R2' }));
    expect(e.code).toBe('gtfs_no_shape');
    expect(e.message).toContain('R2 (No Shape Line)');
    expect(e.message).toContain('has no shape_id');
    const all = codeOf(() => gtfsRoutes(feed));
    expect(all.code).toBe('gtfs_no_shape');
    expect(all.details).toMatchObject({ routeIds: ['R2'] });
    expect(gtfsRoutes(feed, { routeIds: ['R1'] })).toHaveLength(1);
  });

  it('rejects unknown routes, shapes and trips with gtfs_not_found', () => {
    expect(codeOf(() => gtfsRoute(feed, { routeId: 'NOPE' })).code).toBe('gtfs_not_found');
    expect(codeOf(() => gtfsRoute(feed, { shapeId: 'NOPE' })).code).toBe('gtfs_not_found');
    expect(codeOf(() => gtfsRoute(feed, { tripId: 'NOPE' })).code).toBe('gtfs_not_found');
    expect(codeOf(() => gtfsRoute(feed, { tripId: 'T1', routeId: 'R2' })).code).toBe('gtfs_not_found');
    expect(codeOf(() => gtfsRoute(feed, { routeId: 'R2', shapeId: 'S1' })).code).toBe('gtfs_not_found');
    expect(codeOf(() => gtfsRoutes(feed, { routeIds: ['R1', 'X'] })).details).toEqual({ routeIds: ['X'] });
    expect(codeOf(() => gtfsRoute(feed, {})).code).toBe('gtfs_invalid_options');
  });
});

describe('feed quirks', () => {
  it('reads files with a UTF-8 byte-order mark and freely ordered columns', () => {
    const base = tinyFeedFiles();
    const bom = '\uFEFF';
    const files: Record<string, string | Uint8Array> = {
      ...base,
      // BOM as text and as bytes; shape_pt_lon before shape_pt_lat; CRLF line ends
      'shapes.txt':
        bom +
        'shape_pt_sequence,shape_pt_lon,shape_id,shape_pt_lat\r\n' +
        '10,-75.0000,S1,40.0100\r\n1,-75.0000,S1,40.0000\r\n2,-75.0000,S1,40.0050\r\n\r\n',
      'stops.txt': strToU8(
        bom + 'stop_lon,stop_name,stop_lat,stop_id\n-75,Oak Ave,40,A\n-75,Pine St,40.005,B\n-75,Gate,40.01,C\n',
      ),
      'trips.txt': bom + 'shape_id,trip_id,route_id\nS1,T1,R1\n',
      'stop_times.txt':
        bom +
        'stop_sequence,stop_id,trip_id,departure_time,arrival_time\n2,C,T1,08:00:00,07:59:00\n1,A,T1,07:50:00,07:50:00\n',
    };
    const route = gtfsRoute(readGtfsFiles(files), { routeId: 'R1' });
    expect(route.path.coordinates).toEqual([
      [-75, 40],
      [-75, 40.005],
      [-75, 40.01],
    ]);
    expect(route.stops.map((s) => [s.name, s.scheduledTime])).toEqual([
      ['Oak Ave', '07:50:00'],
      ['Gate', '07:59:00'],
    ]);
  });

  it('accepts a zip whose files sit under one folder, and a flat zip', () => {
    const entries = Object.fromEntries(Object.entries(tinyFeedFiles()).map(([n, t]) => [`my-feed/${n}`, strToU8(t)]));
    const nested = readGtfsZip(zipSync({ ...entries, 'my-feed/notes.md': strToU8('# not gtfs') }));
    expect(gtfsRoute(nested, { routeId: 'R1' }).stops).toHaveLength(3);
    const flat = readGtfsZip(
      zipSync(Object.fromEntries(Object.entries(tinyFeedFiles()).map(([n, t]) => [n, strToU8(t)]))),
    );
    expect([...flat.files.keys()].sort()).toEqual([
      'routes.txt',
      'shapes.txt',
      'stop_times.txt',
      'stops.txt',
      'trips.txt',
    ]);
  });

  it('rejects bytes that are not a zip, a truncated zip and a zip with two feeds with gtfs_bad_zip', () => {
    expect(codeOf(() => readGtfsZip(strToU8('route_id,route_long_name\n'))).code).toBe('gtfs_bad_zip');
    expect(codeOf(() => readGtfsZip(new Uint8Array())).code).toBe('gtfs_bad_zip');
    const good = zipSync(Object.fromEntries(Object.entries(tinyFeedFiles()).map(([n, t]) => [n, strToU8(t)])));
    expect(codeOf(() => readGtfsZip(good.slice(0, good.length - 30))).code).toBe('gtfs_bad_zip');
    const two = zipSync({ 'a/routes.txt': strToU8('route_id\nX\n'), 'b/routes.txt': strToU8('route_id\nY\n') });
    const e = codeOf(() => readGtfsZip(two));
    expect(e.code).toBe('gtfs_bad_zip');
    expect(e.details).toEqual({ folders: ['a', 'b'] });
  });

  it('rejects a zip whose text files exceed the size ceiling', () => {
    const zip = zipSync({ 'routes.txt': strToU8('route_id\n' + 'R\n'.repeat(1000)) });
    expect(codeOf(() => readGtfsZip(zip, { maxUncompressedBytes: 100 })).code).toBe('gtfs_too_large');
  });

  it('reports malformed CSV with the file name', () => {
    const e = codeOf(() => withFiles({ 'stops.txt': 'stop_id,stop_name,stop_lat,stop_lon\nA,"Oak Ave,40,-75\n' }));
    expect(e.code).toBe('gtfs_bad_csv');
    expect(e.message).toContain('stops.txt');
    expect(e.details).toEqual({ file: 'stops.txt', line: 2 });
    const bytes = codeOf(() => readGtfsFiles({ 'stops.txt': new Uint8Array([0x73, 0xff, 0xfe, 0x0a]) }));
    expect(bytes.code).toBe('gtfs_bad_csv');
  });

  it('reports missing files and columns', () => {
    const noTrips = codeOf(() => listGtfsRoutes(withFiles({ 'trips.txt': undefined })));
    expect(noTrips).toMatchObject({ code: 'gtfs_missing_file', details: { file: 'trips.txt' } });
    const noStops = codeOf(() => gtfsRoute(withFiles({ 'stops.txt': undefined }), { routeId: 'R1' }));
    expect(noStops).toMatchObject({ code: 'gtfs_missing_file', details: { file: 'stops.txt' } });
    const noLat = codeOf(() =>
      gtfsRoute(withFiles({ 'shapes.txt': 'shape_id,shape_pt_lon,shape_pt_sequence\nS1,-75,1\n' }), { routeId: 'R1' }),
    );
    expect(noLat).toMatchObject({
      code: 'gtfs_missing_column',
      details: { file: 'shapes.txt', columns: ['shape_pt_lat'] },
    });
    const noSeq = codeOf(() =>
      gtfsRoute(withFiles({ 'stop_times.txt': 'trip_id,stop_id,arrival_time\nT1,A,07:00:00\n' }), { routeId: 'R1' }),
    );
    expect(noSeq).toMatchObject({
      code: 'gtfs_missing_column',
      details: { file: 'stop_times.txt', columns: ['stop_sequence'] },
    });
  });

  it('treats a missing shapes.txt as a feed without shapes', () => {
    const e = codeOf(() => gtfsRoute(withFiles({ 'shapes.txt': undefined }), { routeId: 'R1' }));
    expect(e.code).toBe('gtfs_no_shape');
    expect(e.message).toContain('no shapes.txt');
  });

  it('rejects a trip whose shape is not in shapes.txt', () => {
    const f = withFiles({ 'trips.txt': 'route_id,trip_id,shape_id\nR1,T1,GONE\n' });
    const e = codeOf(() => gtfsRoute(f, { routeId: 'R1' }));
    expect(e.code).toBe('gtfs_no_shape');
    expect(e.message).toContain('GONE is not in shapes.txt');
  });

  it.each([
    [
      'shapes.txt',
      'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\nS1,40,-75,1\nS1,north,-75,2\n',
      2,
      'shape_pt_lat',
    ],
    [
      'shapes.txt',
      'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\nS1,40,-75,1\nS1,40,-195,2\n',
      2,
      'shape_pt_lon',
    ],
    [
      'shapes.txt',
      'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\nS1,40,-75,1\nS1,91,-75,2\n',
      2,
      'shape_pt_lat',
    ],
    [
      'shapes.txt',
      'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\nS1,40,-75,1\nS1,40.1,-75,2.5\n',
      2,
      'shape_pt_sequence',
    ],
    ['stops.txt', 'stop_id,stop_name,stop_lat,stop_lon\nA,Oak,40,-75\nB,Pine,,-75\nC,Gate,40.01,-75\n', 2, 'stop_lat'],
    ['stop_times.txt', 'trip_id,arrival_time,stop_id,stop_sequence\nT1,07:00:00,A,1\nT1,7 am,B,2\n', 2, 'arrival_time'],
    ['stop_times.txt', 'trip_id,arrival_time,stop_id,stop_sequence\nT1,07:00:00,A,first\n', 1, 'stop_sequence'],
    ['stop_times.txt', 'trip_id,arrival_time,stop_id,stop_sequence\nT1,07:00:00,A,1\nT1,07:05:00,ZZ,2\n', 2, 'stop_id'],
    [
      'stop_times.txt',
      'trip_id,arrival_time,stop_id,stop_sequence\nT1,07:00:00,A,1\nT1,07:05:00,B,1\n',
      2,
      'stop_sequence',
    ],
  ])('reports a bad value in %s with file and row (%#)', (file, text, row, column) => {
    const e = codeOf(() => gtfsRoute(withFiles({ [file]: text }), { routeId: 'R1' }));
    expect(e.code).toBe('gtfs_invalid_value');
    expect(e.details).toMatchObject({ file, row, column });
    expect(e.message).toContain(`${file} data row ${row}`);
  });

  it('rejects a shape with fewer than two distinct points', () => {
    const f = withFiles({
      'shapes.txt': 'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\nS1,40,-75,1\nS1,40,-75,2\n',
    });
    expect(codeOf(() => gtfsRoute(f, { routeId: 'R1' }))).toMatchObject({
      code: 'gtfs_invalid_value',
      details: { shapeId: 'S1' },
    });
  });
});

describe('google-sample feed (shapes.txt has only a header)', () => {
  const feed = readGtfsFiles(readGoogleSampleFiles());

  it('still lists its five routes, none with shapes', () => {
    const routes = listGtfsRoutes(feed);
    expect(routes.map((r) => r.routeId)).toEqual(['AB', 'BFC', 'STBA', 'CITY', 'AAMV']);
    expect(routes.every((r) => r.shapeIds.length === 0)).toBe(true);
    expect(feed.files.get('shapes.txt')).toEqual([]);
  });

  it('rejects the feed and each route with gtfs_no_shape and a clear message', () => {
    const all = codeOf(() => gtfsRoutes(feed));
    expect(all.code).toBe('gtfs_no_shape');
    expect(all.message).toMatch(/AB \(Airport - Bullfrog\).*have no shape: the feed's shapes.txt has only a header/);
    expect(all.details).toMatchObject({ routeIds: ['AB', 'BFC', 'STBA', 'CITY', 'AAMV'] });
    const one = codeOf(() => gtfsRoute(feed, { routeId: 'CITY' }));
    expect(one.code).toBe('gtfs_no_shape');
    expect(one.message).toContain('GTFS route CITY (City) has no shape');
  });
});
