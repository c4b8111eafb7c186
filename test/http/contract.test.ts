// The HTTP contract: the OpenAPI document has a response schema for every 2xx of every operation; every operation,
// called for real on a seeded world (the engine runner and the ingest pipeline on), answers a body its declared
// schema accepts; the checker catches a missing or renamed field; the error table covers every code the server emits.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, operationsOf } from '../../src/http/app';
import * as contract from '../../src/http/contract';
import { type ErrorCode, errorCodes, errorStatus } from '../../src/http/contract/errors';
import type { RouteImportErrorCode } from '../../src/ingest/route-import';
import { decodeOsmand } from '../../src/ingest/osmand';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { jpegWithExif } from '../helpers/photos';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { assertContract, contractProblem } from '../helpers/contract';
import { buildWorld, type World } from '../helpers/world';

// The world's trips run on 2026-09-01 (Asia/Shanghai); the clock starts at 07:30 local that day.
const DAY0_MS = Date.parse('2026-09-01T07:30:00+08:00');
const cairnsZip = readFileSync(fileURLToPath(new URL('../fixtures/gtfs/cairns_gtfs.zip', import.meta.url)));

let t: TestApp;
let w: World;
let runner: EngineRunner;
let ingest: PipelineIngest;
let app: ReturnType<typeof createApp>;
/** Operations answered with a 2xx in this file ("get /buses/{id}"). */
const exercised = new Set<string>();

interface Opts {
  token?: string;
  body?: unknown;
  raw?: BodyInit;
  contentType?: string;
}

/** One request on the fully wired app: the answer must keep the contract, and be a 2xx unless `status` says otherwise. */
async function call(method: string, path: string, opts: Opts = {}, status?: number): Promise<any> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? ADMIN_TOKEN}` };
  if (opts.body !== undefined || opts.contentType) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await app.request(path, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  const body = json && text ? JSON.parse(text) : text || null;
  if (status !== undefined) expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(status);
  else
    expect(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status}: ${text.slice(0, 300)}`).toBe(
      true,
    );
  assertContract(app, method, path, res, body);
  const op = operationsOf(app).match(method, new URL(path, 'http://x').pathname);
  if (op && res.status < 300) exercised.add(`${op.method} ${op.path}`);
  return body;
}

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
  const now = () => t.clock.nowMs;
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 2 } });
  app = createApp({ database: t.database, log: silentLogger, now, runner, ingest });
}, 300_000);
afterAll(async () => {
  await ingest?.close();
  await runner?.close();
  await t?.close();
});

describe('the OpenAPI document', () => {
  it('has a response schema for every 2xx of every operation, and the error envelope with the code enum', async () => {
    const res = await app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => ({ key: `${m} ${path}`, op })),
    );
    expect(ops.length).toBe(operationsOf(app).operations.length);
    expect(ops.length).toBeGreaterThanOrEqual(70);
    const missing: string[] = [];
    for (const { key, op } of ops) {
      const successes = Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));
      if (!successes.length) missing.push(`${key}: no 2xx`);
      for (const s of successes) {
        if (s === '204') {
          if (op.responses[s].content) missing.push(`${key} 204 has content`);
          continue;
        }
        const schema = op.responses[s].content?.['application/json']?.schema;
        // A real schema: an object (or a union of objects) with named properties, not {} or "anything".
        const described = schema && (schema.properties || schema.anyOf || schema.oneOf) ? true : false;
        if (!described) missing.push(`${key} ${s}: no response schema`);
      }
      expect(op.responses.default?.$ref, key).toBe('#/components/responses/Error');
    }
    expect(missing).toEqual([]);
    const envelope = doc.components.responses.Error.content['application/json'].schema;
    expect(envelope.properties.error.properties.code.enum).toEqual(errorCodes);
    expect(envelope.properties.error.required).toEqual(['code', 'message', 'requestId']);
    expect(doc.components.schemas.ErrorCode['x-status-by-code']).toEqual(errorStatus);
    // Response schemas are strict: an unknown field is a contract change.
    expect(
      doc.paths['/api/v1/buses/{id}'].get.responses['200'].content['application/json'].schema.additionalProperties,
    ).toBe(false);
    expect(Object.keys(doc.paths['/api/v1/reports/{id}'].get.responses['200'].content)).toEqual([
      'application/json',
      'text/csv',
      'text/html',
    ]);
  });
});

