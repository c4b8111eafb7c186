// A small two-school world built through the API, with a token for every role and scope:
// school A has two families on two routes/buses; school B has one of each.
import { expect } from 'vitest';
import { localDate } from '../../src/core/time-zone';
import type { TestApp } from './app';

export interface World {
  a: SchoolWorld;
  b: SchoolWorld;
  tokens: {
    managerA: string;
    managerB: string;
    attendantA1: string;
    guardianA1: string;
    guardianA2: string;
    guardianB: string;
    deviceA1: string;
  };
}

export interface SchoolWorld {
  schoolId: number;
  routes: any[];
  buses: any[];
  devices: any[];
  drivers: any[];
  attendants: any[];
  students: any[];
  guardians: any[];
  trips: any[];
}

const square = (lon: number, lat: number, d = 0.002) => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon - d, lat - d],
      [lon + d, lat - d],
      [lon + d, lat + d],
      [lon - d, lat + d],
      [lon - d, lat - d],
    ],
  ],
});

export async function ok(p: Promise<{ status: number; body: any }>, status = 201) {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

async function buildSchool(
  t: TestApp,
  tag: string,
  baseLon: number,
  families: number,
  timeZone?: string,
): Promise<SchoolWorld> {
  const school = await ok(
    t.call('POST', '/api/v1/schools', { body: { name: `School ${tag}`, lat: 31.2, lon: baseLon, timeZone } }),
  );
  const w: SchoolWorld = {
    schoolId: school.id,
    routes: [],
    buses: [],
    devices: [],
    drivers: [],
    attendants: [],
    students: [],
    guardians: [],
    trips: [],
  };
  for (let i = 0; i < families; i++) {
    const lon0 = baseLon + i * 0.05;
    const route = await ok(
      t.call('POST', '/api/v1/routes', {
        body: {
          // Approved (Art. 30): trips are refused on an unapproved route.
          approvedBy: 'County education bureau',
          approvalNumber: 'XC-2026-001',
          approvedOn: '2026-01-05',
          schoolId: school.id,
          name: `Route ${tag}${i + 1}`,
          path: {
            type: 'LineString',
            coordinates: [
              [lon0, 31.2],
              [lon0 + 0.01, 31.2],
              [lon0 + 0.02, 31.21],
            ],
          },
          stops: [
            { name: 'First', lat: 31.2, lon: lon0, scheduledTime: '07:00' },
            { name: 'School gate', lat: 31.21, lon: lon0 + 0.02, scheduledTime: '07:20:00' },
          ],
          zones: [{ polygon: square(lon0 + 0.01, 31.2), postedLimitKph: 40, hazard: false }],
        },
      }),
    );
    const bus = await ok(
      t.call('POST', '/api/v1/buses', {
        body: {
          schoolId: school.id,
          plate: `${tag}-BUS-${i + 1}`,
          approvedCapacity: 40,
          signValidUntil: '2027-01-01',
          inspectionValidUntil: '2027-01-01',
        },
      }),
    );
    const device = await ok(
      t.call('POST', '/api/v1/devices', {
        body: {
          schoolId: school.id,
          busId: bus.id,
          protocol: 'json',
          identifier: `${tag}-dev-${i + 1}`,
          secret: 'secret-123',
        },
      }),
    );
    const driver = await ok(
      t.call('POST', '/api/v1/drivers', {
        body: {
          schoolId: school.id,
          name: `Driver ${tag}${i + 1}`,
          birthDate: '1980-01-01',
          licenceClass: 'A1',
          licenceFirstIssued: '2005-01-01',
          schoolBusEndorsement: true,
          qualificationCertNo: `${tag}-CERT-${i}`,
          qualificationCertExpiry: '2027-06-30',
        },
      }),
    );
    const attendant = await ok(
      t.call('POST', '/api/v1/attendants', {
        body: { schoolId: school.id, name: `Attendant ${tag}${i + 1}`, trainingValidUntil: '2027-01-01' },
      }),
    );
    const student = await ok(
      t.call('POST', '/api/v1/students', {
        body: {
          schoolId: school.id,
          name: `Child ${tag}${i + 1}`,
          stops: [{ routeId: route.id, stopId: route.stops[0].id }],
        },
      }),
    );
    const guardian = await ok(
      t.call('POST', '/api/v1/guardians', {
        body: { schoolId: school.id, name: `Parent ${tag}${i + 1}`, studentIds: [student.id] },
      }),
    );
    const trip = await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: route.id,
          busId: bus.id,
          driverId: driver.id,
          attendantId: attendant.id,
          serviceDate: '2026-09-01',
          plannedStartAt: '2026-09-01T07:00:00+08:00',
        },
      }),
    );
    w.routes.push(route);
    w.buses.push(bus);
    w.devices.push(device);
    w.drivers.push(driver);
    w.attendants.push(attendant);
    w.students.push(student);
    w.guardians.push(guardian);
    w.trips.push(trip);
  }
  return w;
}

