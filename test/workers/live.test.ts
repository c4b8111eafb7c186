// Live on Workers: /api/v1/live on the Worker with the Node protocol (bearer on the upgrade or a first `auth`
// message, subscribe, per-topic seq). A guardian following their child's trip receives the bus's position and trip
// events published by the bus's object; another family's trip and bus are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, planTrip, type World } from '../helpers/world';
import { connect, type LiveClient, subscribe } from '../live/helpers';
import { driveEast } from '../pipeline/drive';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';

let t: TestApp;
let w: World;
let worker: WranglerDev;
const clients: LiveClient[] = [];
const trips: any[] = [];
/** the guardian's first notice on the trip (the resume point of the second test) */
let firstNotice: any;

beforeAll(async () => {
  t = await createTestApp(Date.now());
  w = await buildWorld(t);
  const planned = Date.now() - 60_000;
  trips.push(await planTrip(t, w.a, 0, planned), await planTrip(t, w.a, 1, planned));
  worker = await startWranglerDev({ databaseUrl: t.database.url! });
}, 180_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await worker?.dispose();
  await t?.close();
});

const wsUrl = () => `ws://127.0.0.1:${worker.port}/api/v1/live`;

describe('live on Workers', () => {
  it('a guardian receives the position, trip start, ETA and arrival notice of their child’s bus; another family’s topics are refused', async () => {
    const c = await connect(wsUrl(), { token: w.tokens.guardianA1 });
    clients.push(c);
    await c.waitFor((m) => m.type === 'authenticated', 'authenticated');
    const own = `trip:${trips[0].id}`;
    expect(await subscribe(c, own)).toMatchObject({ type: 'subscribed', topic: own });
    expect(await subscribe(c, `trip:${trips[1].id}`)).toMatchObject({ type: 'error', status: 403, code: 'forbidden' });
    expect(await subscribe(c, `bus:${w.a.buses[1].id}`)).toMatchObject({ type: 'error', status: 403 });

    // The school's manager follows its violations (the school's object, which the bus objects publish to).
    const manager = await connect(wsUrl(), { token: w.tokens.managerA });
    clients.push(manager);
    const schoolTopic = `school:${w.a.schoolId}:violations`;
    expect(await subscribe(manager, schoolTopic)).toMatchObject({ type: 'subscribed', topic: schoolTopic });
    expect(await subscribe(manager, `school:${w.b.schoolId}:violations`)).toMatchObject({ type: 'error', status: 403 });

    const lon0 = w.a.routes[0].path.coordinates[0][0];
    const startMs = Date.now() - 30_000;
    const fixes = driveEast({ deviceId: 'A-dev-1', startMs, lon0, fromS: 0, toS: 20, kphAt: () => 36 });
    // The link to the bus object opens right after `subscribed`: post until the first position comes through.
    for (let i = 0; i < fixes.length; i += 3) {
      const res = await fetch(`${worker.url}/api/v1/telemetry/positions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.tokens.deviceA1}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          positions: fixes.slice(i, i + 3).map((f) => ({ time: f.timeMs, lat: f.lat, lon: f.lon, speedKph: 36 })),
        }),
      });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 150));
    }
    const position = await c.waitFor((m) => m.type === 'position' && m.topic === own, 'position', 15_000);
    expect(position.data).toMatchObject({ busId: w.a.buses[0].id, tripId: trips[0].id });
    expect(typeof position.seq).toBe('number');
    const started = await c.waitFor((m) => m.type === 'trip' && m.data.event === 'trip.started', 'trip.started');
    expect(started.topic).toBe(own);
    // The live side in the object: the ETA to the stops, and the guardian's own notices (trip started, at the stop).
    const eta = await c.waitFor((m) => m.type === 'eta' && m.topic === own, 'eta', 15_000);
    expect(eta.data).toMatchObject({ tripId: trips[0].id, busId: w.a.buses[0].id });
    expect(eta.data.stops.length).toBeGreaterThan(0);
    const arrived = await c.waitFor(
      (m) => m.type === 'notice' && m.topic === own && m.data.kind === 'stop.arrived',
      'arrival notice',
      15_000,
    );
    expect(arrived.data).toMatchObject({ tripId: trips[0].id, payload: { stopId: String(w.a.routes[0].stops[0].id) } });
    firstNotice = c.messages.find((m) => m.type === 'notice' && m.topic === own);
    expect(firstNotice.seq).toBeLessThan(arrived.seq);
    // The trip's start opened episodes (e.g. no attendant checked in): they reach the school's topic.
    const violation = await manager.waitFor((m) => m.type === 'violation', 'school violation', 15_000);
    expect(violation).toMatchObject({ topic: schoolTopic, data: { busId: w.a.buses[0].id, tripId: trips[0].id } });
    const schoolSeqs = manager.messages.filter((m) => m.type === 'violation').map((m) => m.seq);
    expect(schoolSeqs).toEqual([...new Set(schoolSeqs)].sort((a, b) => a - b));
    // seq strictly increases on the topic
    const seqs = c.messages.filter((m) => m.topic === own && typeof m.seq === 'number').map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Nothing of the other family's bus reached this guardian.
    expect(c.messages.some((m) => m.topic === `bus:${w.a.buses[1].id}` && m.type === 'position')).toBe(false);
  });

  it('a browser authenticates with a first `auth` message and resumes with its last seq; a bad token on the upgrade is answered 401', async () => {
    const c = await connect(wsUrl());
    clients.push(c);
    c.send({ type: 'auth', token: w.tokens.guardianA1 });
    expect(await c.waitFor((m) => m.type === 'authenticated' || m.type === 'error', 'auth answer')).toMatchObject({
      type: 'authenticated',
      role: 'guardian',
    });
    // Resuming after the first notice: the missed notices come back (from storage, in seq order), and the latest
    // position of the trip comes at once (sent by the object on the new link).
    const own = `trip:${trips[0].id}`;
    expect(await subscribe(c, own, firstNotice.seq)).toMatchObject({ type: 'subscribed' });
    const replayed = await c.waitFor(
      (m) => m.type === 'notice' && m.data.kind === 'stop.arrived',
      'replayed arrival notice',
      10_000,
    );
    expect(replayed.topic).toBe(own);
    expect(c.messages.some((m) => m.type === 'notice' && m.seq === firstNotice.seq)).toBe(false);
    await c.waitFor((m) => m.type === 'position' && m.topic === own, 'snapshot position', 10_000);
    await expect(connect(wsUrl(), { token: 'not-a-token' })).rejects.toThrow('HTTP 401');
  });
});
