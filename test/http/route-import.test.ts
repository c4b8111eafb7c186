import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { zipSync, strToU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, type World } from '../helpers/world';

const fixtures = fileURLToPath(new URL('../fixtures/gtfs/', import.meta.url));
const cairnsZip = readFileSync(fixtures + 'cairns_gtfs.zip');

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(() => t.close());

describe('GTFS import', () => {
  it('imports one Cairns route as a zip body with its stops, times and path', async () => {
    const r = await t.call(
      'POST',
      `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=121-423&period=morning`,
      {
        raw: cairnsZip,
        headers: { 'content-type': 'application/zip' },
      },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.name).toBe('City - Redlynch');
    expect(r.body.stops).toHaveLength(35);
    expect(r.body.stops[0].scheduledTime).toBe('06:50:00');
    expect(r.body.stops.map((s: any) => s.sequence)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(r.body.path.coordinates.length).toBeGreaterThan(100);
    // It is a real route now: readable through the registry.
    expect((await t.call('GET', `/api/v1/routes/${r.body.id}`)).body.stops).toHaveLength(35);
  });

  it('imports a feed uploaded as a folder of .txt files (multipart), by shape id', async () => {
    const files: Record<string, string> = {
      'routes.txt': 'route_id,route_short_name,route_long_name,route_type\nR9,9,Folder Line,3\n',
      'trips.txt': 'route_id,service_id,trip_id,shape_id\nR9,WK,T9,SH9\n',
      'stops.txt': 'stop_id,stop_name,stop_lat,stop_lon\nA,Alpha,31.2,121.4\nB,Beta,31.21,121.42\n',
      'stop_times.txt':
        'trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT9,07:00:00,07:00:00,A,1\nT9,07:15:00,07:15:00,B,2\n',
      'shapes.txt': 'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\nSH9,31.2,121.4,1\nSH9,31.21,121.42,2\n',
    };
    const form = new FormData();
    for (const [name, text] of Object.entries(files)) form.append('file', new Blob([text]), name);
    const r = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&shapeId=SH9`, { raw: form });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.name).toBe('Folder Line');
    expect(r.body.stops.map((s: any) => s.name)).toEqual(['Alpha', 'Beta']);
  });

  it('rejects a feed without shapes for that route with a clear message', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const f of readdirSync(fixtures + 'google-sample')) files[f] = readFileSync(fixtures + 'google-sample/' + f);
    const r = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=AB`, {
      raw: zipSync(files),
      headers: { 'content-type': 'application/zip' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('gtfs_no_shape');
    expect(r.body.error.message).toMatch(/AB/);
    const count = await t.database.query<{ n: number }>(
      "select count(*)::int as n from routes where name like '%Bullfrog%'",
    );
    expect(count[0]!.n).toBe(0);
  });

  it('lists the available routes when none is named', async () => {
    const r = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}`, {
      raw: cairnsZip,
      headers: { 'content-type': 'application/zip' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('gtfs_route_required');
    expect(r.body.error.details.available).toHaveLength(22);
  });

  it('rejects a file that is not a zip, an unknown route, and an empty body', async () => {
    const notZip = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=121-423`, {
      raw: 'hello',
      headers: { 'content-type': 'application/zip' },
    });
    expect(notZip.status).toBe(400);
    expect(notZip.body.error.code).toBe('gtfs_bad_zip');
    const unknown = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=nope`, {
      raw: cairnsZip,
      headers: { 'content-type': 'application/zip' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('gtfs_not_found');
    const empty = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=121-423`, {
      raw: '',
      headers: { 'content-type': 'application/zip' },
    });
    expect(empty.status).toBe(400);
  });

  it('tolerates a byte-order mark and free column order', async () => {
    const bom = '\ufeff';
    const zip = zipSync({
      'feed/routes.txt': strToU8(bom + 'route_long_name,route_id,route_type\nHill Loop,R1,3\n'),
      'feed/trips.txt': strToU8(bom + 'shape_id,service_id,trip_id,route_id\nSH,WK,T1,R1\n'),
      'feed/stops.txt': strToU8(
        bom + 'stop_lon,stop_name,stop_id,stop_lat\n121.40,Gate,S1,31.20\n121.42,Hall,S2,31.21\n',
      ),
      'feed/stop_times.txt': strToU8(
        bom +
          'stop_sequence,trip_id,stop_id,departure_time,arrival_time\n2,T1,S2,07:20:00,07:20:00\n1,T1,S1,07:00:00,07:00:00\n',
      ),
      'feed/shapes.txt': strToU8(
        bom + 'shape_pt_lon,shape_pt_lat,shape_id,shape_pt_sequence\n121.42,31.21,SH,2\n121.40,31.20,SH,1\n',
      ),
    });
    const r = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=R1`, {
      raw: zip,
      headers: { 'content-type': 'application/zip' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.name).toBe('Hill Loop');
    expect(r.body.path.coordinates).toEqual([
      [121.4, 31.2],
      [121.42, 31.21],
    ]);
    expect(r.body.stops.map((s: any) => [s.name, s.scheduledTime])).toEqual([
      ['Gate', '07:00:00'],
      ['Hall', '07:20:00'],
    ]);
  });

  it('is for managers of that school only', async () => {
    const r = await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.b.schoolId}&routeId=121-423`, {
      token: w.tokens.managerA,
      raw: cairnsZip,
      headers: { 'content-type': 'application/zip' },
    });
    expect(r.status).toBe(403);
    expect(
      (
        await t.call('POST', `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=121-423`, {
          token: w.tokens.guardianA1,
          raw: cairnsZip,
        })
      ).status,
    ).toBe(403);
  });
});

describe('GeoJSON import', () => {
  const line = {
    type: 'Feature',
    properties: { name: 'Riverside' },
    geometry: {
      type: 'LineString',
      coordinates: [
        [121.4, 31.2],
        [121.41, 31.2],
        [121.42, 31.2],
      ],
    },
  };
  const stop = (name: string, lon: number) => ({
    type: 'Feature',
    properties: { name },
    geometry: { type: 'Point', coordinates: [lon, 31.2001] },
  });

  it('imports a LineString with stop Points ordered along the path', async () => {
    const r = await t.call('POST', '/api/v1/routes/import/geojson', {
      body: {
        schoolId: w.a.schoolId,
        corridorWidthM: 80,
        geojson: { type: 'FeatureCollection', features: [line, stop('Far', 121.419), stop('Near', 121.401)] },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ name: 'Riverside', corridorWidthM: 80 });
    expect(r.body.stops.map((s: any) => s.name)).toEqual(['Near', 'Far']);
  });

  it('rejects malformed GeoJSON with details and stores nothing', async () => {
    const before = await t.database.query<{ n: number }>('select count(*)::int as n from routes');
    const r = await t.call('POST', '/api/v1/routes/import/geojson', {
      body: {
        schoolId: w.a.schoolId,
        geojson: {
          type: 'Feature',
          properties: { name: 'Bad' },
          geometry: {
            type: 'LineString',
            coordinates: [
              [500, 31.2],
              [121.41, 31.2],
            ],
          },
        },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('geojson_invalid');
    expect(r.body.error.details).toBeDefined();
    const off = await t.call('POST', '/api/v1/routes/import/geojson', {
      body: { schoolId: w.a.schoolId, geojson: { type: 'FeatureCollection', features: [line, stop('Moon', 121.5)] } },
    });
    expect(off.status).toBe(400);
    expect(off.body.error.code).toBe('geojson_stop_off_path');
    const after = await t.database.query<{ n: number }>('select count(*)::int as n from routes');
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
