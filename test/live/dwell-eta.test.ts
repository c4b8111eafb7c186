// ETA while the bus dwells at a stop, through the real pipeline (ingest → engine runner → live service → WebSocket
// and REST): the stop being served stays in the remaining list, first and due now, until its departure — never an
// empty list while stops remain. And with sparse reports (one fix a minute) the guardian of a stop no fix fell into
// still gets "approaching" and "arrived".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import type { DeviceInfo } from '../../src/pipeline/types';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { issueToken, insertUser } from '../../src/store/repos/auth-repo';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok } from '../helpers/world';
import { connect, type LiveClient, type LiveServer, startLiveServer, subscribe } from './helpers';

const START_MS = Date.parse('2026-09-01T07:00:00+08:00');
const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);
const LON0 = 121.5;
const STOPS_M = [0, 800, 1600, 2400, 3200];
const lonAt = (xM: number) => LON0 + xM / M_PER_DEG_LON;

let t: TestApp;
let ingest: PipelineIngest;
let runner: EngineRunner;
let live: LiveService;
let srv: LiveServer;
const lines: { tripId: number; device: DeviceInfo; stopIds: string[]; token: string; identifier: string }[] = [];

beforeAll(async () => {
  t = await createTestApp(START_MS - 60_000);
  const w = await buildWorld(t);
  const schoolId = w.a.schoolId;
  for (const tag of ['dense', 'sparse']) {
    const route = await ok(
      t.call('POST', '/api/v1/routes', {
        body: {
          // Approved (Art. 30): trips are refused on an unapproved route.
          approvedBy: 'County education bureau',
          approvalNumber: 'XC-2026-001',
          approvedOn: '2026-01-05',
          schoolId,
          name: `Line ${tag}`,
          path: {
            type: 'LineString',
            coordinates: [
              [LON0, 31.2],
              [lonAt(3400), 31.2],
            ],
          },
          stops: STOPS_M.map((m, i) => ({
            name: `Stop ${i + 1}`,
            lat: 31.2,
            lon: lonAt(m),
            scheduledTime: `07:0${i * 2}`,
          })),
        },
      }),
    );
    const bus = await ok(
      t.call('POST', '/api/v1/buses', {
        body: {
          schoolId,
          plate: `DW-${tag}`,
          approvedCapacity: 40,
          signValidUntil: '2027-01-01',
          inspectionValidUntil: '2027-01-01',
        },
      }),
    );
    await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId, busId: bus.id, protocol: 'json', identifier: `dw-${tag}`, secret: 'secret-123' },
      }),
    );
    // The child waits at the third stop.
    const student = await ok(
      t.call('POST', '/api/v1/students', {
        body: { schoolId, name: `Child ${tag}`, stops: [{ routeId: route.id, stopId: route.stops[2].id }] },
      }),
    );
    const guardian = await ok(
      t.call('POST', '/api/v1/guardians', {
        body: {
          schoolId,
          name: `Parent ${tag}`,
          studentIds: [student.id],
          locale: 'en',
          noticePreferences: { approachMetres: 300 },
        },
      }),
    );
    const trip = await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: route.id,
          busId: bus.id,
          serviceDate: '2026-09-01',
          plannedStartAt: '2026-09-01T07:00:00+08:00',
        },
      }),
    );
    const user = await insertUser(t.database.db, { name: `Parent ${tag}`, role: 'guardian', guardianId: guardian.id });
    lines.push({
      tripId: trip.id,
      device: undefined as unknown as DeviceInfo,
      stopIds: route.stops.map((s: { id: number }) => String(s.id)),
      token: (await issueToken(t.database.db, user.id)).token,
      identifier: `dw-${tag}`,
    });
  }
  const now = () => t.clock.nowMs;
  ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 1 } });
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  runner.attach(ingest);
  live = createLiveHub({ database: t.database, log: silentLogger, now });
  live.attach({ ingest, runner });
  srv = await startLiveServer({ database: t.database, log: silentLogger, now, ingest, runner, live });
  for (const l of lines) l.device = (await ingest.lookupDevice('json', l.identifier))!;
}, 180_000);

afterAll(async () => {
  await srv?.close();
  await runner?.close();
  await ingest?.close();
  await t?.close();
});

async function send(line: (typeof lines)[number], fixes: { s: number; xM: number; kph: number }[]) {
  for (const f of fixes) {
    const timeMs = START_MS + 30_000 + f.s * 1000;
    const fix: Fix = {
      deviceId: line.identifier,
      protocol: 'json',
      timeMs,
      lat: 31.2,
      lon: lonAt(f.xM),
      speedKph: f.kph,
      valid: true,
      alarms: [],
      attributes: {},
    };
    t.clock.nowMs = timeMs + 300;
    await ingest.submitFixes(line.device, [fix], t.clock.nowMs);
  }
  await runner.idle();
  await live.idle();
}

