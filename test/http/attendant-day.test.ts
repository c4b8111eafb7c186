// An attendant's scope is their assigned trips on the trip's day (in the school's time zone), with the bus,
// route and riders of those trips: on another day the same trip is refused over REST and over the live
// WebSocket, and lists agree with one-object reads for every role on every day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging';
import { createLiveHub } from '../../src/live/service';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';
import { connect, type LiveServer, startLiveServer, subscribe } from '../live/helpers';

const DAY1_MS = Date.parse('2026-09-01T10:00:00+08:00');
const DAY2_MIDNIGHT_MS = Date.parse('2026-09-02T00:00:01+08:00');
const DAY3_MS = Date.parse('2026-09-03T10:00:00+08:00');

let t: TestApp;
let w: World;
let srv: LiveServer;
let day1Trip: number;
let day2Trip: number;
let busId: number;
let routeId: number;
let riderId: number;

beforeAll(async () => {
  t = await createTestApp(DAY1_MS);
  w = await buildWorld(t);
  // The world's trips run on 2026-09-01; attendant A1 also works the same route and bus on 2026-09-02.
  day1Trip = w.a.trips[0].id;
  busId = w.a.buses[0].id;
  routeId = w.a.routes[0].id;
  riderId = w.a.students[0].id;
  const next = await ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId,
        busId,
        attendantId: w.a.attendants[0].id,
        serviceDate: '2026-09-02',
        plannedStartAt: '2026-09-02T07:00:00+08:00',
      },
    }),
  );
  day2Trip = next.id;
  const now = () => t.clock.nowMs;
  srv = await startLiveServer({
    database: t.database,
    log: silentLogger,
    now,
    live: createLiveHub({ database: t.database, log: silentLogger, now }),
  });
}, 300_000);
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

const status = async (path: string, token: string) => (await t.call('GET', path, { token })).status;
const listIds = async (path: string, token: string) => {
  const r = await t.call('GET', path, { token });
  expect(r.status, path).toBe(200);
  return r.body.items.map((x: { id: number }) => x.id).sort((a: number, b: number) => a - b);
};

/** The live answer to each topic for the attendant: 'subscribed' or the error status. */
async function liveAnswers(token: string, topics: string[]): Promise<Record<string, string | number>> {
  const client = await connect(srv.wsUrl, { token });
  try {
    await client.waitFor((m) => m.type === 'authenticated', 'authenticated');
    const out: Record<string, string | number> = {};
    for (const topic of topics) {
      const a = await subscribe(client, topic);
      if (a.type === 'error') expect(a, topic).not.toHaveProperty('data');
      out[topic] = a.type === 'subscribed' ? 'subscribed' : a.status;
    }
    return out;
  } finally {
    await client.close();
  }
}