async function tokenFor(t: TestApp, user: Record<string, unknown>): Promise<string> {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  const tok = await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'test' } }));
  return tok.token;
}

/**
 * A fixed-offset zone where it is now around midday, so "today" at a school of that zone never rolls over while a
 * test runs, whatever time the suite starts (Etc/GMT-N is UTC+N).
 */
export function middayZone(nowMs: number): string {
  const offsetH = 12 - new Date(nowMs).getUTCHours();
  return offsetH === 0 ? 'Etc/GMT' : `Etc/GMT${offsetH > 0 ? '-' : '+'}${Math.abs(offsetH)}`;
}

/** `timeZone` sets the schools' zone (the API's default otherwise), for tests whose "today" must not roll over. */
export async function buildWorld(t: TestApp, opts: { timeZone?: string } = {}): Promise<World> {
  const a = await buildSchool(t, 'A', 121.4, 2, opts.timeZone);
  const b = await buildSchool(t, 'B', 121.6, 1, opts.timeZone);
  return {
    a,
    b,
    tokens: {
      managerA: await tokenFor(t, { name: 'Manager A', role: 'manager', schoolIds: [a.schoolId] }),
      managerB: await tokenFor(t, { name: 'Manager B', role: 'manager', schoolIds: [b.schoolId] }),
      attendantA1: await tokenFor(t, { name: 'Attendant A1', role: 'attendant', attendantId: a.attendants[0].id }),
      guardianA1: await tokenFor(t, { name: 'Parent A1', role: 'guardian', guardianId: a.guardians[0].id }),
      guardianA2: await tokenFor(t, { name: 'Parent A2', role: 'guardian', guardianId: a.guardians[1].id }),
      guardianB: await tokenFor(t, { name: 'Parent B1', role: 'guardian', guardianId: b.guardians[0].id }),
      deviceA1: await tokenFor(t, { name: 'Device A1', role: 'device', deviceId: a.devices[0].id }),
    },
  };
}

/**
 * Plans a trip of the school's i-th family starting at `plannedMs` (the world's own trips are months away), on its
 * service day in the school's zone (`timeZone`, the API's default Asia/Shanghai unless the world was built with
 * another). The attendant is the family's own unless given.
 */
export async function planTrip(
  t: TestApp,
  s: SchoolWorld,
  i: number,
  plannedMs: number,
  opts: { timeZone?: string; attendantId?: number } = {},
) {
  return ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId: s.routes[i].id,
        busId: s.buses[i].id,
        driverId: s.drivers[i].id,
        attendantId: opts.attendantId ?? s.attendants[i].id,
        serviceDate: localDate(opts.timeZone ?? 'Asia/Shanghai', plannedMs),
        plannedStartAt: new Date(plannedMs).toISOString(),
      },
    }),
  );
}
