// Bodies are limited before they are read: OsmAnd reports on both ports (64 KB), every JSON API call (1 MB),
// telemetry batches (room for 1,000 positions), route imports (32 MB upload, 128 MB unzipped, 5,000 path points).
// Regressions of issue 18 item 3: a 100 MB OsmAnd body was read whole (RSS +2 GB, the server stalled).
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMITS } from '../../src/http/body-limit';
import { MAX_ROUTE_POINTS } from '../../src/ingest/route-import';
import { ADMIN_TOKEN } from '../helpers/app';
import { type SecurityServers, startSecurityServers, streamUpload, zipWithEntry } from './helpers';

const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);
const MB = 1024 * 1024;
let s: SecurityServers;

beforeAll(async () => {
  s = await startSecurityServers(T0);
}, 60_000);
afterAll(() => s?.close());

const expect413Fast = async (
  port: number,
  path: string,
  opts: { chunked?: boolean; headers?: Record<string, string> } = {},
) => {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const r = await streamUpload(port, path, 100 * MB, opts);
  expect(r.status, r.headers + r.body).toBe(413);
  expect(JSON.parse(r.body).error.code).toBe('payload_too_large');
  expect(r.headers).toMatch(/connection: close/i);
  expect(r.elapsedMs).toBeLessThan(3000);
  // Not read: far less than the 100 MB sent (a few socket buffers at most), and the heap did not take it in.
  expect(r.bytesWritten).toBeLessThan(40 * MB);
  expect(r.peakRssBytes - rssBefore).toBeLessThan(24 * MB);
  return r;
};

describe('OsmAnd body limit (64 KB) on both ports', () => {
  it('answers 413 at once from the Content-Length of a 100 MB body, on OSMAND_PORT and on /osmand', async () => {
    await expect413Fast(s.osmandPort, '/?id=demo-phone&lat=31.2&lon=121.4', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await expect413Fast(s.mainPort, '/osmand/?id=demo-phone&lat=31.2&lon=121.4', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  });

  it('counts a chunked body while it streams and stops at the limit', async () => {
    const a = await expect413Fast(s.osmandPort, '/', { chunked: true });
    const b = await expect413Fast(s.mainPort, '/osmand', { chunked: true });
    expect(a.bytesWritten + b.bytesWritten).toBeLessThan(80 * MB);
  });

  it('still takes an ordinary OsmAnd report', async () => {
    const res = await fetch(`http://127.0.0.1:${s.osmandPort}/`, {
      method: 'POST',
      body: 'x'.repeat(BODY_LIMITS.osmandBytes + 1),
    });
    expect(res.status).toBe(413);
    const small = await fetch(`http://127.0.0.1:${s.osmandPort}/?id=nobody&lat=31.2&lon=121.4`, { method: 'POST' });
    expect(small.status).toBe(400); // an unknown device: the body limit let it through to the handler
    expect(((await small.json()) as any).error.code).toBe('unknown_device');
  });
});

describe('API body limits', () => {
  const post = (path: string, body: string, token = ADMIN_TOKEN) =>
    fetch(`http://127.0.0.1:${s.mainPort}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });

  it('refuses a JSON body over 1 MB with the envelope, before authentication', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(BODY_LIMITS.jsonBytes) });
    const r = await post('/api/v1/schools', big);
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).error).toMatchObject({
      code: 'payload_too_large',
      details: { limitBytes: BODY_LIMITS.jsonBytes },
    });
    expect((await post('/api/v1/schools', big, 'not-a-token')).status).toBe(413);
    await expect413Fast(s.mainPort, '/api/v1/schools', { headers: { 'content-type': 'application/json' } });
  });

  it('takes a full telemetry batch of 1,000 positions (larger than the JSON default would allow)', async () => {
    const positions = Array.from({ length: 1000 }, (_, i) => ({
      time: new Date(T0 - 3_600_000 + i * 1000).toISOString(),
      lat: 31.2,
      lon: 121.4 + i * 0.0001,
      speedKph: 36,
      attributes: { note: 'n'.repeat(1000) },
    }));
    const body = JSON.stringify({ positions });
    expect(body.length).toBeGreaterThan(BODY_LIMITS.jsonBytes);
    const r = await post('/api/v1/telemetry/positions', body, s.world.w.tokens.deviceA1);
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).accepted).toBe(1000);
  });
});

describe('GTFS import caps', () => {
  // 1 GB of zeros in about 1 MB: byte-aligned (sync-flushed) deflate blocks of 1 MB of zeros, repeated; their
  // back-references only reach zeros, so the repetition is a valid stream.
  const bomb = () => {
    const piece = zlib.deflateRawSync(Buffer.alloc(MB), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return new Uint8Array(Buffer.concat([...Array.from({ length: 1000 }, () => piece), Buffer.from([0x03, 0x00])]));
  };
  const importZip = (zip: Uint8Array) =>
    fetch(`http://127.0.0.1:${s.mainPort}/api/v1/routes/import/gtfs?schoolId=${s.world.w.a.schoolId}&routeId=R1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/zip' },
      body: new Blob([zip as Uint8Array<ArrayBuffer>]),
    });

  it('refuses a 1 MB zip that unpacks to 1 GB quickly, without allocating it', async () => {
    const deflated = bomb();
    expect(deflated.length).toBeLessThan(2 * MB);
    for (const [declared, status, code] of [
      [1000 * MB, 413, 'gtfs_too_large'], // honest header: refused from the declared size
      [1000, 400, 'gtfs_bad_zip'], // lying header: refused once the inflated bytes pass the declared size
    ] as const) {
      globalThis.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const t0 = performance.now();
      const r = await importZip(zipWithEntry('stop_times.txt', deflated, declared));
      const elapsedMs = performance.now() - t0;
      expect(r.status).toBe(status);
      expect(((await r.json()) as any).error.code).toBe(code);
      expect(elapsedMs).toBeLessThan(3000);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * MB);
    }
  });

  it('refuses an upload over the import limit from its Content-Length', async () => {
    const r = await streamUpload(
      s.mainPort,
      `/api/v1/routes/import/gtfs?schoolId=${s.world.w.a.schoolId}`,
      BODY_LIMITS.routeImportBytes + 1,
      {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/zip' },
      },
    );
    expect(r.status).toBe(413);
  });
});

