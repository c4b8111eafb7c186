// The attendant's SOS (R11) and the end-of-trip sweep's guard, on a real database with the real engine runner:
// an SOS opens one critical `emergency` case at once (with the phone's position, else the bus's last one), a
// resend of the same press opens nothing new, bad bodies get field details, and nobody but the trip's own
// attendant may raise one; the sweep is refused mid-route with `sweep_too_early` and accepted at the last stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createTestApp, type TestApp } from '../helpers/app';
import { assertContract } from '../helpers/contract';
import { insertPositions } from '../helpers/violations';
import { buildWorld, ok, type World } from '../helpers/world';

// The world's trips run on 2026-09-01 (Asia/Shanghai).
const DAY0_MS = Date.parse('2026-09-01T07:30:00+08:00');

let t: TestApp;
let w: World;
let runner: EngineRunner;
let call: TestApp['call'];

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  runner = createEngineRunner({ database: t.database, log: silentLogger, now: () => t.clock.nowMs });
  const app = createApp({ database: t.database, log: silentLogger, now: () => t.clock.nowMs, runner });
  call = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? w.tokens.attendantA1}`;
    const res = await app.request(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    assertContract(app, method, path, res, body);
    return { status: res.status, body, headers: res.headers };
  };
}, 180_000);
afterAll(async () => {
  await runner?.close();
  await t?.close();
});

const emergencies = (tripId: number) =>
  t.database.query<{ id: number; severity: string; status: string; start_lat: number | null; evidence: any }>(
    "select id, severity, status, start_lat, evidence from violations where trip_id = $1 and kind = 'emergency' order by id",
    [tripId],
  );

describe('SOS', () => {
  it('opens a critical emergency case at once, before check-in, with the position and the note', async () => {
    const trip = w.a.trips[0];
    const r = await ok(
      call('POST', `/api/v1/trips/${trip.id}/sos`, {
        body: { lat: 31.21, lon: 121.41, note: 'child unwell', clientId: 'sos-1' },
      }),
    );
    expect(r).toMatchObject({
      tripId: trip.id,
      created: true,
      kind: 'emergency',
      severity: 'critical',
      status: 'open',
      position: { lat: 31.21, lon: 121.41, source: 'phone' },
      note: 'child unwell',
    });
    const rows = await emergencies(trip.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: r.violationId, severity: 'critical', status: 'open', start_lat: 31.21 });
    expect(rows[0]!.evidence).toMatchObject({ source: 'attendant', trigger: 'sos', note: 'child unwell' });

    // The page's queue resends the same press: nothing new.
    const again = await ok(
      call('POST', `/api/v1/trips/${trip.id}/sos`, { body: { lat: 31.2, lon: 121.4, clientId: 'sos-1' } }),
    );
    expect(again).toMatchObject({ created: false, violationId: r.violationId });
    expect(await emergencies(trip.id)).toHaveLength(1);

    // The managers see it in their list as a critical open case.
    const list = await ok(
      call('GET', `/api/v1/violations?kind=emergency&status=open`, { token: w.tokens.managerA }),
      200,
    );
    expect(list.items.map((v: any) => v.id)).toContain(r.violationId);
  });

  it("without the phone's position takes the bus's last stored one", async () => {
    const trip = w.a.trips[0];
    await insertPositions(t.database, [
      {
        busId: trip.busId,
        deviceId: w.a.devices[0].id,
        timeMs: DAY0_MS - 60_000,
        lat: 31.25,
        lon: 121.45,
        speedKph: 20,
      },
    ]);
    const r = await ok(call('POST', `/api/v1/trips/${trip.id}/sos`, { body: {} }));
    expect(r.created).toBe(true);
    expect(r.position).toEqual({ lat: 31.25, lon: 121.45, source: 'bus' });
    expect(r.note).toBeNull();
    expect(await emergencies(trip.id)).toHaveLength(2);
  });

  it('refuses malformed bodies with field details', async () => {
    const trip = w.a.trips[0];
    const before = (await emergencies(trip.id)).length;
    for (const body of [
      { lat: 31.2 },
      { lat: 91, lon: 121 },
      { lat: 31.2, lon: 'east' },
      { note: '' },
      { note: 'x'.repeat(2001) },
      { clientId: 'has spaces' },
      { lat: 31.2, lon: 121.4, extra: true },
    ]) {
      const r = await call('POST', `/api/v1/trips/${trip.id}/sos`, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.details).toBeDefined();
    }
    expect((await call('POST', `/api/v1/trips/0/sos`, { body: {} })).status).toBe(400);
    expect((await emergencies(trip.id)).length).toBe(before);
  });

  it("only the trip's own attendant raises it: not a guardian, not a manager, not another school", async () => {
    const trip = w.a.trips[0];
    const other = w.a.trips[1];
    const before = (await emergencies(trip.id)).length;
    expect((await call('POST', `/api/v1/trips/${other.id}/sos`, { body: {} })).status).toBe(403);
    expect((await call('POST', `/api/v1/trips/${trip.id}/sos`, { token: w.tokens.guardianA1, body: {} })).status).toBe(
      403,
    );
    expect((await call('POST', `/api/v1/trips/${trip.id}/sos`, { token: w.tokens.managerB, body: {} })).status).toBe(
      403,
    );
    expect((await call('POST', `/api/v1/trips/${trip.id}/sos`, { token: w.tokens.managerA, body: {} })).status).toBe(
      403,
    );
    expect((await call('POST', `/api/v1/trips/${trip.id}/sos`, { token: null, body: {} })).status).toBe(401);
    expect((await emergencies(trip.id)).length).toBe(before);
    expect((await emergencies(other.id)).length).toBe(0);
  });
});

describe('sweep guard', () => {
  it('takes an explicit early end (with its reason) mid-route and keeps the reason', async () => {
    const trip = w.a.trips[1];
    const u = await ok(
      t.call('POST', '/api/v1/users', {
        body: { name: 'Attendant A2', role: 'attendant', attendantId: trip.attendantId },
      }),
    );
    const token = (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'test' } }))).token;
    await ok(call('POST', `/api/v1/trips/${trip.id}/check-in`, { token }), 200);
    expect(
      (await call('POST', `/api/v1/trips/${trip.id}/sweep`, { token, body: { confirmedEmpty: true } })).status,
    ).toBe(409);
    const r = await ok(
      call('POST', `/api/v1/trips/${trip.id}/sweep`, {
        token,
        body: { confirmedEmpty: true, earlyEndReason: 'bus broke down' },
      }),
      200,
    );
    expect(r.tripStatus).toBe('completed');
    expect(r.sweep.note).toBe('ended early: bus broke down');
  });

  it('refuses the sweep mid-route with sweep_too_early and takes it once the bus reached the last stop', async () => {
    const trip = w.a.trips[0];
    await ok(call('POST', `/api/v1/trips/${trip.id}/check-in`), 200);
    for (const confirmedEmpty of [true, false]) {
      const r = await call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty } });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('sweep_too_early');
      expect(r.body.error.details).toMatchObject({ lastStopId: w.a.routes[0].stops.at(-1).id });
    }
    const [row] = await t.database.query<{ n: number }>(
      'select count(*)::int as n from trip_sweeps where trip_id = $1',
      [trip.id],
    );
    expect(row!.n).toBe(0);
    const [tripRow] = await t.database.query<{ status: string }>('select status from trips where id = $1', [trip.id]);
    expect(tripRow!.status).toBe('active');

    // A stop before the last does not open it.
    const stops = w.a.routes[0].stops;
    const arrive = (stopId: number, ms: number) =>
      t.database.query("insert into stop_events (trip_id, stop_id, kind, time) values ($1, $2, 'arrived', $3)", [
        trip.id,
        stopId,
        new Date(ms).toISOString(),
      ]);
    if (stops.length > 1) {
      await arrive(stops[0].id, DAY0_MS + 60_000);
      expect((await call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true } })).status).toBe(
        409,
      );
    }
    await arrive(stops.at(-1).id, DAY0_MS + 20 * 60_000);
    t.clock.nowMs = DAY0_MS + 22 * 60_000;
    const r = await ok(call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true } }), 200);
    expect(r.alreadyConfirmed).toBe(false);
    expect(r.tripStatus).toBe('completed');
    // A resend after the trip ended is answered, not refused.
    expect(
      (await ok(call('POST', `/api/v1/trips/${trip.id}/sweep`, { body: { confirmedEmpty: true } }), 200))
        .alreadyConfirmed,
    ).toBe(true);
  });
});
