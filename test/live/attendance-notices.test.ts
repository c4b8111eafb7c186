// End to end: the attendant checks a child in and out over HTTP; the child's guardian, connected to the live
// WebSocket and subscribed to the trip, receives the boarded and got-off notices (and nobody else does). The
// attendance routes reach the notice service through deps.live (no hook injected).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttendanceDeps } from '../../src/http/resources/attendance';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, type World } from '../helpers/world';
import { connect, type LiveServer, startLiveServer, subscribe } from './helpers';

const DAY0_MS = Date.parse('2026-09-01T07:05:00+08:00');

let t: TestApp;
let w: World;
let runner: EngineRunner;
let live: LiveService;
let srv: LiveServer;

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  const now = () => t.clock.nowMs;
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  live = createLiveHub({ database: t.database, log: silentLogger, now });
  live.attach({ runner });
  const deps: AttendanceDeps & { live: LiveService } = {
    database: t.database,
    log: silentLogger,
    now,
    runner,
    live,
  };
  srv = await startLiveServer(deps);
}, 30_000);

afterAll(async () => {
  await srv?.close();
  await runner?.close();
  await t?.close();
});

async function post(path: string, token: string, body: unknown) {
  const res = await fetch(srv.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('boarding notices over the live channel', () => {
  it('the guardian of a checked-in child receives the boarded and got-off notices', async () => {
    const trip = w.a.trips[0];
    const child = w.a.students[0];
    const [first, school] = w.a.routes[0].stops;
    const parent = await connect(srv.wsUrl, { token: w.tokens.guardianA1 });
    const otherParent = await connect(srv.wsUrl, { token: w.tokens.guardianA2 });
    try {
      expect((await subscribe(parent, `trip:${trip.id}`)).type).toBe('subscribed');
      expect((await subscribe(otherParent, `trip:${w.a.trips[1].id}`)).type).toBe('subscribed');
      expect((await post(`/api/v1/trips/${trip.id}/check-in`, w.tokens.attendantA1, {})).status).toBe(200);

      const on = {
        type: 'student',
        clientId: 'on-1',
        recordedAt: new Date(DAY0_MS + 60_000).toISOString(),
        studentId: child.id,
        event: 'boarded',
        stopId: first.id,
      };
      const r1 = await post(`/api/v1/trips/${trip.id}/boarding`, w.tokens.attendantA1, { records: [on] });
      expect(r1.status, JSON.stringify(r1.body)).toBe(200);
      const boarded = await parent.waitFor(
        (m) => m.type === 'notice' && m.data.kind === 'student.boarded',
        'boarded notice',
      );
      expect(boarded.topic).toBe(`trip:${trip.id}`);
      expect(boarded.data.payload).toMatchObject({ tripId: trip.id });

      t.clock.nowMs = DAY0_MS + 20 * 60_000;
      const off = {
        type: 'student',
        clientId: 'off-1',
        recordedAt: new Date(DAY0_MS + 19 * 60_000).toISOString(),
        studentId: child.id,
        event: 'gotOff',
        stopId: school.id,
      };
      // sent twice (an offline resend): one notice
      expect((await post(`/api/v1/trips/${trip.id}/boarding`, w.tokens.attendantA1, { records: [off] })).status).toBe(
        200,
      );
      expect(
        (await post(`/api/v1/trips/${trip.id}/boarding`, w.tokens.attendantA1, { records: [on, off] })).body.applied,
      ).toEqual([]);
      const gotOff = await parent.waitFor(
        (m) => m.type === 'notice' && m.data.kind === 'student.alighted',
        'got-off notice',
      );
      expect(gotOff.seq).toBeGreaterThan(boarded.seq);
      await new Promise((r) => setTimeout(r, 100));
      expect(
        parent
          .of('notice')
          .map((m) => m.data.kind)
          .filter((k: string) => k.startsWith('student.')),
      ).toEqual(['student.boarded', 'student.alighted']);
      expect(otherParent.of('notice')).toEqual([]);
      const stored = await t.database.query<{ kind: string }>(
        "select kind from notices where guardian_id = $1 and kind like 'student.%' order by id",
        [w.a.guardians[0].id],
      );
      expect(stored.map((s) => s.kind)).toEqual(['student.boarded', 'student.alighted']);
    } finally {
      await parent.close();
      await otherParent.close();
    }
  });
});