describe('every operation answers as declared', () => {
  it('registry resources: list, get, create, update and delete', async () => {
    const s = w.a.schoolId;
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['schools', { name: 'Contract school', lat: 31.2, lon: 121.5 }, { lowVisibility: true }],
      ['buses', { schoolId: s, plate: 'CT-BUS-1', approvedCapacity: 30, signValidUntil: '2027-01-01' }, { seats: 20 }],
      ['devices', { schoolId: s, protocol: 'json', identifier: 'ct-dev-1', secret: 'secret-123' }, { label: 'spare' }],
      [
        'drivers',
        {
          schoolId: s,
          name: 'Contract driver',
          birthDate: '1980-01-01',
          licenceClass: 'A1',
          licenceFirstIssued: '2005-01-01',
        },
        { phone: '123' },
      ],
      ['attendants', { schoolId: s, name: 'Contract attendant' }, { phone: '456' }],
      [
        'routes',
        {
          schoolId: s,
          name: 'Contract route',
          path: {
            type: 'LineString',
            coordinates: [
              [121.45, 31.2],
              [121.46, 31.21],
            ],
          },
          stops: [{ name: 'Gate', lat: 31.21, lon: 121.46, scheduledTime: '07:30' }],
          zones: [],
        },
        { corridorWidthM: 150 },
      ],
      [
        'students',
        {
          schoolId: s,
          name: 'Contract child',
          stops: [{ routeId: w.a.routes[0].id, stopId: w.a.routes[0].stops[0].id }],
        },
        { grade: '3' },
      ],
      ['guardians', { schoolId: s, name: 'Contract parent', studentIds: [w.a.students[0].id] }, { phone: '789' }],
      [
        'trips',
        {
          routeId: w.a.routes[0].id,
          busId: w.a.buses[0].id,
          serviceDate: '2026-09-03',
          plannedStartAt: '2026-09-03T07:00:00+08:00',
        },
        { status: 'cancelled' },
      ],
    ];
    await call('GET', '/api/v1/students?include=stops&limit=2');
    await call('GET', '/api/v1/guardians?include=students&limit=2');
    for (const [path, create, patch] of cases) {
      const made = await call('POST', `/api/v1/${path}`, { body: create }, 201);
      await call('GET', `/api/v1/${path}?limit=2`);
      await call('GET', `/api/v1/${path}/${made.id}`);
      await call('PATCH', `/api/v1/${path}/${made.id}`, { body: patch });
      await call('DELETE', `/api/v1/${path}/${made.id}`, {}, 204);
    }
  });

  it('JT/T 808 re-registration windows and device events', async () => {
    const terminal = await call(
      'POST',
      '/api/v1/devices',
      { body: { schoolId: w.a.schoolId, busId: w.a.buses[0].id, protocol: 'jt808', identifier: '013912340001' } },
      201,
    );
    const opened = await call('POST', `/api/v1/devices/${terminal.id}/reregistration`, { body: { validMinutes: 10 } });
    expect(opened.deviceId).toBe(terminal.id);
    await call('DELETE', `/api/v1/devices/${terminal.id}/reregistration`, {}, 204);
    const events = await call('GET', `/api/v1/devices/${terminal.id}/events?limit=5`);
    expect(events.items.map((e: { payload: { action: string } }) => e.payload.action)).toEqual(['closed', 'opened']);
  });

  it('users, tokens and the caller’s own endpoints', async () => {
    await call('GET', '/api/v1/me');
    const link = await call(
      'POST',
      `/api/v1/guardians/${w.a.guardians[0].id}/parent-link`,
      { token: w.tokens.managerA, body: {} },
      201,
    );
    expect(link.guardianId).toBe(w.a.guardians[0].id);
    await call('GET', '/api/v1/me', { token: w.tokens.guardianA1 });
    const user = await call(
      'POST',
      '/api/v1/users',
      { body: { name: 'Contract manager', role: 'manager', schoolIds: [w.a.schoolId] } },
      201,
    );
    const token = await call('POST', `/api/v1/users/${user.id}/tokens`, { body: { label: 'contract' } }, 201);
    await call('GET', `/api/v1/users/${user.id}/tokens`);
    await call('GET', '/api/v1/users');
    await call('DELETE', `/api/v1/tokens/${token.id}`, {}, 204);
    const disabled = await call('PATCH', `/api/v1/users/${user.id}`, { body: { disabled: true } });
    expect(disabled.disabled).toBe(true);
    await call('DELETE', `/api/v1/users/${user.id}`, {}, 204);
    const mine = await call('GET', '/api/v1/me/trips', { token: w.tokens.attendantA1 });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items[0].riders.length).toBeGreaterThan(0);
    await call('GET', '/api/v1/me/trips?date=2026-09-01', { token: w.tokens.guardianA1 });
    await call('GET', '/api/v1/me/notice-preferences', { token: w.tokens.guardianA1 });
    await call('PATCH', '/api/v1/me/notice-preferences', {
      token: w.tokens.guardianA1,
      body: { approachMetres: 500, muted: ['arrived'] },
    });
  });

  it('web push', async () => {
    const g = { token: w.tokens.guardianA1 };
    await call('GET', '/api/v1/push/vapid-public-key', g);
    const keys = { p256dh: `BA${'A'.repeat(85)}`, auth: 'A'.repeat(22) };
    const sub = await call(
      'POST',
      '/api/v1/push/subscriptions',
      { ...g, body: { endpoint: 'https://fcm.googleapis.com/fcm/send/contract', keys } },
      201,
    );
    await call('GET', '/api/v1/push/subscriptions', g);
    await call('DELETE', `/api/v1/push/subscriptions/${sub.id}`, g, 204);
  });

  it('share links', async () => {
    const g = { token: w.tokens.guardianA1 };
    const link = await call('POST', '/api/v1/share-links', { ...g, body: { studentId: w.a.students[0].id } }, 201);
    await call('GET', '/api/v1/share-links', g);
    await call('GET', `/api/v1/shared/${link.secret}`, { token: 'no-token-needed-here' });
    await call('DELETE', `/api/v1/share-links/${link.id}`, g, 204);
    const gone = await call('GET', `/api/v1/shared/${link.secret}`, {}, 410);
    expect(gone.error.code).toBe('gone');
  });

  it('route import (GeoJSON and GTFS)', async () => {
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
    const stop = {
      type: 'Feature',
      properties: { name: 'Near' },
      geometry: { type: 'Point', coordinates: [121.401, 31.2001] },
    };
    const preview = await call(
      'POST',
      '/api/v1/routes/import/geojson',
      {
        body: { schoolId: w.a.schoolId, geojson: { type: 'FeatureCollection', features: [line, stop] }, preview: true },
      },
      200,
    );
    expect(preview.preview).toBe(true);
    await call(
      'POST',
      '/api/v1/routes/import/geojson',
      { body: { schoolId: w.a.schoolId, geojson: { type: 'FeatureCollection', features: [line, stop] } } },
      201,
    );
    const gtfsPreview = await call(
      'POST',
      `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=121-423&preview=true`,
      { raw: cairnsZip, contentType: 'application/zip' },
      200,
    );
    expect(gtfsPreview.stops.length).toBeGreaterThan(1);
    await call(
      'POST',
      `/api/v1/routes/import/gtfs?schoolId=${w.a.schoolId}&routeId=121-423`,
      { raw: cairnsZip, contentType: 'application/zip' },
      201,
    );
  });

  it('telemetry, live twins, attendance, violations and cases', async () => {
    const trip = w.a.trips[0];
    const at = (min: number) => new Date(DAY0_MS + min * 60_000).toISOString();
    const posted = await call('POST', '/api/v1/telemetry/positions', {
      token: w.tokens.deviceA1,
      body: {
        positions: [
          { time: at(0), lat: 31.2, lon: 121.4, speedKph: 20 },
          { time: at(0), lat: 31.2, lon: 121.4 },
          { time: 'yesterday', lat: 31.2, lon: 121.4 },
        ],
      },
    });
    expect(posted.items.map((i: any) => i.status)).toContain('rejected');

    const checkIn = await call('POST', `/api/v1/trips/${trip.id}/check-in`, { token: w.tokens.attendantA1 });
    expect(checkIn.checks.length).toBe(3);
    t.clock.nowMs += 60_000;
    const boarded = await call('POST', `/api/v1/trips/${trip.id}/boarding`, {
      token: w.tokens.attendantA1,
      body: {
        records: [
          { clientId: 'c-1', type: 'count', recordedAt: at(1), boarded: 2, stopId: w.a.routes[0].stops[0].id },
          { clientId: 'c-2', type: 'student', recordedAt: at(1), studentId: w.a.students[1].id, event: 'boarded' },
          { clientId: 'c-3', type: 'student', recordedAt: at(1), cardId: 'NO-SUCH-CARD', event: 'boarded' },
        ],
      },
    });
    expect(boarded.warnings.length).toBeGreaterThan(0);
    await call('GET', `/api/v1/trips/${trip.id}/boarding`);
    await call('GET', `/api/v1/buses/${trip.busId}/position`);
    await call('GET', `/api/v1/trips/${trip.id}/position`);
    await call('GET', `/api/v1/trips/${trip.id}/eta`);
    await call('GET', `/api/v1/trips/${trip.id}/eta?stopId=${w.a.routes[0].stops[1].id}`, {
      token: w.tokens.guardianA1,
    });
    await call('GET', `/api/v1/notices?guardianId=${w.a.guardians[0].id}`);
    await call('GET', '/api/v1/notices', { token: w.tokens.guardianA1 });

    // SOS from the attendant: a critical emergency case at once.
    const sos = await call(
      'POST',
      `/api/v1/trips/${trip.id}/sos`,
      { token: w.tokens.attendantA1, body: { lat: 31.2, lon: 121.4, note: 'child unwell', clientId: 'sos-c' } },
      201,
    );
    expect(sos.severity).toBe('critical');

    // Children still counted on board: the sweep raises the "left on board" alert, a violation case. The sweep
    // waits for the last stop.
    t.clock.nowMs += 60_000;
    const last = w.a.routes[0].stops.at(-1);
    await t.database.query("insert into stop_events (trip_id, stop_id, kind, time) values ($1, $2, 'arrived', $3)", [
      trip.id,
      last.id,
      new Date(t.clock.nowMs - 30_000).toISOString(),
    ]);
    const swept = await call('POST', `/api/v1/trips/${trip.id}/sweep`, {
      token: w.tokens.attendantA1,
      body: { confirmedEmpty: false },
    });
    expect(swept.alreadyConfirmed).toBe(false);
    expect(swept.alert).not.toBeNull();
    const again = await call('POST', `/api/v1/trips/${trip.id}/sweep`, {
      token: w.tokens.attendantA1,
      body: { confirmedEmpty: true },
    });
    expect(again.alreadyConfirmed).toBe(true);

    const list = await call('GET', `/api/v1/violations?tripId=${trip.id}&sort=severity`);
    expect(list.items.length).toBeGreaterThan(0);
    await call('GET', '/api/v1/violations?limit=1');
    await call('GET', `/api/v1/violations/counts?schoolId=${w.a.schoolId}`);
    const alert = list.items.find((v: any) => v.kind === 'childLeftOnBoard') ?? list.items[0];
    const detail = await call('GET', `/api/v1/violations/${alert.id}?marginS=600`);
    expect(detail.track.type).toBe('FeatureCollection');
    await call('POST', `/api/v1/violations/${alert.id}/transitions`, { body: { to: 'acknowledged', note: 'on it' } });
    await call('PATCH', `/api/v1/violations/${alert.id}/case`, { body: { dueAt: '2026-09-05T00:00:00Z' } });
    await call('POST', `/api/v1/violations/${alert.id}/notes`, { body: { note: 'called the driver' } }, 201);
    await call('GET', `/api/v1/violations/${alert.id}/actions`);
    // Escalation (挂牌督办) and the staff notices it leaves for the school's managers.
    await call('POST', `/api/v1/violations/${alert.id}/escalate`, { body: { note: 'overdue, supervised' } });
    const notices = await call('GET', '/api/v1/staff-notices?limit=5', { token: w.tokens.managerA });
    expect(notices.items.length).toBeGreaterThan(0);
    await call('POST', `/api/v1/staff-notices/${notices.items[0].id}/read`, { token: w.tokens.managerA }, 204);
    // A guardian's hazard report with a photo: the receipt, its status, and the photo for the school's managers.
    const filed = await call(
      'POST',
      '/api/v1/hazard-reports',
      {
        token: w.tokens.guardianA1,
        body: {
          category: 'unsafeStop',
          busId: w.a.buses[0].id,
          place: 'School gate',
          occurredAt: new Date(t.clock.nowMs - 60_000).toISOString(),
          description: 'Children wait on the carriageway',
          photos: [{ data: Buffer.from(jpegWithExif()).toString('base64') }],
        },
      },
      201,
    );
    expect((await call('GET', `/api/v1/hazard-reports/${filed.receipt}`)).status).toBe('received');
    const hazardCase = (await call('GET', '/api/v1/violations?kind=hazardReport')).items[0];
    expect((await call('GET', `/api/v1/violations/${hazardCase.id}/photos/1`)).contentType).toBe('image/jpeg');
    await call('POST', `/api/v1/trips/${trip.id}/sweep/resolve`, { body: { note: 'bus searched, nobody aboard' } });
  });

  it('inspections: pre-trip check, weekly inspection, drills and driver trainings', async () => {
    const trip = await call(
      'POST',
      '/api/v1/trips',
      {
        body: {
          routeId: w.a.routes[0].id,
          busId: w.a.buses[0].id,
          attendantId: w.a.attendants[0].id,
          serviceDate: '2026-09-01',
          plannedStartAt: '2026-09-01T16:00:00+08:00',
        },
      },
      201,
    );
    const items = Object.fromEntries(
      [
        'brakes',
        'steering',
        'lights',
        'tyres',
        'emergencyExits',
        'seatsAndBelts',
        'extinguisher',
        'firstAidKit',
        'escapeHammer',
        'schoolBusSign',
        'signalLamps',
      ].map((i) => [i, { ok: true }]),
    );
    const check = await call(
      'POST',
      `/api/v1/trips/${trip.id}/pre-trip-check`,
      { token: w.tokens.attendantA1, body: { performedBy: 'driver', performerName: 'Driver A2', items } },
      201,
    );
    expect(check.passed).toBe(true);
    expect((await call('GET', `/api/v1/trips/${trip.id}/pre-trip-check`)).latest.id).toBe(check.id);
    const busId = w.a.buses[0].id;
    await call(
      'POST',
      `/api/v1/buses/${busId}/inspections`,
      { token: w.tokens.managerA, body: { inspectedOn: '2026-09-01', inspector: 'Fleet lead', items } },
      201,
    );
    await call('GET', `/api/v1/inspections?busId=${busId}`, { token: w.tokens.managerA });
    const drill = await call(
      'POST',
      '/api/v1/evacuation-drills',
      {
        token: w.tokens.managerA,
        body: {
          schoolId: w.a.schoolId,
          heldOn: '2026-09-01',
          participants: 30,
          photos: [{ data: Buffer.from(jpegWithExif()).toString('base64') }],
        },
      },
      201,
    );
    await call('GET', '/api/v1/evacuation-drills', { token: w.tokens.managerA });
    await call('GET', `/api/v1/evacuation-drills/${drill.id}`, { token: w.tokens.managerA });
    await call('GET', `/api/v1/evacuation-drills/${drill.id}/photos/1`, { token: w.tokens.managerA });
    const driverId = w.a.drivers[0].id;
    await call(
      'POST',
      `/api/v1/drivers/${driverId}/trainings`,
      { token: w.tokens.managerA, body: { heldOn: '2026-03-01', hours: 8, topic: 'Emergency evacuation' } },
      201,
    );
    expect((await call('GET', `/api/v1/drivers/${driverId}/trainings`)).validUntil).toBe('2027-02-28');
  });

  it('compliance and reports (JSON, CSV and HTML)', async () => {
    await call('GET', '/api/v1/compliance/expiries?withinDays=366');
    const made = await call('POST', '/api/v1/reports', { body: { schoolId: w.a.schoolId, period: '2026-09-01' } }, 201);
    await call('POST', '/api/v1/reports', { body: { period: '2026-09' } }, 201);
    await call('GET', '/api/v1/reports?limit=5');
    await call('GET', `/api/v1/reports/${made.id}`);
    expect(await call('GET', `/api/v1/reports/${made.id}?format=csv`)).toContain(',');
    expect(await call('GET', `/api/v1/reports/${made.id}?format=html`)).toContain('<');
    await call('GET', `/api/v1/reports/${made.id}/cases`);
    expect(await call('GET', `/api/v1/reports/${made.id}/cases?format=csv`)).toContain(',');
    expect(await call('GET', `/api/v1/reports/${made.id}/cases?format=html&lang=en`)).toContain('<');
  });

  it('dashboard, search, case owners and CSV exports', async () => {
    const d = await call('GET', `/api/v1/schools/${w.a.schoolId}/dashboard`, { token: w.tokens.managerA });
    expect(d.trend).toHaveLength(14);
    await call('GET', '/api/v1/search?q=BUS', { token: w.tokens.managerA });
    const v = (await call('GET', '/api/v1/violations?limit=1')).items[0];
    await call('GET', `/api/v1/violations/${v.id}/owners`);
    for (const list of ['violations', 'buses', 'drivers', 'students']) {
      expect(await call('GET', `/api/v1/exports/${list}?lang=en`)).toContain(',');
      expect((await call('GET', `/api/v1/exports/${list}?format=json`)).columns.length).toBeGreaterThan(1);
    }
  });

  it('covered every declared operation', () => {
    const declared = operationsOf(app).operations.map((op) => `${op.method} ${op.path}`);
    expect(declared.filter((k) => !exercised.has(k))).toEqual([]);
  });
});

