import { z } from 'zod';
import { attendants } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { date, id, name, partialOf } from './fields';

const shape = {
  schoolId: id,
  name,
  phone: z.string().max(30).optional(),
  trainingValidUntil: date.optional(),
};

export const attendantsResource: ResourceDef = {
  name: 'Attendant',
  path: 'attendants',
  table: attendants,
  filters: { schoolId: attendants.schoolId },
  kind: 'attendant',
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape, attendants),
  row: contract.attendant,
};
