// Drivers and attendants: the people on the bus, with the credential dates the rules check.
import { boolean, date, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { schools } from './schools';

export const licenceClasses = ['A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2'] as const;

export const drivers = pgTable(
  'drivers',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    name: text('name').notNull(),
    phone: text('phone'),
    birthDate: date('birth_date', { mode: 'string' }).notNull(),
    licenceClass: text('licence_class', { enum: licenceClasses }).notNull(),
    licenceFirstIssued: date('licence_first_issued', { mode: 'string' }).notNull(),
    licenceValidUntil: date('licence_valid_until', { mode: 'string' }),
    /** 准许驾驶校车 endorsement. */
    schoolBusEndorsement: boolean('school_bus_endorsement').notNull().default(false),
    lastAnnualReview: date('last_annual_review', { mode: 'string' }),
    /** 从业资格证 number and expiry. */
    qualificationCertNo: text('qualification_cert_no'),
    qualificationCertExpiry: date('qualification_cert_expiry', { mode: 'string' }),
    /** IC card id read by the terminal (JT/T 808 0x0702), when it differs from the certificate number. */
    cardId: text('card_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('drivers_school_idx').on(t.schoolId),
    uniqueIndex('drivers_cert_uq').on(t.qualificationCertNo),
    uniqueIndex('drivers_card_uq').on(t.cardId),
  ],
);

export const attendants = pgTable(
  'attendants',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    name: text('name').notNull(),
    phone: text('phone'),
    trainingValidUntil: date('training_valid_until', { mode: 'string' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('attendants_school_idx').on(t.schoolId)],
);