async function restEta(line: (typeof lines)[number]) {
  const r = await fetch(`${srv.url}/api/v1/trips/${line.tripId}/eta`, {
    headers: { authorization: `Bearer ${line.token}` },
  });
  expect(r.status).toBe(200);
  return (await r.json()) as { source: string; atStopId: string | null; stops: { stopId: string; etaMs: number }[] };
}

describe('ETA while dwelling', () => {
  let parent: LiveClient;

  it('keeps the stop being served, and every stop after it, in the ETA list until the bus departs', async () => {
    const line = lines[0]!;
    parent = await connect(srv.wsUrl, { token: line.token });
    await subscribe(parent, `trip:${line.tripId}`);
    // Leave the first stop and drive to 20 m before the third (1600 m), one fix a second at 36 km/h.
    let s = 0;
    const moving: { s: number; xM: number; kph: number }[] = [];
    for (let x = 0; x <= 1580; x += 10) moving.push({ s: s++, xM: x, kph: 36 });
    await send(line, moving);
    const beforeDwell = parent.of('eta').length;
    // Dwell 90 s at the third stop (k = 2), creeping a few metres.
    const dwell: { s: number; xM: number; kph: number }[] = [];
    for (let i = 0; i < 90; i++) dwell.push({ s: s++, xM: 1590 + (i % 3), kph: 0 });
    await send(line, dwell);
    const k = 2;
    const expected = line.stopIds.slice(k);
    // Every ETA pushed while dwelling lists stops k…n, the one served first and due at the time it was computed.
    const during = parent.of('eta').slice(beforeDwell);
    expect(during.length).toBeGreaterThan(0);
    for (const m of during) {
      expect(m.data.stops.map((x: { stopId: string }) => x.stopId)).toEqual(expected);
      expect(m.data.atStopId).toBe(line.stopIds[k]);
      expect(m.data.stops[0].etaMs).toBe(m.data.computedMs);
    }
    // The REST twin agrees (the parent page reads it on load).
    const rest = await restEta(line);
    expect(rest.source).toBe('live');
    expect(rest.atStopId).toBe(line.stopIds[k]);
    expect(rest.stops.map((x) => x.stopId)).toEqual(expected);
    expect(parent.of('trip').some((m) => m.data.event === 'stop.departed' && m.data.stopId === line.stopIds[k])).toBe(
      false,
    );

    // Departure: now the served stop leaves the list, and only then.
    const leave: { s: number; xM: number; kph: number }[] = [];
    for (let x = 1600; x <= 1800; x += 10) leave.push({ s: s++, xM: x, kph: 36 });
    await send(line, leave);
    await parent.waitFor(
      (m) => m.type === 'trip' && m.data.event === 'stop.departed' && m.data.stopId === line.stopIds[k],
      'departure from the child’s stop',
    );
    const after = await restEta(line);
    expect(after.atStopId).toBeNull();
    expect(after.stops.map((x) => x.stopId)).toEqual(line.stopIds.slice(k + 1));
    await parent.close();
  });

  it('with one fix a minute, the guardian of a stop no fix fell into still gets approaching and arrived', async () => {
    const line = lines[1]!;
    const client = await connect(srv.wsUrl, { token: line.token });
    await subscribe(client, `trip:${line.tripId}`);
    // The child's stop at 1600 m falls between the fixes at 1100 m (500 m before: outside the guardian's 300 m)
    // and 2000 m: no ETA ever came within 300 m of it.
    await send(line, [
      { s: 0, xM: 0, kph: 30 },
      { s: 60, xM: 550, kph: 40 },
      { s: 120, xM: 1100, kph: 50 },
      { s: 180, xM: 2000, kph: 50 },
    ]);
    await client.waitFor((m) => m.type === 'notice' && m.data.kind === 'stop.arrived', 'inferred arrival notice');
    const kinds = client.of('notice').map((m) => m.data.kind);
    expect(kinds).toEqual(['trip.started', 'approaching', 'stop.arrived', 'stop.departed']);
    const rows = await t.database.query<{ kind: string; ms: number }>(
      'select kind, extract(epoch from time) * 1000 as ms from stop_events where trip_id = $1 and stop_id = $2 order by kind',
      [line.tripId, Number(line.stopIds[2])],
    );
    // Stamped with the inferred passage (between the two fixes, by the speeds), not with the fix that revealed it.
    const arrivedMs = Number(rows.find((r) => r.kind === 'arrived')!.ms);
    expect(arrivedMs).toBeGreaterThan(START_MS + 30_000 + 120_000);
    expect(arrivedMs).toBeLessThan(START_MS + 30_000 + 180_000);
    expect(rows.map((r) => r.kind)).toEqual(['arrived', 'departed']);
    await client.close();
  });
});
