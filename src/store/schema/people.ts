// Students, guardians and who rides where.
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { routes, stops } from './routes';
import { schools } from './schools';

export const students = pgTable(
  'students',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    name: text('name').notNull(),
    grade: text('grade'),
    /** RFID / IC card id for per-student boarding records. */
    cardId: text('card_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('students_school_idx').on(t.schoolId), uniqueIndex('students_card_uq').on(t.cardId)],
);

/** The stop a student uses on a route (one per route). */
export const studentStops = pgTable(
  'student_stops',
  {
    studentId: integer('student_id')
      .notNull()
      .references(() => students.id, { onDelete: 'cascade' }),
    routeId: integer('route_id')
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    stopId: integer('stop_id')
      .notNull()
      .references(() => stops.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.studentId, t.routeId] }), index('student_stops_route_idx').on(t.routeId)],
);

export const locales = ['zh-CN', 'en'] as const;

export interface NoticePreferences {
  approachMinutes?: number;
  approachMetres?: number;
  muted?: string[];
}

export const guardians = pgTable(
  'guardians',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    name: text('name').notNull(),
    phone: text('phone'),
    locale: text('locale', { enum: locales }).notNull().default('zh-CN'),
    noticePreferences: jsonb('notice_preferences').$type<NoticePreferences>().notNull().default({ approachMinutes: 5 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('guardians_school_idx').on(t.schoolId)],
);

export const guardianStudents = pgTable(
  'guardian_students',
  {
    guardianId: integer('guardian_id')
      .notNull()
      .references(() => guardians.id, { onDelete: 'cascade' }),
    studentId: integer('student_id')
      .notNull()
      .references(() => students.id, { onDelete: 'cascade' }),
    relation: text('relation'),
  },
  (t) => [primaryKey({ columns: [t.guardianId, t.studentId] }), index('guardian_students_student_idx').on(t.studentId)],
);
