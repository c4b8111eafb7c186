import { z } from 'zod';
import { schools } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { lat, lon, name, partialOf, ruleOverrides, timeZone } from './fields';

const shape = {
  name,
  timeZone: timeZone.default('Asia/Shanghai'),
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
  updateSchema: partialOf({ ...shape, timeZone }),
  row: contract.school,
};
