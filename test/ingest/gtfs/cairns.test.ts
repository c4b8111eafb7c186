import { beforeAll, describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import { gtfsRoute, gtfsRoutes, listGtfsRoutes, parseCsv, readGtfsZip, type GtfsFeed } from '../../../src/ingest/gtfs';
import { lengthM, readCairnsZip } from './helpers';

// Real feed: Cairns (Queensland) 2014, 22 routes, 54 shapes (see test/fixtures/README.md).
describe('Cairns GTFS feed', () => {
  let zip: Uint8Array;
  let feed: GtfsFeed;
  beforeAll(() => {
    zip = readCairnsZip();
    feed = readGtfsZip(zip);
  });

  it('reads every file of the zip', () => {
    expect([...feed.files.keys()].sort()).toEqual([
      'agency.txt',
      'calendar.txt',
      'calendar_dates.txt',
      'routes.txt',
      'shapes.txt',
      'stop_times.txt',
      'stops.txt',
      'trips.txt',
    ]);
    expect(feed.files.get('stop_times.txt')).toHaveLength(37_790);
    expect(feed.files.get('shapes.txt')).toHaveLength(22_784);
    // agency.txt uses CRLF line ends and a quoted name
    expect(feed.files.get('agency.txt')![0]!.agency_name).toBe(
      'Department of Transport and Main Roads - TransLink Division (qconnect)',
    );
    expect(feed.files.get('agency.txt')![0]!.agency_phone).toBe('(07)40576411');
  });

  it('lists 22 routes using 54 shapes and 1,339 trips', () => {
    const routes = listGtfsRoutes(feed);
    expect(routes).toHaveLength(22);
    expect(new Set(routes.flatMap((r) => r.shapeIds)).size).toBe(54);
    expect(routes.reduce((n, r) => n + r.tripCount, 0)).toBe(1_339);
    expect(routes[0]).toEqual({
      routeId: '110-423',
      shortName: '110',
      longName: 'City - Palm Cove',
      shapeIds: ['1100023', '1100024', '1100015', '1100016'], // by trip count 47, 46, 16, 16
      tripCount: 125,
    });
  });

  it('imports route 110 from its most used shape and the first trip by trip_id', () => {
    const route = gtfsRoute(feed, { routeId: '110-423' });
    expect(route).toMatchObject({
      name: 'City - Palm Cove',
      shortName: '110',
      externalId: '110-423',
      shapeId: '1100023',
      tripId: 'CNS2014-CNS_MUL-Saturday-00-4165937',
    });
    expect(route.stops).toHaveLength(35);
    expect(route.stops.map((s) => s.sequence)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(route.stops[0]).toEqual({
      name: 'Warren St - Hail and Ride Location',
      lat: -16.746248,
      lon: 145.664794,
      sequence: 1,
      externalId: '750337',
      scheduledTime: '06:16:00',
    });
    expect(route.stops[13]).toMatchObject({ name: 'Captain Cook Hwy N7', scheduledTime: '06:31:00' });
    // an untimed stop (empty arrival and departure) keeps its place but has no time
    expect(route.stops[14]!.name).toBe('Arawa St - Hail and Ride Location');
    expect(route.stops[14]!.scheduledTime).toBeUndefined();
    expect(route.stops[34]).toMatchObject({ name: 'The Pier Cairns - Terminus Stop E', scheduledTime: '07:10:00' });
    const times = route.stops.flatMap((s) => (s.scheduledTime ? [s.scheduledTime] : []));
    expect([...times].sort()).toEqual(times); // non-decreasing along the trip
  });

  it('builds a plausible path: ordered shape points, first/last near the end stops, ~32.6 km', () => {
    const route = gtfsRoute(feed, { routeId: '110-423' });
    const coords = route.path.coordinates;
    // 569 points in shapes.txt, 33 of them repeat the previous point and are dropped
    expect(coords).toHaveLength(536);
    expect(coords[0]).toEqual([145.664847, -16.74631]);
    expect(coords[coords.length - 1]).toEqual([145.779299, -16.920767]);
    const km = lengthM(coords) / 1000;
    expect(km).toBeGreaterThan(32);
    expect(km).toBeLessThan(33.5);
    // a scrambled order would make the path several times longer
    const first = route.stops[0]!;
    expect(lengthM([coords[0]!, [first.lon, first.lat]])).toBeLessThan(50);
  });

  it('orders shape points by numeric shape_pt_sequence, not file text order', () => {
    const rows = parseCsv(strFromU8(unzipSync(zip)['shapes.txt']!));
    const expected = rows
      .filter((r) => r.shape_id === '1100023')
      .sort((a, b) => Number(a.shape_pt_sequence) - Number(b.shape_pt_sequence))
      .map((r) => [Number(r.shape_pt_lon), Number(r.shape_pt_lat)] as [number, number])
      .filter((p, i, all) => i === 0 || p[0] !== all[i - 1]![0] || p[1] !== all[i - 1]![1]);
    const textOrder = [...rows.filter((r) => r.shape_id === '1100023')].sort((a, b) =>
      a.shape_pt_sequence! < b.shape_pt_sequence! ? -1 : 1,
    );
    expect(textOrder[1]!.shape_pt_sequence).not.toBe('10002'); // the text order really differs here
    expect(gtfsRoute(feed, { shapeId: '1100023' }).path.coordinates).toEqual(expected);
    // the file is already in order, so also feed it reversed
    const reversed: GtfsFeed = { files: new Map(feed.files) };
    reversed.files.set('shapes.txt', [...feed.files.get('shapes.txt')!].reverse());
    expect(gtfsRoute(reversed, { shapeId: '1100023' }).path.coordinates).toEqual(expected);
  });

  it('keeps GTFS times past midnight (24:00:00 and later)', () => {
    const route = gtfsRoute(feed, { tripId: 'CNS2014-CNS_MUL-Weekday-00-4165936' });
    expect(route.shapeId).toBe('1100024');
    expect(route.stops).toHaveLength(32);
    expect(route.stops.at(-2)).toMatchObject({ name: 'Palm Cove N1', scheduledTime: '24:00:00' });
    expect(route.stops.at(-1)).toMatchObject({ name: 'Warren St - Hail and Ride Location', scheduledTime: '24:02:00' });
  });

  it('imports all 22 routes, each with a path and stops', () => {
    const routes = gtfsRoutes(feed);
    expect(routes.map((r) => r.externalId)).toEqual(listGtfsRoutes(feed).map((r) => r.routeId));
    for (const r of routes) {
      expect(r.path.coordinates.length).toBeGreaterThan(100);
      expect(r.stops.length).toBeGreaterThanOrEqual(15);
      expect(lengthM(r.path.coordinates)).toBeGreaterThan(5_000);
    }
    expect(gtfsRoutes(feed, { routeIds: ['150-423', '122-423'] }).map((r) => r.externalId)).toEqual([
      '150-423',
      '122-423',
    ]);
  });

  // Speed is a benchmark's business (bench:engine imports the same zip), not a timed unit test's.
  it('parses and imports the whole zip from its bytes', () => {
    const routes = gtfsRoutes(readGtfsZip(zip));
    expect(routes).toHaveLength(22);
  });
});
