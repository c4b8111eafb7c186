// Trusted-adult share links: a guardian lets another adult follow one child's bus, read-only, until the link
// expires or is revoked. Only a SHA-256 hash of the link's secret is stored; the secret is shown once.
import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { guardians, students } from './people';

export const shareLinks = pgTable(
  'share_links',
  {
    id: id(),
    guardianId: integer('guardian_id')
      .notNull()
      .references(() => guardians.id, { onDelete: 'cascade' }),
    studentId: integer('student_id')
      .notNull()
      .references(() => students.id, { onDelete: 'cascade' }),
    /** hex SHA-256 of the secret in the link */
    secretHash: text('secret_hash').notNull().unique(),
    label: text('label'),
    createdAt: createdAt(),
    expiresAt: tsz('expires_at').notNull(),
    revokedAt: tsz('revoked_at'),
  },
  (t) => [index('share_links_guardian_idx').on(t.guardianId)],
);
