// Clearing optional registry fields: an update (PATCH) takes null for every nullable column and stores NULL; a field
// left out keeps its value; a required field (NOT NULL column) refuses null with a 400 naming it. Domain rules
// follow a clear: a cleared inspection date is reported missing by compliance, a route without its approval number
// takes no new trips. The OpenAPI document shows the clearable fields as nullable in update bodies only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let manager: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  manager = w.tokens.managerA;
}, 120_000);
afterAll(() => t?.close());

const patch = (path: string, body: unknown, token = manager) => t.call('PATCH', `/api/v1/${path}`, { body, token });
const nulls = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, null]));

/** Sets `values`, reads them back, clears them with null, reads null back (API and database), keeps the rest. */
async function setThenClear(path: string, table: string, id: number, values: Record<string, unknown>, kept: string) {
  const keys = Object.keys(values);
  const set = await ok(patch(`${path}/${id}`, values), 200);
  expect(set).toMatchObject(values);
  const before = set[kept];
  // Leaving a field out keeps it.
  expect(await ok(patch(`${path}/${id}`, {}), 200)).toMatchObject(values);
  const cleared = await ok(patch(`${path}/${id}`, nulls(keys)), 200);
  expect(cleared).toMatchObject(nulls(keys));
  expect(cleared[kept]).toEqual(before);
  const read = await ok(t.call('GET', `/api/v1/${path}/${id}`, { token: manager }), 200);
  expect(read).toMatchObject(nulls(keys));
  expect(read[kept]).toEqual(before);
  const snake = keys.map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  const rows = await t.database.query<Record<string, unknown>>(
    `select ${snake.join(', ')} from ${table} where id = $1`,
    [id],
  );
  expect(rows[0]).toEqual(Object.fromEntries(snake.map((k) => [k, null])));
}

/** A PATCH that sets `field` to null is a 400 validation_failed naming the field, and changes nothing. */
async function refusesNull(path: string, id: number, field: string) {
  const before = await ok(t.call('GET', `/api/v1/${path}/${id}`, { token: manager }), 200);
  const r = await patch(`${path}/${id}`, { [field]: null });
  expect(r.status, `${path}.${field}`).toBe(400);
  expect(r.body.error).toMatchObject({ code: 'validation_failed', message: 'Invalid body' });
  expect(r.body.error.details).toEqual([expect.objectContaining({ path: field })]);
  expect(typeof r.body.error.requestId).toBe('string');
  const after = await ok(t.call('GET', `/api/v1/${path}/${id}`, { token: manager }), 200);
  expect(after[field]).toEqual(before[field]);
}

