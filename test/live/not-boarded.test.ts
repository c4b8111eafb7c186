// "Child did not board" through the real pipeline (ingest → engine runner → live service → notices): on a morning
// trip where the attendant records students by name, the bus's departure from a child's stop with no boarding
// record for that child tells the child's guardian, once; a child with a record is not named, and nothing is said
// while the bus still stands at the stop. (test/live/parent-notices.test.ts checks the drafts and their text; this
// checks that a departure really sends them.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { createApp } from '../../src/http/app';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import type { DeviceInfo } from '../../src/pipeline/types';
import { insertUser, issueToken } from '../../src/store/repos/auth-repo';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';

const START_MS = Date.parse('2026-09-01T07:30:00+08:00');
const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);
const LON0 = 121.5; // east of school A's routes, west of school B's
const MIDDLE_M = 1400;
const SCHOOL_M = 2800;
const lonAt = (xM: number) => LON0 + xM / M_PER_DEG_LON;

let t: TestApp;
let w: World;
let ingest: PipelineIngest;
let runner: EngineRunner;
let live: LiveService;
let app: ReturnType<typeof createApp>;
let device: DeviceInfo;
let tripId: number;
let middleStopId: number;
let plate: string;
let attendantToken: string;
let boarded: { id: number; name: string };
let missing: { id: number; name: string };
let boardedGuardianId: number;
let missingGuardianId: number;

beforeAll(async () => {
  t = await createTestApp(START_MS - 60_000);
  w = await buildWorld(t);
  const schoolId = w.a.schoolId;
  const route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        approvedBy: 'County education bureau',
        approvalNumber: 'XC-2026-002',
        approvedOn: '2026-01-05',
        schoolId,
        name: 'Morning line',
        period: 'morning',
        path: {
          type: 'LineString',
          coordinates: [
            [LON0, 31.2],
            [lonAt(SCHOOL_M + 200), 31.2],
          ],
        },
        stops: [
          { name: 'Start', lat: 31.2, lon: LON0, scheduledTime: '07:30' },
          { name: 'Middle', lat: 31.2, lon: lonAt(MIDDLE_M), scheduledTime: '07:33' },
          { name: 'School', lat: 31.2, lon: lonAt(SCHOOL_M), scheduledTime: '07:36' },
        ],
      },
    }),
  );
  middleStopId = route.stops[1].id;
  const bus = await ok(
    t.call('POST', '/api/v1/buses', {
      body: {
        schoolId,
        plate: 'NB-1',
        approvedCapacity: 40,
        signValidUntil: '2027-01-01',
        inspectionValidUntil: '2027-01-01',
      },
    }),
  );
  plate = bus.plate;
  await ok(
    t.call('POST', '/api/v1/devices', {
      body: { schoolId, busId: bus.id, protocol: 'json', identifier: 'NB-dev-1', secret: 'secret-123' },
    }),
  );
  const attendant = await ok(
    t.call('POST', '/api/v1/attendants', {
      body: { schoolId, name: 'Attendant NB', trainingValidUntil: '2027-01-01' },
    }),
  );
  const child = async (name: string, parent: string) => {
    const s = await ok(
      t.call('POST', '/api/v1/students', {
        body: { schoolId, name, stops: [{ routeId: route.id, stopId: middleStopId }] },
      }),
    );
    const g = await ok(t.call('POST', '/api/v1/guardians', { body: { schoolId, name: parent, studentIds: [s.id] } }));
    return { student: { id: s.id as number, name }, guardianId: g.id as number };
  };
  const a = await child('张小明', 'Parent NB1');
  const b = await child('李小华', 'Parent NB2');
  boarded = a.student;
  boardedGuardianId = a.guardianId;
  missing = b.student;
  missingGuardianId = b.guardianId;
  const trip = await ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId: route.id,
        busId: bus.id,
        attendantId: attendant.id,
        serviceDate: '2026-09-01',
        plannedStartAt: new Date(START_MS).toISOString(),
      },
    }),
  );
  tripId = trip.id;
  const user = await insertUser(t.database.db, { name: 'Attendant NB', role: 'attendant', attendantId: attendant.id });
  attendantToken = (await issueToken(t.database.db, user.id)).token;

  const now = () => t.clock.nowMs;
  ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 1 } });
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  runner.attach(ingest);
  live = createLiveHub({ database: t.database, log: silentLogger, now });
  live.attach({ ingest, runner });
  app = createApp({ database: t.database, log: silentLogger, now, ingest, runner, live });
  device = (await ingest.lookupDevice('json', 'NB-dev-1'))!;
}, 120_000);

