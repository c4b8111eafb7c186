import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { guardians, guardianStudents, locales, students } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { badRequest } from '../errors';
import { id, name, partialOf } from './fields';

export const noticePreferences = z
  .object({
    approachMinutes: z.number().int().min(1).max(60).optional(),
    approachMetres: z.number().int().min(50).max(20_000).optional(),
    muted: z.array(z.string().max(40)).max(20).optional(),
  })
  .strict();

const shape = {
  schoolId: id,
  name,
  phone: z.string().max(30).optional(),
  locale: z.enum(locales).optional(),
  noticePreferences: noticePreferences.optional(),
  studentIds: z.array(id).max(20).optional(),
};

export const guardiansResource: ResourceDef = {
  name: 'Guardian',
  path: 'guardians',
  table: guardians,
  filters: { schoolId: guardians.schoolId },
  kind: 'guardian',
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape, guardians),
  row: contract.guardianListRow,
  full: contract.guardianWithStudents,
  listExpands: {
    students: async (db, rows) => {
      const links = await db
        .select({ guardianId: guardianStudents.guardianId, studentId: guardianStudents.studentId })
        .from(guardianStudents)
        .where(
          inArray(
            guardianStudents.guardianId,
            rows.map((r) => r.id as number),
          ),
        );
      return rows.map((r) => ({
        ...r,
        studentIds: links.filter((l) => l.guardianId === r.id).map((l) => l.studentId),
      }));
    },
  },
  afterWrite: async (tx, row, body) => {
    if (!body.studentIds) return;
    const ids: number[] = [...new Set<number>(body.studentIds)];
    if (ids.length) {
      const found = await tx
        .select({ id: students.id, schoolId: students.schoolId })
        .from(students)
        .where(inArray(students.id, ids));
      const bad = ids.filter((i) => !found.some((f) => f.id === i && f.schoolId === row.schoolId));
      if (bad.length)
        throw badRequest(
          `Unknown students for this school: ${bad.join(', ')}`,
          [{ path: 'studentIds', message: 'unknown student', code: 'unknown_reference' }],
          'invalid_reference',
        );
    }
    await tx.delete(guardianStudents).where(eq(guardianStudents.guardianId, row.id));
    if (ids.length)
      await tx.insert(guardianStudents).values(ids.map((studentId) => ({ guardianId: row.id, studentId })));
  },
  expand: async (db, row) => {
    const links = await db
      .select({ studentId: guardianStudents.studentId })
      .from(guardianStudents)
      .where(eq(guardianStudents.guardianId, row.id));
    return { ...row, studentIds: links.map((l) => l.studentId) };
  },
};
