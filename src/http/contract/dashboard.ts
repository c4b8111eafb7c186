// Responses of the manager's home view (one school's day), the header search and the case-owner choices.
import { z } from 'zod';
import { day, instant, int, text } from './common';

const busRef = z.strictObject({ busId: int, plate: text });

export const schoolDashboard = z.strictObject({
  schoolId: int,
  timeZone: text,
  /** Today at the school (YYYY-MM-DD in its time zone). */
  date: day,
  fleet: z.strictObject({
    /** Buses in service in the registry (status active). */
    buses: int,
    tripsToday: int,
    /** Buses on an active trip now. */
    inService: int,
    /** Buses with a planned trip not started lateAfterMin after its planned start. */
    late: int,
    /** Buses on an active trip without a fix for offlineAfterS. */
    offline: int,
    lateBuses: z.array(busRef),
    offlineBuses: z.array(busRef),
    lateAfterMin: int,
    offlineAfterS: int,
  }),
  cases: z.strictObject({
    /** Open, acknowledged or rectifying. */
    active: int,
    overdue: int,
    escalated: int,
    byKind: z.array(z.strictObject({ kind: text, severity: text, count: int, overdue: int })),
  }),
  /** SOS and child-left-aboard cases nobody acknowledged yet (newest first). */
  alarms: z.array(
    z.strictObject({ id: int, kind: text, busId: int.nullable(), plate: text.nullable(), startedAt: instant }),
  ),
  /** One entry per day, oldest first, today last: cases opened (of which critical) and cases closed. */
  trend: z.array(z.strictObject({ date: day, opened: int, critical: int, closed: int })),
});

export const searchResult = z.strictObject({
  q: text,
  buses: z.array(z.strictObject({ id: int, schoolId: int, plate: text, status: text })),
  drivers: z.array(z.strictObject({ id: int, schoolId: int, name: text, phone: text.nullable() })),
  students: z.array(z.strictObject({ id: int, schoolId: int, name: text, grade: text.nullable() })),
});

export const caseOwnerList = z.strictObject({
  items: z.array(z.strictObject({ id: int, name: text, role: text })),
});

/** A list export as JSON: the header row and the rows of the CSV file. */
export const exportTable = z.strictObject({
  columns: z.array(text),
  rows: z.array(z.array(z.union([text, z.number()]))),
});

export type SchoolDashboard = z.infer<typeof schoolDashboard>;
export type SearchResult = z.infer<typeof searchResult>;
export type CaseOwnerList = z.infer<typeof caseOwnerList>;
export type ExportTable = z.infer<typeof exportTable>;