describe('the checker', () => {
  it('refuses a missing, renamed or unknown field and an undeclared status', async () => {
    const bus = await call('GET', `/api/v1/buses/${w.a.buses[0].id}`);
    const api = operationsOf(app);
    const answer = (body: unknown, status = 200) =>
      contractProblem(api, {
        method: 'GET',
        path: `/api/v1/buses/${bus.id}`,
        status,
        contentType: 'application/json',
        body,
      });
    expect(answer(bus)).toBeUndefined();
    const { plate, ...withoutPlate } = bus;
    expect(answer(withoutPlate)).toMatch(/plate/);
    expect(answer({ ...withoutPlate, plateNumber: plate })).toMatch(/plateNumber|plate/);
    expect(answer({ ...bus, extra: 1 })).toMatch(/extra/);
    expect(answer({ ...bus, approvedCapacity: '40' })).toMatch(/approvedCapacity/);
    expect(answer(bus, 201)).toMatch(/does not declare/);
    expect(
      contractProblem(api, {
        method: 'GET',
        path: '/api/v1/nothing-here',
        status: 200,
        contentType: 'application/json',
        body: {},
      }),
    ).toMatch(/no operation/);
  });

  it('refuses an error whose status is not the table’s or whose code is not in it', () => {
    const api = operationsOf(app);
    const err = (code: string, status: number) =>
      contractProblem(api, {
        method: 'GET',
        path: '/api/v1/buses/1',
        status,
        contentType: 'application/json',
        body: { error: { code, message: 'x', requestId: 'r' } },
      });
    expect(err('forbidden', 403)).toBeUndefined();
    expect(err('forbidden', 404)).toMatch(/table says 403/);
    expect(err('teapot', 418)).toMatch(/envelope/);
  });
});

