import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { busRunnable, isRouteApproved, routeApprovalProblems } from '../../core/registry-rules';
import { attendants, buses, drivers, routes, trips, tripStatuses } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { AppError, badRequest } from '../errors';
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
  updateSchema: partialOf(shape, trips),
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
    const [route] = await tx.select().from(routes).where(eq(routes.id, routeId));
    if (!route)
      throw badRequest(
        `Route ${routeId} does not exist`,
        [{ path: 'routeId', message: 'unknown id', code: 'unknown_reference' }],
        'invalid_reference',
      );
    // Planning (a new trip, or a trip moved to another route, bus or day): the route must be approved and the bus
    // in service. Cancelling or completing a trip is never refused.
    const planning =
      !existing ||
      ['routeId', 'busId', 'serviceDate', 'plannedStartAt'].some(
        (k) => body[k] !== undefined && body[k] !== existing[k],
      );
    if (planning && (body.status ?? existing?.status ?? 'planned') === 'planned')
      await assertPlannable(tx, route, body.busId ?? existing?.busId, body.serviceDate ?? existing?.serviceDate);
    return { ...body, schoolId: route.schoolId };
  },
};

/** 409 unless the route is approved (Art. 30) on the service date and the bus is in service. */
async function assertPlannable(
  tx: Parameters<NonNullable<ResourceDef['prepare']>>[0],
  route: typeof routes.$inferSelect,
  busId: number,
  serviceDate: string,
) {
  if (!isRouteApproved(route, serviceDate))
    throw new AppError(
      'route_not_approved',
      `Route ${route.id} is not approved${serviceDate ? ` on ${serviceDate}` : ''}: record the approver, approval number and date first`,
      routeApprovalProblems(route, serviceDate).map((f) => ({ path: `route.${f}`, message: 'missing or later' })),
    );
  const [bus] = await tx.select({ status: buses.status }).from(buses).where(eq(buses.id, busId));
  if (bus && !busRunnable(bus.status))
    throw new AppError('bus_not_in_service', `Bus ${busId} is ${bus.status}: it runs no trips`, [
      { path: 'busId', message: bus.status },
    ]);
}
