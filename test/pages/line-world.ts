// The one-route world the page tests drive: a school (or an existing one), a straight east-west route along
// latitude 31.2 with its stops, a bus with a JSON tracker, and the people and trip a test asks for, created through
// the API as a manager would.
import type { TestApp } from '../helpers/app';
import { TZ, hhmm, lonAt, ok, today } from './helpers';

export interface LineWorldSpec {
  /** a school to create (its name), or the id of one that exists */
  school: string | number;
  route: string;
  /** route length along the line, metres */
  lengthM?: number;
  /** each stop: name, metres from the route's start, minutes after the trip's planned start */
  stops: readonly (readonly [name: string, xM: number, minutes: number])[];
  /** the trip's planned start; the stops' timetable follows from it */
  startMs: number;
  bus: { plate: string; capacity: number; device?: string };
  driver?: string;
  attendant?: string;
  /** each student: name and the index of their stop */
  students?: readonly (readonly [name: string, stop: number])[];
  /** a guardian of the students (all of them unless `of` names their indexes) */
  guardian?: { name: string; locale?: string; noticePreferences?: Record<string, unknown>; of?: number[] };
  /** create the trip (default true) */
  trip?: boolean;
}

export interface LineWorld {
  schoolId: number;
  routeId: number;
  stopIds: number[];
  busId: number;
  driverId?: number;
  attendantId?: number;
  studentIds: number[];
  guardianId?: number;
  tripId?: number;
}

export async function buildLineWorld(t: TestApp, spec: LineWorldSpec): Promise<LineWorld> {
  const schoolId =
    typeof spec.school === 'number'
      ? spec.school
      : (
          await ok(
            t.call('POST', '/api/v1/schools', { body: { name: spec.school, lat: 31.2, lon: 121.5, timeZone: TZ } }),
          )
        ).id;
  const route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        schoolId,
        name: spec.route,
        // Approved (Art. 30): trips are refused on an unapproved route.
        approvedBy: 'County education bureau',
        approvalNumber: 'XC-2026-001',
        approvedOn: '2026-01-05',
        path: {
          type: 'LineString',
          coordinates: [
            [lonAt(0), 31.2],
            [lonAt(spec.lengthM ?? 3000), 31.2],
          ],
        },
        stops: spec.stops.map(([name, xM, minutes]) => ({
          name,
          lat: 31.2,
          lon: lonAt(xM),
          scheduledTime: hhmm(spec.startMs + minutes * 60_000),
        })),
      },
    }),
  );
  const stopIds: number[] = route.stops.map((s: { id: number }) => s.id);
  const bus = await ok(
    t.call('POST', '/api/v1/buses', {
      body: {
        schoolId,
        plate: spec.bus.plate,
        approvedCapacity: spec.bus.capacity,
        signValidUntil: '2099-01-01',
        inspectionValidUntil: '2099-01-01',
      },
    }),
  );
  if (spec.bus.device)
    await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId, busId: bus.id, protocol: 'json', identifier: spec.bus.device, secret: 'secret-123' },
      }),
    );
  const world: LineWorld = { schoolId, routeId: route.id, stopIds, busId: bus.id, studentIds: [] };
  if (spec.driver)
    world.driverId = (
      await ok(
        t.call('POST', '/api/v1/drivers', {
          body: {
            schoolId,
            name: spec.driver,
            birthDate: '1980-01-01',
            licenceClass: 'A1',
            licenceFirstIssued: '2005-01-01',
            schoolBusEndorsement: true,
            qualificationCertNo: `Q-${bus.id}`,
            qualificationCertExpiry: '2099-06-30',
            lastAnnualReview: today(),
          },
        }),
      )
    ).id;
  if (spec.attendant)
    world.attendantId = (
      await ok(
        t.call('POST', '/api/v1/attendants', {
          body: { schoolId, name: spec.attendant, trainingValidUntil: '2099-01-01' },
        }),
      )
    ).id;
  for (const [name, stop] of spec.students ?? [])
    world.studentIds.push(
      (
        await ok(
          t.call('POST', '/api/v1/students', {
            body: { schoolId, name, stops: [{ routeId: route.id, stopId: stopIds[stop] }] },
          }),
        )
      ).id,
    );
  if (spec.guardian) {
    const { name, locale, noticePreferences, of } = spec.guardian;
    world.guardianId = (
      await ok(
        t.call('POST', '/api/v1/guardians', {
          body: {
            schoolId,
            name,
            studentIds: of ? of.map((i) => world.studentIds[i]) : world.studentIds,
            ...(locale ? { locale } : {}),
            ...(noticePreferences ? { noticePreferences } : {}),
          },
        }),
      )
    ).id;
  }
  if (spec.trip !== false)
    world.tripId = (
      await ok(
        t.call('POST', '/api/v1/trips', {
          body: {
            routeId: route.id,
            busId: bus.id,
            ...(world.driverId ? { driverId: world.driverId } : {}),
            ...(world.attendantId ? { attendantId: world.attendantId } : {}),
            serviceDate: today(spec.startMs),
            plannedStartAt: new Date(spec.startMs).toISOString(),
          },
        }),
      )
    ).id;
  return world;
}
