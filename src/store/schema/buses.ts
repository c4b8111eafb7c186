import { date, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { schools } from './schools';

export const busStatuses = ['active', 'maintenance', 'retired'] as const;

export const buses = pgTable(
  'buses',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    plate: text('plate').notNull().unique(),
    /** 核载人数: approved headcount. */
    approvedCapacity: integer('approved_capacity').notNull(),
    /** Seats, for the licence-class check (≤ 9 C1, 10–19 B1, > 19 A1). */
    seats: integer('seats'),
    signNumber: text('sign_number'),
    signValidUntil: date('sign_valid_until', { mode: 'string' }),
    inspectionValidUntil: date('inspection_valid_until', { mode: 'string' }),
    /** Vehicle insurance (交强险/承运人责任险): the last day it covers. */
    insuranceValidUntil: date('insurance_valid_until', { mode: 'string' }),
    status: text('status', { enum: busStatuses }).notNull().default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('buses_school_idx').on(t.schoolId)],
);
