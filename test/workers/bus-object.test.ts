// busguard on Cloudflare Workers, locally: `wrangler dev` (workerd, loopback only) against a real PostgreSQL test
// database. Device input goes Worker → the bus's Durable Object (BusObject, hosting the bus's lane) → PostgreSQL;
// each check reads the database the Worker wrote. The same drive through the Node pipeline gives the same rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { silentLogger } from '../../src/logging';
import { createEngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest } from '../../src/pipeline/ingest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, planTrip, type World } from '../helpers/world';
import { driveEast } from '../pipeline/drive';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';

/** 36 km/h, then 75 km/h from 20 s to 45 s (an overspeed episode opens near 30 s and closes after 45 s), then 30. */
const kphAt = (s: number) => (s < 20 ? 36 : s < 45 ? 75 : 30);
const TZ_MS = 8 * 3_600_000;

let t: TestApp;
let w: World;
let worker: WranglerDev;
/** device time of second 0 of the drives (real time: the Worker's clock is the wall clock) */
const driveStartMs = Date.now() - 120_000;

async function tokenFor(user: Record<string, unknown>): Promise<string> {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  return (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'workers' } }))).token;
}

function drive(s: World['a'], i: number, fromS: number, toS: number): Fix[] {
  const lon0 = s.routes[i].path.coordinates[0][0];
  return driveEast({ deviceId: s.devices[i].identifier, startMs: driveStartMs, lon0, fromS, toS, kphAt });
}