describe('the error table', () => {
  it('maps every code to one 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(errorStatus)) {
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(status >= 400 && status < 600, code).toBe(true);
    }
    expect(contract.errorCodes).toEqual(Object.keys(errorStatus));
  });

  it('covers every code the route importers and the OsmAnd decoder can raise', () => {
    // Compile-time: every importer code is a key of the table (this line fails to type-check otherwise).
    const known: [RouteImportErrorCode] extends [ErrorCode] ? true : false = true;
    expect(known).toBe(true);
    const importerCodes: Record<RouteImportErrorCode, true> = {
      gtfs_bad_zip: true,
      gtfs_too_large: true,
      route_too_large: true,
      gtfs_bad_csv: true,
      gtfs_missing_file: true,
      gtfs_missing_column: true,
      gtfs_not_found: true,
      gtfs_invalid_value: true,
      gtfs_no_shape: true,
      gtfs_invalid_options: true,
      geojson_invalid: true,
      geojson_stop_off_path: true,
    };
    // A GTFS zip too large to unpack is 413; every other importer refusal is a 400.
    for (const code of Object.keys(importerCodes))
      expect(errorStatus[code as keyof typeof errorStatus], code).toBe(code === 'gtfs_too_large' ? 413 : 400);
    // The OsmAnd decoder's codes, raised by real malformed reports.
    const bad = [
      '/?lat=31.2&lon=121.4',
      '/?id=1&lat=x&lon=121.4',
      '/?id=1&lat=31.2&lon=121.4&timestamp=soon',
      '/?id=1&lat=31.2&lon=121.4&speed=fast',
      '/?id=1&location=31.2',
    ];
    const codes = new Set<string>();
    for (const target of bad)
      for (const e of decodeOsmand({ target, body: '' }, { receivedMs: DAY0_MS }).errors) codes.add(e.code);
    for (const e of decodeOsmand(
      { target: '/', body: '{not json', contentType: 'application/json' },
      { receivedMs: DAY0_MS },
    ).errors)
      codes.add(e.code);
    expect(codes.size).toBeGreaterThanOrEqual(4);
    for (const code of codes) expect(errorStatus[code as keyof typeof errorStatus], code).toBe(400);
  });

  it('covers every code written in the server source', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    // What reaches an HTTP answer: the http layer, and the OsmAnd decoder and route importers it passes codes from.
    const files = (readdirSync(src, { recursive: true }) as string[]).filter(
      (f) => f.endsWith('.ts') && /^(http|ingest\/(osmand|gtfs|geojson)|ingest\/route-import)/.test(f),
    );
    const found = new Set<string>();
    // Codes passed to the error helpers and the envelope, and codes of decoder/importer errors that reach the API.
    const patterns = [
      /(?:badRequest|unavailable|conflict)\([^;]*?,\s*'([a-z_]+)'\)/g,
      /new AppError\('([a-z_]+)'/g,
      /envelope\('([a-z_]+)'/g,
      /new RouteImportError\([^;]*?,\s*'([a-z_]+)'\s*[,)]/g,
      /code: '([a-z_]+)', message/g,
    ];
    for (const f of files) {
      const text = readFileSync(src + f, 'utf8');
      for (const p of patterns) for (const m of text.matchAll(p)) found.add(m[1]!);
    }
    expect(found.size).toBeGreaterThanOrEqual(20);
    found.delete('custom'); // zod's own issue code (ctx.addIssue), reported as validation_failed
    expect([...found].filter((c) => !(c in errorStatus))).toEqual([]);
  });
});

describe('the pages', () => {
  it('take the response types from the contract, and their bundle carries no zod or server code', async () => {
    const pages = fileURLToPath(new URL('../../src/pages/', import.meta.url));
    for (const page of ['parent/main.ts', 'attendant/main.ts', 'manager/main.ts', 'attendant/queue.ts']) {
      const text = readFileSync(pages + page, 'utf8');
      expect(text, page).toMatch(/^import type \{[^}]+\} from '\.\.\/\.\.\/http\/contract';$/m);
      // Only type imports of the server's HTTP layer (esbuild erases them).
      expect(text.match(/^import (?!type )[^;]*'\.\.\/\.\.\/http\//gm), page).toBeNull();
    }
    const { buildPageAssets } = await import('../../src/runtime/node/pages');
    const assets = await buildPageAssets({ minify: false, sourcemap: true });
    const sources = [...assets.files]
      .filter(([name]) => name.endsWith('.map'))
      .flatMap(([, f]) => JSON.parse(new TextDecoder().decode(f.body)).sources as string[]);
    expect(sources.some((s) => s.includes('src/pages/parent/main.ts'))).toBe(true);
    expect(sources.filter((s) => /node_modules\/zod|src\/http\/|src\/store\//.test(s))).toEqual([]);
  });
});
