import { z } from 'zod';
import { eq } from 'drizzle-orm';
import { capacityCap } from '../../core/registry-rules';
import { buses, schoolKinds, schoolLanguages, schools } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { badRequest } from '../errors';
import { lat, lon, name, partialOf, ruleOverrides, timeZone } from './fields';

const shape = {
  name,
  timeZone: timeZone.default('Asia/Shanghai'),
  kind: z.enum(schoolKinds).optional(),
  /** The language of the school's reports when the reader asks for none. */
  language: z.enum(schoolLanguages).optional(),
  lat: lat.optional(),
  lon: lon.optional(),
  lowVisibility: z.boolean().optional(),
  ruleOverrides: ruleOverrides.optional(),
};

export const schoolsResource: ResourceDef = {
  name: 'School',
  path: 'schools',
  table: schools,
  schoolColumn: schools.id,
  adminCreates: true,
  kind: 'school',
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf({ ...shape, timeZone }, schools),
  row: contract.school,
  // A school that becomes a kindergarten keeps no bus above the kindergarten cap.
  prepare: async (tx, body, existing) => {
    if (existing && body.kind && body.kind !== existing.kind) {
      const cap = capacityCap(body.kind);
      const over =
        cap === undefined
          ? []
          : (await tx.select().from(buses).where(eq(buses.schoolId, existing.id))).filter(
              (b) => b.status !== 'retired' && b.approvedCapacity > cap,
            );
      if (over.length)
        throw badRequest(
          `A ${body.kind} school's buses carry at most ${cap}; ${over.map((b) => b.plate).join(', ')} carry more`,
          [{ path: 'kind', message: `buses over ${cap}: ${over.map((b) => b.id).join(', ')}` }],
          'invalid_value',
        );
    }
    return body;
  },
};
