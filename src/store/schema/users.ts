// Users, their role and scope, and the API tokens that authenticate them.
import { boolean, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { devices } from './devices';
import { guardians } from './people';
import { schools } from './schools';
import { attendants } from './staff';

export const roles = ['admin', 'manager', 'attendant', 'guardian', 'device', 'supervisor'] as const;
export type Role = (typeof roles)[number];

export const users = pgTable('users', {
  id: id(),
  name: text('name').notNull(),
  role: text('role', { enum: roles }).notNull(),
  /** The attendant, guardian or device this user acts as (by role). */
  attendantId: integer('attendant_id').references(() => attendants.id, { onDelete: 'cascade' }),
  guardianId: integer('guardian_id').references(() => guardians.id, { onDelete: 'cascade' }),
  deviceId: integer('device_id').references(() => devices.id, { onDelete: 'cascade' }),
  disabled: boolean('disabled').notNull().default(false),
  /** A supervisor (bureau) who reads every school of the district; otherwise the schools in user_schools. */
  allSchools: boolean('all_schools').notNull().default(false),
  createdAt: createdAt(),
});

/** Schools a manager may act on, or a supervisor may read. */
export const userSchools = pgTable(
  'user_schools',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.schoolId] }), index('user_schools_school_idx').on(t.schoolId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 hex of the token; the token itself is shown once at creation. */
    tokenHash: text('token_hash').notNull().unique(),
    label: text('label'),
    createdAt: createdAt(),
    lastUsedAt: tsz('last_used_at'),
    expiresAt: tsz('expires_at'),
    revokedAt: tsz('revoked_at'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);