afterAll(async () => {
  await runner?.close();
  await ingest?.close();
  await live?.close();
  await t?.close();
});

let driveS = 0;
let xM = 0;
/** Drives `seconds` at `kph` along the line (0: standing), one fix a second, five per submission. */
async function drive(seconds: number, kph: number) {
  let batch: Fix[] = [];
  for (let s = 0; s < seconds; s++) {
    driveS++;
    xM += kph / 3.6;
    const timeMs = START_MS + 30_000 + driveS * 1000;
    batch.push({
      deviceId: 'NB-dev-1',
      protocol: 'json',
      timeMs,
      lat: 31.2,
      lon: lonAt(xM),
      speedKph: kph,
      valid: true,
      alarms: [],
      attributes: {},
    });
    if (batch.length === 5 || s === seconds - 1) {
      t.clock.nowMs = timeMs + 500;
      await ingest.submitFixes(device, batch, t.clock.nowMs);
      batch = [];
    }
  }
  await runner.idle();
  await live.idle();
}

const notBoarded = (guardianId: number) =>
  t.database.query<{ trip_id: number; text_zh: string; text_en: string; payload: any }>(
    "select trip_id, text_zh, text_en, payload from notices where guardian_id = $1 and kind = 'student.notBoarded'",
    [guardianId],
  );
const tripEvents = (type: string) =>
  t.database.query('select 1 from notices where trip_id = $1 and kind = $2', [tripId, type]);

describe('child did not board, through the pipeline', () => {
  it('the bus leaving the child’s stop with no boarding record for the child tells the guardian, once', async () => {
    await drive(10, 0); // at the first stop: the trip starts
    await drive(140, 36); // 1400 m: at the children's stop
    await drive(20, 0); // standing there
    expect(await tripEvents('stop.arrived')).toHaveLength(2); // both children's guardians told of the arrival
    // The attendant records one of the two children by name.
    const res = await app.request(`/api/v1/trips/${tripId}/boarding`, {
      method: 'POST',
      headers: { authorization: `Bearer ${attendantToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        records: [
          {
            type: 'student',
            clientId: 'nb-pipe-1',
            recordedAt: new Date(t.clock.nowMs - 1000).toISOString(),
            studentId: boarded.id,
            event: 'boarded',
            stopId: middleStopId,
          },
        ],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await drive(10, 0); // still standing at the stop: nothing said yet
    expect(await notBoarded(missingGuardianId)).toEqual([]);

    await drive(30, 36); // leaves the stop
    expect(await tripEvents('stop.departed')).toHaveLength(2);
    const told = await notBoarded(missingGuardianId);
    expect(told).toHaveLength(1);
    expect(told[0]!.trip_id).toBe(tripId);
    expect(told[0]!.payload).toMatchObject({ studentId: missing.id, stopId: String(middleStopId) });
    expect(told[0]!.text_zh).toBe(`校车（${plate}）已离开“Middle”站，但没有${missing.name}的上车记录。`);
    expect(await notBoarded(boardedGuardianId)).toEqual([]);

    // On to school: still once.
    await drive(120, 36);
    expect(await tripEvents('school.arrived')).toHaveLength(2);
    expect(await notBoarded(missingGuardianId)).toHaveLength(1);
    expect(await notBoarded(boardedGuardianId)).toEqual([]);
  });
});
