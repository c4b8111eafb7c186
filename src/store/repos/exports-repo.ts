// The rows behind the CSV exports of the manager's lists: violations (the list's filters and sort, with the names
// of school, bus, driver and owner) and the bus, driver and student registries, each under the caller's scope.
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { buses, drivers, schools, students, users, violations } from '../schema';
import { filterConditions, severityRank, type ViolationFilter, type ViolationSort } from './violations-repo';

export async function violationsForExport(
  db: DbOrTx,
  f: ViolationFilter,
  opts: { sort: ViolationSort; limit: number; nowMs: number },
) {
  const conds = filterConditions(f, opts.nowMs);
  const v = violations;
  const order =
    opts.sort === 'time'
      ? [asc(v.startedAt), asc(v.id)]
      : opts.sort === '-time'
        ? [desc(v.startedAt), desc(v.id)]
        : [asc(severityRank), desc(v.startedAt), desc(v.id)];
  return db
    .select({
      row: v,
      school: schools.name,
      timeZone: schools.timeZone,
      plate: buses.plate,
      driver: drivers.name,
      owner: users.name,
    })
    .from(v)
    .leftJoin(schools, eq(schools.id, v.schoolId))
    .leftJoin(buses, eq(buses.id, v.busId))
    .leftJoin(drivers, eq(drivers.id, v.driverId))
    .leftJoin(users, eq(users.id, v.ownerUserId))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(...order)
    .limit(opts.limit);
}

export async function busesForExport(db: DbOrTx, scope: SQL | undefined) {
  return db
    .select({ bus: buses, school: schools.name })
    .from(buses)
    .innerJoin(schools, eq(schools.id, buses.schoolId))
    .where(scope)
    .orderBy(asc(schools.name), asc(buses.plate));
}

export async function driversForExport(db: DbOrTx, scope: SQL | undefined) {
  return db
    .select({ driver: drivers, school: schools.name })
    .from(drivers)
    .innerJoin(schools, eq(schools.id, drivers.schoolId))
    .where(scope)
    .orderBy(asc(schools.name), asc(drivers.name), asc(drivers.id));
}

export async function studentsForExport(db: DbOrTx, scope: SQL | undefined) {
  return db
    .select({ student: students, school: schools.name })
    .from(students)
    .innerJoin(schools, eq(schools.id, students.schoolId))
    .where(scope)
    .orderBy(asc(schools.name), asc(students.name), asc(students.id));
}