describe('clearing optional fields with null', () => {
  it('buses: seats, sign, inspection and insurance are cleared; plate, capacity and status refuse null', async () => {
    const bus = w.a.buses[0];
    await setThenClear(
      'buses',
      'buses',
      bus.id,
      {
        seats: 35,
        signNumber: 'XC-0042',
        signValidUntil: '2027-03-01',
        inspectionValidUntil: '2027-02-01',
        insuranceValidUntil: '2027-04-01',
      },
      'approvedCapacity',
    );
    for (const field of ['approvedCapacity', 'plate', 'status', 'schoolId']) await refusesNull('buses', bus.id, field);
  });

  it('compliance reports a cleared inspection and sign date as missing', async () => {
    const bus = w.a.buses[0];
    const items = (
      await ok(t.call('GET', `/api/v1/compliance/expiries?schoolId=${w.a.schoolId}`, { token: manager }), 200)
    ).items as any[];
    const mine = items.filter((i) => i.subjectType === 'bus' && i.subjectId === bus.id);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'busInspection', status: 'missing', expiresOn: null, daysLeft: null }),
        expect.objectContaining({ kind: 'busSign', status: 'missing', expiresOn: null }),
      ]),
    );
  });

  it('drivers: phone, licence, review, certificate and card are cleared; required fields refuse null', async () => {
    const driver = w.a.drivers[0];
    await setThenClear(
      'drivers',
      'drivers',
      driver.id,
      {
        phone: '13800000001',
        licenceValidUntil: '2030-01-01',
        lastAnnualReview: '2026-03-01',
        qualificationCertNo: 'CLEAR-CERT-1',
        qualificationCertExpiry: '2028-01-01',
        cardId: 'CARD-CLEAR-1',
      },
      'birthDate',
    );
    for (const field of ['name', 'birthDate', 'licenceClass', 'licenceFirstIssued', 'schoolBusEndorsement'])
      await refusesNull('drivers', driver.id, field);
    const items = (
      await ok(
        t.call('GET', `/api/v1/compliance/expiries?schoolId=${w.a.schoolId}&kind=qualificationCertificate`, {
          token: manager,
        }),
        200,
      )
    ).items as any[];
    expect(items).toContainEqual(
      expect.objectContaining({ subjectType: 'driver', subjectId: driver.id, status: 'missing', expiresOn: null }),
    );
  });

  it('attendants, students, guardians and devices: their optional fields are cleared', async () => {
    await setThenClear(
      'attendants',
      'attendants',
      w.a.attendants[0].id,
      { phone: '13800000002', trainingValidUntil: '2027-05-01' },
      'name',
    );
    await refusesNull('attendants', w.a.attendants[0].id, 'name');
    await setThenClear('students', 'students', w.a.students[0].id, { grade: '3', cardId: 'STU-CLEAR-1' }, 'name');
    await setThenClear('guardians', 'guardians', w.a.guardians[0].id, { phone: '13800000003' }, 'locale');
    await refusesNull('guardians', w.a.guardians[0].id, 'locale');
    await setThenClear('devices', 'devices', w.a.devices[0].id, { label: 'front camera box' }, 'identifier');
    await refusesNull('devices', w.a.devices[0].id, 'identifier');
  });

  it('schools: the location is cleared (admin); name and kind refuse null', async () => {
    const id = w.b.schoolId;
    const cleared = await ok(t.call('PATCH', `/api/v1/schools/${id}`, { body: { lat: null, lon: null } }), 200);
    expect(cleared).toMatchObject({ lat: null, lon: null, name: 'School B' });
    for (const field of ['name', 'kind', 'timeZone']) {
      const r = await t.call('PATCH', `/api/v1/schools/${id}`, { body: { [field]: null } });
      expect(r.status, field).toBe(400);
      expect(r.body.error.details).toEqual([expect.objectContaining({ path: field })]);
    }
  });

  it('routes: a cleared approval number is stored as null and the route takes no new trip', async () => {
    const route = w.a.routes[1];
    const cleared = await ok(patch(`routes/${route.id}`, { approvalNumber: null, externalId: null }), 200);
    expect(cleared).toMatchObject({ approvalNumber: null, externalId: null, approvedBy: 'County education bureau' });
    expect((await ok(t.call('GET', `/api/v1/routes/${route.id}`, { token: manager }), 200)).approvalNumber).toBeNull();
    await refusesNull('routes', route.id, 'corridorWidthM');
    await refusesNull('routes', route.id, 'path');
    const trip = await t.call('POST', '/api/v1/trips', {
      token: manager,
      body: {
        routeId: route.id,
        busId: w.a.buses[1].id,
        serviceDate: '2026-09-03',
        plannedStartAt: '2026-09-03T07:00:00+08:00',
      },
    });
    expect(trip.status).toBe(409);
    expect(trip.body.error.code).toBe('route_not_approved');
    expect(trip.body.error.details).toContainEqual(expect.objectContaining({ path: 'route.approvalNumber' }));
  });

  it('a create body still refuses null for a field that is only optional', async () => {
    const r = await t.call('POST', '/api/v1/drivers', {
      token: manager,
      body: {
        schoolId: w.a.schoolId,
        name: 'New',
        birthDate: '1980-01-01',
        licenceClass: 'A1',
        licenceFirstIssued: '2005-01-01',
        phone: null,
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'phone' })]);
  });

  it('the OpenAPI document shows the clearable fields as nullable in updates', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).body;
    const body = (path: string, method: string) =>
      doc.paths[path][method].requestBody.content['application/json'].schema.properties;
    const takesNull = (s: any): boolean =>
      s?.type === 'null' ||
      (Array.isArray(s?.type) && s.type.includes('null')) ||
      (s?.anyOf ?? s?.oneOf ?? []).some(takesNull);
    const bus = body('/api/v1/buses/{id}', 'patch');
    for (const f of ['seats', 'signNumber', 'signValidUntil', 'inspectionValidUntil', 'insuranceValidUntil'])
      expect(takesNull(bus[f]), `bus ${f}`).toBe(true);
    for (const f of ['plate', 'approvedCapacity', 'status', 'schoolId'])
      expect(takesNull(bus[f]), `bus ${f}`).toBe(false);
    const driver = body('/api/v1/drivers/{id}', 'patch');
    for (const f of ['phone', 'licenceValidUntil', 'lastAnnualReview', 'qualificationCertNo', 'cardId'])
      expect(takesNull(driver[f]), `driver ${f}`).toBe(true);
    expect(takesNull(driver.birthDate)).toBe(false);
    expect(takesNull(body('/api/v1/drivers', 'post').phone)).toBe(false);
  });
});
