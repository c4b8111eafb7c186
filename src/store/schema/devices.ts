import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz, updatedAt } from './columns';
import { buses } from './buses';
import { schools } from './schools';

export const deviceProtocols = ['jt808', 'osmand', 'json'] as const;

export const devices = pgTable(
  'devices',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    busId: integer('bus_id').references(() => buses.id),
    protocol: text('protocol', { enum: deviceProtocols }).notNull(),
    /**
     * Terminal phone number (JT/T 808) or app / partner device id, always in its canonical form
     * (src/ingest/device-identity.ts; the check below holds the database to it).
     */
    identifier: text('identifier').notNull(),
    /** SHA-256 of the current JT/T 808 auth code or device secret; never the secret itself. */
    secretHash: text('secret_hash'),
    /** Offset of the device's clock for protocols that send local time (JT/T 808: GMT+8 = 480). */
    tzOffsetMin: integer('tz_offset_min').notNull().default(480),
    /**
     * JT/T 808: until when a manager allows this terminal, which already holds an auth code, to register again
     * (0x0100) and get a new one. Cleared by that registration (one use); null = registration refused.
     */
    reregistrationUntil: tsz('reregistration_until'),
    label: text('label'),
    lastSeenAt: tsz('last_seen_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('devices_protocol_identifier_uq').on(t.protocol, t.identifier),
    check(
      'devices_identifier_canonical',
      sql`(${t.protocol} = 'jt808' and ${t.identifier} ~ '^(0|[1-9a-f][0-9a-f]{0,19})$') or (${t.protocol} <> 'jt808' and ${t.identifier} = lower(btrim(${t.identifier})) and ${t.identifier} <> '')`,
    ),
    index('devices_bus_idx').on(t.busId),
    index('devices_school_idx').on(t.schoolId),
  ],
);
