import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../store/db';
import { guardianStudents, routes, stops, students, studentStops } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef, Row } from '../crud';
import { badRequest } from '../errors';
import { id, name, partialOf } from './fields';

const shape = {
  schoolId: id,
  name,
  grade: z.string().max(40).optional(),
  cardId: z.string().trim().min(1).max(40).optional(),
  /** The stop the student uses on each route. */
  stops: z
    .array(z.object({ routeId: id, stopId: id }))
    .max(20)
    .optional(),
};

async function replaceStudentStops(tx: DbOrTx, student: Row, input: { routeId: number; stopId: number }[]) {
  const routeIds = input.map((s) => s.routeId);
  if (new Set(routeIds).size !== routeIds.length)
    throw badRequest(
      'One stop per route',
      [{ path: 'stops', message: 'route listed twice', code: 'duplicate_route' }],
      'validation_failed',
    );
  if (input.length) {
    const found = await tx
      .select({ stopId: stops.id, routeId: stops.routeId, schoolId: routes.schoolId })
      .from(stops)
      .innerJoin(routes, eq(routes.id, stops.routeId))
      .where(
        inArray(
          stops.id,
          input.map((s) => s.stopId),
        ),
      );
    for (const [i, s] of input.entries()) {
      const f = found.find((x) => x.stopId === s.stopId);
      if (!f || f.routeId !== s.routeId || f.schoolId !== student.schoolId)
        throw badRequest(
          `Stop ${s.stopId} is not a stop of route ${s.routeId} of this school`,
          [{ path: `stops.${i}`, message: 'invalid stop', code: 'unknown_reference' }],
          'invalid_reference',
        );
    }
  }
  await tx.delete(studentStops).where(eq(studentStops.studentId, student.id));
  if (input.length) await tx.insert(studentStops).values(input.map((s) => ({ studentId: student.id, ...s })));
}

export const studentsResource: ResourceDef = {
  name: 'Student',
  path: 'students',
  table: students,
  filters: { schoolId: students.schoolId },
  kind: 'student',
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape, students),
  row: contract.studentListRow,
  full: contract.studentWithLinks,
  listExpands: {
    stops: async (db, rows) => {
      const assigned = await db
        .select({ studentId: studentStops.studentId, routeId: studentStops.routeId, stopId: studentStops.stopId })
        .from(studentStops)
        .where(
          inArray(
            studentStops.studentId,
            rows.map((r) => r.id as number),
          ),
        );
      return rows.map((r) => ({
        ...r,
        stops: assigned.filter((a) => a.studentId === r.id).map(({ routeId, stopId }) => ({ routeId, stopId })),
      }));
    },
  },
  afterWrite: async (tx, row, body) => {
    if (body.stops) await replaceStudentStops(tx, row, body.stops);
  },
  expand: async (db, row) => {
    const [assigned, links] = await Promise.all([
      db
        .select({ routeId: studentStops.routeId, stopId: studentStops.stopId })
        .from(studentStops)
        .where(eq(studentStops.studentId, row.id)),
      db
        .select({ guardianId: guardianStudents.guardianId })
        .from(guardianStudents)
        .where(eq(guardianStudents.studentId, row.id)),
    ]);
    return { ...row, stops: assigned, guardianIds: links.map((l) => l.guardianId) };
  },
};
