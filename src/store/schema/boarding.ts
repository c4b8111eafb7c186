import { doublePrecision, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { students } from './people';
import { stops } from './routes';
import { attendants } from './staff';
import { trips } from './trips';

export const boardingKinds = ['count', 'student'] as const;

export const boardingRecords = pgTable(
  'boarding_records',
  {
    id: id(),
    tripId: integer('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    /** Client-generated id: makes a queued record idempotent. */
    clientId: text('client_id').notNull(),
    kind: text('kind', { enum: boardingKinds }).notNull(),
    recordedAt: tsz('recorded_at').notNull(),
    stopId: integer('stop_id').references(() => stops.id, { onDelete: 'set null' }),
    studentId: integer('student_id').references(() => students.id, { onDelete: 'set null' }),
    boarded: integer('boarded').notNull().default(0),
    alighted: integer('alighted').notNull().default(0),
    lat: doublePrecision('lat'),
    lon: doublePrecision('lon'),
    attendantId: integer('attendant_id').references(() => attendants.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('boarding_trip_client_uq').on(t.tripId, t.clientId),
    index('boarding_trip_time_idx').on(t.tripId, t.recordedAt),
  ],
);