describe("an attendant and the trip's day", () => {
  it("on the trip's day: the trip, its bus, route, riders, boarding and live topics; not tomorrow's trip", async () => {
    t.clock.nowMs = DAY1_MS;
    const tok = w.tokens.attendantA1;
    for (const path of [
      `/api/v1/trips/${day1Trip}`,
      `/api/v1/buses/${busId}`,
      `/api/v1/routes/${routeId}`,
      `/api/v1/students/${riderId}`,
      `/api/v1/trips/${day1Trip}/boarding`,
      `/api/v1/trips/${day1Trip}/position`,
      `/api/v1/trips/${day1Trip}/eta`,
      `/api/v1/buses/${busId}/position`,
    ])
      expect(await status(path, tok), path).toBe(200);
    for (const path of [
      `/api/v1/trips/${day2Trip}`,
      `/api/v1/trips/${day2Trip}/boarding`,
      `/api/v1/trips/${day2Trip}/position`,
      `/api/v1/trips/${day2Trip}/eta`,
    ])
      expect(await status(path, tok), path).toBe(403);
    expect((await t.call('POST', `/api/v1/trips/${day2Trip}/check-in`, { token: tok })).status).toBe(403);
    expect(await listIds('/api/v1/trips', tok)).toEqual([day1Trip]);
    expect(await liveAnswers(tok, [`trip:${day1Trip}`, `bus:${busId}`, `trip:${day2Trip}`])).toEqual({
      [`trip:${day1Trip}`]: 'subscribed',
      [`bus:${busId}`]: 'subscribed',
      [`trip:${day2Trip}`]: 403,
    });
  });

  it("just after local midnight: yesterday's trip is refused over REST and live, with no data; today's is allowed", async () => {
    t.clock.nowMs = DAY2_MIDNIGHT_MS;
    const tok = w.tokens.attendantA1;
    for (const path of [
      `/api/v1/trips/${day1Trip}`,
      `/api/v1/trips/${day1Trip}/boarding`,
      `/api/v1/trips/${day1Trip}/position`,
      `/api/v1/trips/${day1Trip}/eta`,
    ]) {
      const r = await t.call('GET', path, { token: tok });
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
      expect(JSON.stringify(r.body), path).not.toMatch(/A-BUS|Child A|Route A|07:00/);
    }
    const board = await t.call('POST', `/api/v1/trips/${day1Trip}/boarding`, {
      token: tok,
      body: {
        records: [
          { type: 'count', clientId: 'late-1', recordedAt: new Date(DAY2_MIDNIGHT_MS).toISOString(), boarded: 1 },
        ],
      },
    });
    expect(board.status).toBe(403);
    expect(await status(`/api/v1/trips/${day2Trip}`, tok)).toBe(200);
    expect(await status(`/api/v1/buses/${busId}`, tok)).toBe(200);
    expect(await listIds('/api/v1/trips', tok)).toEqual([day2Trip]);
    expect(await liveAnswers(tok, [`trip:${day1Trip}`, `trip:${day2Trip}`, `bus:${busId}`])).toEqual({
      [`trip:${day1Trip}`]: 403,
      [`trip:${day2Trip}`]: 'subscribed',
      [`bus:${busId}`]: 'subscribed',
    });
  });

  it('on a day without a trip of theirs: no trip, bus, route, riders or live topic; their own record stays readable', async () => {
    t.clock.nowMs = DAY3_MS;
    const tok = w.tokens.attendantA1;
    for (const path of [
      `/api/v1/trips/${day1Trip}`,
      `/api/v1/trips/${day2Trip}`,
      `/api/v1/buses/${busId}`,
      `/api/v1/routes/${routeId}`,
      `/api/v1/students/${riderId}`,
      `/api/v1/buses/${busId}/position`,
      `/api/v1/trips/${day2Trip}/boarding`,
    ])
      expect(await status(path, tok), path).toBe(403);
    for (const path of ['/api/v1/trips', '/api/v1/buses', '/api/v1/routes', '/api/v1/students'])
      expect(await listIds(path, tok), path).toEqual([]);
    expect(await status(`/api/v1/attendants/${w.a.attendants[0].id}`, tok)).toBe(200);
    expect(await liveAnswers(tok, [`trip:${day1Trip}`, `trip:${day2Trip}`, `bus:${busId}`])).toEqual({
      [`trip:${day1Trip}`]: 403,
      [`trip:${day2Trip}`]: 403,
      [`bus:${busId}`]: 403,
    });
  });

  it("a guardian keeps their child's trip and bus record on any day, but the bus's live feed only on a day of their child's trip", async () => {
    t.clock.nowMs = DAY3_MS;
    const tok = w.tokens.guardianA1;
    expect(await status(`/api/v1/trips/${day1Trip}`, tok)).toBe(200);
    expect(await status(`/api/v1/buses/${busId}`, tok)).toBe(200);
    expect(await status(`/api/v1/buses/${busId}/position`, tok)).toBe(403);
    expect(await liveAnswers(tok, [`trip:${day1Trip}`, `bus:${busId}`])).toEqual({
      [`trip:${day1Trip}`]: 'subscribed',
      [`bus:${busId}`]: 403,
    });
    t.clock.nowMs = DAY1_MS;
    expect(await status(`/api/v1/buses/${busId}/position`, tok)).toBe(200);
  });
});

describe('lists agree with one-object reads', () => {
  const resources = [
    'schools',
    'buses',
    'devices',
    'drivers',
    'attendants',
    'routes',
    'students',
    'guardians',
    'trips',
  ];

  it('for every role and day, a list holds exactly the objects GET /{id} answers 200 for', async () => {
    const all: Record<string, number[]> = {};
    for (const r of resources) all[r] = await listIds(`/api/v1/${r}?limit=200`, ADMIN_TOKEN);
    const tokens = { ...w.tokens };
    let checked = 0;
    for (const nowMs of [DAY1_MS, DAY2_MIDNIGHT_MS, DAY3_MS]) {
      t.clock.nowMs = nowMs;
      for (const [name, tok] of Object.entries(tokens)) {
        for (const r of resources) {
          const list = await t.call('GET', `/api/v1/${r}?limit=200`, { token: tok });
          const readable: number[] = [];
          for (const id of all[r]!) {
            const s = await status(`/api/v1/${r}/${id}`, tok);
            expect([200, 403], `${name} GET ${r}/${id}`).toContain(s);
            if (s === 200) readable.push(id);
          }
          if (list.status === 403)
            expect(readable, `${name} ${r}: the list is refused, so is every object`).toEqual([]);
          else
            expect(
              list.body.items.map((x: { id: number }) => x.id).sort((a: number, b: number) => a - b),
              `${name} ${r} at ${new Date(nowMs).toISOString()}`,
            ).toEqual(readable);
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * Object.keys(tokens).length * resources.length);
  });
});
