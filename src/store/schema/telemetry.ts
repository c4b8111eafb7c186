// Positions (the big append-only table) and what the filters refused.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
} from 'drizzle-orm/pg-core';
import { tsz } from './columns';
import { buses } from './buses';
import { devices } from './devices';

export const positions = pgTable(
  'positions',
  {
    busId: integer('bus_id').notNull(),
    deviceId: integer('device_id').notNull(),
    /** Device time (UTC). */
    time: tsz('time').notNull(),
    receivedAt: tsz('received_at').notNull(),
    lat: doublePrecision('lat').notNull(),
    lon: doublePrecision('lon').notNull(),
    speedKph: real('speed_kph'),
    headingDeg: real('heading_deg'),
    altitudeM: real('altitude_m'),
    accuracyM: real('accuracy_m'),
    satellites: smallint('satellites'),
    alarms: text('alarms').array(),
    acc: boolean('acc'),
    doorOpen: boolean('door_open'),
    /** Older than the bus's newest fix when it arrived (does not move the live position). */
    late: boolean('late').notNull().default(false),
    blindArea: boolean('blind_area').notNull().default(false),
    attributes: jsonb('attributes'),
  },
  (t) => [
    // No foreign keys on the hot table: the pipeline resolves bus and device before it writes.
    // (device, time) is the identity of a fix: a resent fix is a duplicate, stored once.
    primaryKey({ name: 'positions_pk', columns: [t.deviceId, t.time] }),
    index('positions_bus_time_idx').on(t.busId, t.time),
  ],
);

export const rejectedFixes = pgTable(
  'rejected_fixes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    protocol: text('protocol').notNull(),
    deviceIdentifier: text('device_identifier').notNull(),
    deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
    busId: integer('bus_id').references(() => buses.id, { onDelete: 'set null' }),
    reason: text('reason').notNull(),
    receivedAt: tsz('received_at')
      .notNull()
      .default(sql`now()`),
    fix: jsonb('fix'),
  },
  (t) => [index('rejected_fixes_received_idx').on(t.receivedAt)],
);

/** Device inputs that are not positions but matter later: driver-card swipes, alarms, registrations. */
export const deviceEvents = pgTable(
  'device_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    busId: integer('bus_id').references(() => buses.id, { onDelete: 'set null' }),
    type: text('type').notNull(),
    time: tsz('time').notNull(),
    receivedAt: tsz('received_at').notNull(),
    payload: jsonb('payload').notNull(),
  },
  (t) => [index('device_events_bus_time_idx').on(t.busId, t.time)],
);
