import { z } from 'zod';
import { buses, busStatuses } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { date, id, partialOf } from './fields';

const shape = {
  schoolId: id,
  plate: z.string().trim().min(2).max(20),
  approvedCapacity: z.number().int().min(1).max(80),
  seats: z.number().int().min(1).max(80).optional(),
  signNumber: z.string().trim().max(50).optional(),
  signValidUntil: date.optional(),
  inspectionValidUntil: date.optional(),
  status: z.enum(busStatuses).optional(),
};

export const busesResource: ResourceDef = {
  name: 'Bus',
  path: 'buses',
  table: buses,
  filters: { schoolId: buses.schoolId },
  kind: 'bus',
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape),
  row: contract.bus,
};
