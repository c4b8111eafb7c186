// Inspections (日检、周检、演练): the pre-trip check before each day's trips, the manager's weekly inspection of each
// bus, and evacuation drills per school with their photos (metadata stripped, like hazard-report photos).
import { boolean, customType, date, doublePrecision, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns';
import { buses } from './buses';
import { routes } from './routes';
import { schools } from './schools';
import { drivers } from './staff';
import { trips } from './trips';
import { users } from './users';
import { violations } from './violations';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

export const inspectionPerformers = ['attendant', 'driver'] as const;

/** One pre-trip check (出车前检查) of a bus, recorded on the attendant page for a trip. */
export const preTripChecks = pgTable(
  'pre_trip_checks',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    busId: integer('bus_id')
      .notNull()
      .references(() => buses.id),
    tripId: integer('trip_id').references(() => trips.id, { onDelete: 'set null' }),
    /** The trip's service date (the school's local day): the daily check it counts for. */
    serviceDate: date('service_date', { mode: 'string' }).notNull(),
    performedBy: text('performed_by', { enum: inspectionPerformers }).notNull(),
    performerName: text('performer_name'),
    /** item → { ok, note? } */
    items: jsonb('items').$type<Record<string, { ok: boolean; note?: string }>>().notNull(),
    passed: boolean('passed').notNull(),
    recordedByUserId: integer('recorded_by_user_id').references(() => users.id),
    violationId: integer('violation_id').references(() => violations.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('pre_trip_checks_bus_date_idx').on(t.busId, t.serviceDate),
    index('pre_trip_checks_school_date_idx').on(t.schoolId, t.serviceDate),
  ],
);

/** The manager's weekly inspection (周检) of a bus. */
export const busInspections = pgTable(
  'bus_inspections',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    busId: integer('bus_id')
      .notNull()
      .references(() => buses.id, { onDelete: 'cascade' }),
    inspectedOn: date('inspected_on', { mode: 'string' }).notNull(),
    /** Monday of the ISO week of inspectedOn: the week it counts for. */
    weekStart: date('week_start', { mode: 'string' }).notNull(),
    inspector: text('inspector').notNull(),
    items: jsonb('items').$type<Record<string, { ok: boolean; note?: string }>>().notNull(),
    passed: boolean('passed').notNull(),
    notes: text('notes'),
    recordedByUserId: integer('recorded_by_user_id').references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('bus_inspections_bus_week_idx').on(t.busId, t.weekStart),
    index('bus_inspections_school_week_idx').on(t.schoolId, t.weekStart),
  ],
);

/** An evacuation drill (应急疏散演练) of a school, on a route or not. */
export const evacuationDrills = pgTable(
  'evacuation_drills',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    routeId: integer('route_id').references(() => routes.id, { onDelete: 'set null' }),
    heldOn: date('held_on', { mode: 'string' }).notNull(),
    participants: integer('participants').notNull(),
    notes: text('notes'),
    recordedByUserId: integer('recorded_by_user_id').references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [index('evacuation_drills_school_idx').on(t.schoolId, t.heldOn)],
);

export const evacuationDrillPhotos = pgTable(
  'evacuation_drill_photos',
  {
    id: id(),
    drillId: integer('drill_id')
      .notNull()
      .references(() => evacuationDrills.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    data: bytea('data').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('evacuation_drill_photos_drill_idx').on(t.drillId, t.seq)],
);

/** A driver's training session (安全培训): date, hours, topic. The latest one's date plus the preset's validity is its expiry. */
export const driverTrainings = pgTable(
  'driver_trainings',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    driverId: integer('driver_id')
      .notNull()
      .references(() => drivers.id, { onDelete: 'cascade' }),
    heldOn: date('held_on', { mode: 'string' }).notNull(),
    hours: doublePrecision('hours').notNull(),
    topic: text('topic').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('driver_trainings_driver_idx').on(t.driverId, t.heldOn)],
);