describe('route geometry caps', () => {
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${s.mainPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, headers: r.headers, body: (await r.json()) as any };
  };
  // A winding 12 km road sampled every metre: 12,000 points.
  const dense = Array.from(
    { length: 12_000 },
    (_, i) => [121.4 + i * 0.00001, 31.2 + 0.002 * Math.sin(i / 400)] as [number, number],
  );

  it('simplifies an imported path above the cap, and refuses a hand-made one', async () => {
    const r = await call('POST', '/api/v1/routes/import/geojson', {
      schoolId: s.world.w.a.schoolId,
      name: 'Dense',
      geojson: { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: dense } },
    });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201);
    expect(r.body.path.coordinates.length).toBeLessThanOrEqual(MAX_ROUTE_POINTS);
    expect(r.body.path.coordinates.length).toBeGreaterThan(1);
    expect(r.headers.get('x-route-simplified')).toMatch(/^12000->\d+/);

    const made = await call('POST', '/api/v1/routes', {
      schoolId: s.world.w.a.schoolId,
      name: 'Too dense',
      path: { type: 'LineString', coordinates: dense.slice(0, MAX_ROUTE_POINTS + 1) },
    });
    expect(made.status).toBe(400);
  });

  it('lists routes without their geometry unless asked', async () => {
    const list = await call('GET', '/api/v1/routes');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(list.body.items.every((r: any) => !('path' in r))).toBe(true);
    const withGeometry = await call('GET', '/api/v1/routes?include=geometry');
    expect(withGeometry.body.items.every((r: any) => r.path?.type === 'LineString')).toBe(true);
    expect((await call('GET', '/api/v1/routes?include=everything')).status).toBe(400);
    const one = await call('GET', `/api/v1/routes/${list.body.items[0].id}`);
    expect(one.body.path.type).toBe('LineString');
  });
});
