import { z } from 'zod';
import { drivers, licenceClasses } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { date, id, name, partialOf } from './fields';

const shape = {
  schoolId: id,
  name,
  phone: z.string().max(30).optional(),
  birthDate: date,
  licenceClass: z.enum(licenceClasses),
  licenceFirstIssued: date,
  licenceValidUntil: date.optional(),
  schoolBusEndorsement: z.boolean().optional(),
  lastAnnualReview: date.optional(),
  qualificationCertNo: z.string().trim().min(1).max(40).optional(),
  qualificationCertExpiry: date.optional(),
  cardId: z.string().trim().min(1).max(40).optional(),
};

export const driversResource: ResourceDef = {
  name: 'Driver',
  path: 'drivers',
  kind: 'driver',
  table: drivers,
  filters: { schoolId: drivers.schoolId },
  createSchema: z.object(shape).strict(),
  updateSchema: partialOf(shape, drivers),
  row: contract.driver,
};
