import { date, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz, updatedAt } from './columns';
import { buses } from './buses';
import { routes } from './routes';
import { schools } from './schools';
import { attendants, drivers } from './staff';

export const tripStatuses = ['planned', 'active', 'completed', 'cancelled'] as const;

export const trips = pgTable(
  'trips',
  {
    id: id(),
    /** Denormalised from the route, so scope checks need no join. */
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    routeId: integer('route_id')
      .notNull()
      .references(() => routes.id),
    busId: integer('bus_id')
      .notNull()
      .references(() => buses.id),
    driverId: integer('driver_id').references(() => drivers.id),
    attendantId: integer('attendant_id').references(() => attendants.id),
    serviceDate: date('service_date', { mode: 'string' }).notNull(),
    plannedStartAt: tsz('planned_start_at').notNull(),
    status: text('status', { enum: tripStatuses }).notNull().default('planned'),
    startedAt: tsz('started_at'),
    endedAt: tsz('ended_at'),
    attendantCheckedInAt: tsz('attendant_checked_in_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('trips_school_date_idx').on(t.schoolId, t.serviceDate),
    index('trips_bus_date_idx').on(t.busId, t.serviceDate),
    index('trips_attendant_date_idx').on(t.attendantId, t.serviceDate),
    uniqueIndex('trips_route_bus_start_uq').on(t.routeId, t.busId, t.plannedStartAt),
  ],
);

/** Engine state per trip, so a restart mid-trip continues the same episodes (and a bus's trips never share one). */
export const engineCheckpoints = pgTable(
  'engine_checkpoints',
  {
    tripId: integer('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    busId: integer('bus_id')
      .notNull()
      .references(() => buses.id, { onDelete: 'cascade' }),
    state: jsonb('state').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ name: 'engine_checkpoints_trip_pk', columns: [t.tripId] }),
    index('engine_checkpoints_bus_idx').on(t.busId),
  ],
);

/**
 * R5: a driver's continuous-driving block per service day (local date of its latest fix), carried across trips
 * and buses. Written with each checkpoint; a write never replaces a newer block (idempotent under replays).
 */
export const driverAccumulators = pgTable(
  'driver_accumulators',
  {
    driverId: integer('driver_id')
      .notNull()
      .references(() => drivers.id, { onDelete: 'cascade' }),
    serviceDay: date('service_day', { mode: 'string' }).notNull(),
    /** { drivingSinceMs, stoppedSinceMs, lastMs } */
    state: jsonb('state').notNull(),
    lastAt: tsz('last_at').notNull(),
    tripId: integer('trip_id').references(() => trips.id, { onDelete: 'set null' }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ name: 'driver_accumulators_pk', columns: [t.driverId, t.serviceDay] })],
);

export const stopEventKinds = ['arrived', 'departed', 'missed'] as const;

/** When a trip reached and left each stop: parent notices, ETA learning and on-time reports read it. */
export const stopEvents = pgTable(
  'stop_events',
  {
    tripId: integer('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    stopId: integer('stop_id').notNull(),
    kind: text('kind', { enum: stopEventKinds }).notNull(),
    time: tsz('time').notNull(),
    dwellS: integer('dwell_s'),
  },
  (t) => [primaryKey({ columns: [t.tripId, t.stopId, t.kind] })],
);