async function postFixes(token: string, fixes: Fix[]) {
  const res = await fetch(`${worker.url}/api/v1/telemetry/positions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      positions: fixes.map((f) => ({ time: f.timeMs, lat: f.lat, lon: f.lon, speedKph: f.speedKph })),
    }),
  });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Posts a drive in requests of `per` fixes; after each answer, every acknowledged fix is in PostgreSQL. */
async function postDrive(token: string, deviceId: number, fixes: Fix[], per = 10) {
  for (let i = 0; i < fixes.length; i += per) {
    const part = fixes.slice(i, i + per);
    const body = await postFixes(token, part);
    expect(body.accepted).toBe(part.length);
    const [row] = await t.database.query<{ n: number }>(
      'select count(*)::int as n from positions where device_id = $1 and time <= to_timestamp($2 / 1000.0)',
      [deviceId, part.at(-1)!.timeMs],
    );
    expect(row!.n).toBeGreaterThanOrEqual(i + part.length);
  }
}

/** The engine's rows of one trip, with times relative to the drive's start (comparable across buses and runtimes). */
async function engineRows(tripId: number) {
  const violations = await t.database.query<Record<string, unknown>>(
    `select kind, severity, round(extract(epoch from started_at) * 1000 - $2)::int as started,
            round(extract(epoch from ended_at) * 1000 - $2)::int as ended, peak_value, limit_value
     from violations where trip_id = $1 and kind <> 'deviceOffline' order by kind, started_at`,
    [tripId, driveStartMs],
  );
  const stops = await t.database.query<Record<string, unknown>>(
    `select s.sequence, e.kind, round(extract(epoch from e.time) * 1000 - $2)::int as at
     from stop_events e join stops s on s.id = e.stop_id where e.trip_id = $1 order by s.sequence, e.kind`,
    [tripId, driveStartMs],
  );
  const [trip] = await t.database.query<Record<string, unknown>>(
    'select status, round(extract(epoch from started_at) * 1000 - $2)::int as started from trips where id = $1',
    [tripId, driveStartMs],
  );
  return { violations, stops, trip };
}

beforeAll(async () => {
  t = await createTestApp(Date.now());
  w = await buildWorld(t);
  worker = await startWranglerDev({ databaseUrl: t.database.url!, vars: { TICK_INTERVAL_S: '2' } });
}, 180_000);

afterAll(async () => {
  await worker?.dispose();
  await t?.close();
});

describe('busguard on Workers (wrangler dev, local PostgreSQL)', () => {
  it('JSON telemetry: acknowledged after the bus object stored it; the engine in the object opens and closes an overspeed episode', async () => {
    const trip = await planTrip(t, w.a, 0, driveStartMs);
    const token = w.tokens.deviceA1;
    await postDrive(token, w.a.devices[0].id, drive(w.a, 0, 0, 60));
    await expect
      .poll(async () => (await engineRows(trip.id)).violations.filter((v) => v.kind === 'overspeed' && v.ended))
      .toHaveLength(1);
    const rows = await engineRows(trip.id);
    expect(rows.trip).toMatchObject({ status: 'active' });
    expect(rows.stops.some((s) => s.kind === 'departed')).toBe(true);
    // The engine checkpoint reached PostgreSQL through the same statement as on Node.
    const cp = await t.database.query('select 1 from engine_checkpoints where trip_id = $1', [trip.id]);
    expect(cp).toHaveLength(1);
    // A resent batch is stored once and acknowledged as duplicates.
    const again = await postFixes(token, drive(w.a, 0, 0, 2));
    expect(again.items.every((i: any) => i.status === 'accepted' && i.duplicate === true)).toBe(true);
  });

  it('OsmAnd through the Worker; the object’s alarm ticks the engine: a device that falls silent is reported offline', async () => {
    const s = w.a;
    const device = await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId: s.schoolId, busId: s.buses[1].id, protocol: 'osmand', identifier: 'osm-a2' },
      }),
    );
    // This route's buses count as offline after 4 s of silence (the preset says 300 s): the tick shows in seconds.
    await ok(
      t.call('PATCH', `/api/v1/routes/${s.routes[1].id}`, {
        body: { ruleOverrides: { device: { offlineAfterS: 4 } } },
      }),
      200,
    );
    const planned = Date.now() - 60_000;
    const trip = await planTrip(t, s, 1, planned);
    const lon0 = s.routes[1].path.coordinates[0][0];
    const firstS = Math.floor(Date.now() / 1000) - 4;
    for (let k = 0; k < 4; k++) {
      // 36 km/h east along the route: the trip starts, then the device goes quiet.
      const lon = lon0 + (k * 10) / (111_320 * Math.cos((31.2 * Math.PI) / 180));
      const res = await fetch(
        `${worker.url}/osmand/?id=osm-a2&lat=31.2&lon=${lon}&timestamp=${firstS + k}&speed=${36 / 1.852}`,
      );
      const body = (await res.json()) as any;
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.accepted).toBe(1);
      const stored = await t.database.query('select 1 from positions where device_id = $1', [device.id]);
      expect(stored).toHaveLength(k + 1);
    }
    await expect
      .poll(
        async () =>
          await t.database.query<{ ended_at: Date | null }>(
            "select ended_at from violations where trip_id = $1 and kind = 'deviceOffline'",
            [trip.id],
          ),
        { timeout: 30_000 },
      )
      .toEqual([{ ended_at: null }]);
    // An unknown device is refused by the Worker with the API's envelope.
    const res = await fetch(`${worker.url}/osmand/?id=nobody&lat=31.2&lon=121.4`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('unknown_device');
  });

  it('restarting the objects mid-episode continues the same violation row: the same rows as the drive that never stopped', async () => {
    const trip = await planTrip(t, w.b, 0, driveStartMs);
    const token = await tokenFor({ name: 'Device B1', role: 'device', deviceId: w.b.devices[0].id });
    await postDrive(token, w.b.devices[0].id, drive(w.b, 0, 0, 35));
    await expect
      .poll(async () => (await engineRows(trip.id)).violations.filter((v) => v.kind === 'overspeed' && !v.ended))
      .toHaveLength(1);
    await worker.restart(); // workerd stops: the objects' memory is gone, their storage stays
    await postDrive(token, w.b.devices[0].id, drive(w.b, 0, 36, 60));
    await expect
      .poll(async () => (await engineRows(trip.id)).violations.filter((v) => v.kind === 'overspeed'))
      .toEqual([expect.objectContaining({ ended: expect.any(Number) })]);
    // Bus A1 drove the same seconds without a restart.
    const tripA1 = (
      await t.database.query<{ id: number }>('select id from trips where bus_id = $1 and status = $2', [
        w.a.buses[0].id,
        'active',
      ])
    )[0]!;
    const [b1, a1] = [await engineRows(trip.id), await engineRows(tripA1.id)];
    expect(b1.violations.filter((v) => v.kind === 'overspeed')).toEqual(
      a1.violations.filter((v) => v.kind === 'overspeed'),
    );
    expect(b1.stops).toEqual(a1.stops);
  });

  it('the Cron Trigger runs the schedule table: a trip not started 10 minutes after its planned start is flagged once', async () => {
    const late = await planTrip(t, w.b, 0, Date.now() - 20 * 60_000);
    const lateRows = () =>
      t.database.query("select id from violations where kind = 'tripLate' and trip_id = $1", [late.id]);
    for (let run = 0; run < 2; run++) {
      const res = await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`);
      expect(res.status).toBe(200);
      await expect.poll(lateRows).toHaveLength(1);
    }
  });

  it('golden: the same drive through the Node pipeline gives the same episodes, stop events and trip start', async () => {
    // Node's lanes on the same database, for a third bus of school A on route A1.
    const bus = await ok(
      t.call('POST', '/api/v1/buses', {
        body: {
          schoolId: w.a.schoolId,
          plate: 'A-BUS-NODE',
          approvedCapacity: 40,
          signValidUntil: '2027-01-01',
          inspectionValidUntil: '2027-01-01',
        },
      }),
    );
    const device = await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId: w.a.schoolId, busId: bus.id, protocol: 'json', identifier: 'A-dev-node' },
      }),
    );
    const trip = await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: w.a.routes[0].id,
          busId: bus.id,
          driverId: w.a.drivers[0].id,
          serviceDate: new Date(driveStartMs + TZ_MS).toISOString().slice(0, 10),
          plannedStartAt: new Date(driveStartMs).toISOString(),
          attendantId: w.a.attendants[0].id,
        },
      }),
    );
    const ingest = createIngest({ database: t.database, log: silentLogger, now: Date.now, writer: { maxDelayMs: 1 } });
    const runner = createEngineRunner({ database: t.database, log: silentLogger, now: Date.now });
    runner.attach(ingest);
    const info = (await ingest.lookupDevice('json', 'A-dev-node'))!;
    const lon0 = w.a.routes[0].path.coordinates[0][0];
    const fixes = driveEast({ deviceId: 'A-dev-node', startMs: driveStartMs, lon0, fromS: 0, toS: 60, kphAt });
    for (let i = 0; i < fixes.length; i += 10) await ingest.submitFixes(info, fixes.slice(i, i + 10), Date.now());
    await runner.close();
    await ingest.close();
    expect(device.busId).toBe(bus.id);
    const tripA1 = (
      await t.database.query<{ id: number }>('select id from trips where bus_id = $1 and status = $2', [
        w.a.buses[0].id,
        'active',
      ])
    )[0]!;
    const [node, workers] = [await engineRows(trip.id), await engineRows(tripA1.id)];
    expect(node.violations.length).toBeGreaterThan(0);
    expect(workers).toEqual(node);
  });
});
