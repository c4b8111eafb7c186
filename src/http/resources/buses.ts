import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { capacityCap } from '../../core/registry-rules';
import { buses, busStatuses, schools } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { badRequest } from '../errors';
import { date, id, partialOf } from './fields';

const shape = {
  schoolId: id,
  plate: z.string().trim().min(2).max(20),
  approvedCapacity: z.number().int().min(1).max(80),
  seats: z.number().int().min(1).max(80).optional(),
  signNumber: z.string().trim().max(50).optional(),
  signValidUntil: date.optional(),
  inspectionValidUntil: date.optional(),
  insuranceValidUntil: date.nullable().optional(),
  status: z.enum(busStatuses).optional(),
};

export const busesResource: ResourceDef = {
  name: 'Bus',
  path: 'buses',
  table: buses,
  filters: { schoolId: buses.schoolId },
  kind: 'bus',
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape, buses),
  row: contract.bus,
  // The approved capacity may not pass the cap of the school's kind (kindergarten 45, others 56: GB 24407).
  prepare: async (tx, body, existing) => {
    const schoolId = body.schoolId ?? existing?.schoolId;
    const capacity = body.approvedCapacity ?? existing?.approvedCapacity;
    const [school] = await tx.select({ kind: schools.kind }).from(schools).where(eq(schools.id, schoolId));
    const cap = school ? capacityCap(school.kind) : undefined;
    if (cap !== undefined && capacity > cap)
      throw badRequest(
        `A ${school!.kind} school's bus carries at most ${cap} (approved capacity ${capacity})`,
        [{ path: 'approvedCapacity', message: `at most ${cap} for a ${school!.kind}` }],
        'invalid_value',
      );
    return body;
  },
};
