import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { attendants, buses, drivers, routes, trips, tripStatuses } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { badRequest } from '../errors';
import { date, id, partialOf } from './fields';

const shape = {
  routeId: id,
  busId: id,
  driverId: id.nullable().optional(),
  attendantId: id.nullable().optional(),
  serviceDate: date,
  plannedStartAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  status: z.enum(tripStatuses).optional(),
};

export const tripsResource: ResourceDef = {
  name: 'Trip',
  path: 'trips',
  table: trips,
  filters: { schoolId: trips.schoolId, routeId: trips.routeId, busId: trips.busId, attendantId: trips.attendantId },
  kind: 'trip',
  refs: {
    busId: { table: buses, what: 'Bus', sameSchool: true },
    driverId: { table: drivers, what: 'Driver', sameSchool: true },
    attendantId: { table: attendants, what: 'Attendant', sameSchool: true },
  },
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape),
  row: contract.trip,
  onChanged: (deps, row, existing) => {
    // The engine reloads the trip; guardians hear of a substituted bus.
    for (const busId of new Set([row?.busId, existing?.busId])) if (busId != null) void deps.runner?.invalidate(busId);
    if (row && existing && row.busId !== existing.busId)
      void deps.live?.notices
        .noticeBusSubstituted(row.id, { previousBusId: existing.busId })
        .catch((err) => deps.log.warn('bus substitution notice failed', { tripId: row.id, error: String(err) }));
    if (row && existing && row.status === 'cancelled' && existing.status !== 'cancelled')
      void deps.live?.notices
        .noticeTripCancelled(row.id)
        .catch((err) => deps.log.warn('trip cancelled notice failed', { tripId: row.id, error: String(err) }));
  },
  prepare: async (tx, body, existing) => {
    const routeId = body.routeId ?? existing?.routeId;
    const [route] = await tx.select({ schoolId: routes.schoolId }).from(routes).where(eq(routes.id, routeId));
    if (!route)
      throw badRequest(
        `Route ${routeId} does not exist`,
        [{ path: 'routeId', message: 'unknown id', code: 'unknown_reference' }],
        'invalid_reference',
      );
    return { ...body, schoolId: route.schoolId };
  },
};
