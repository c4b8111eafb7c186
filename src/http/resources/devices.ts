import { z } from 'zod';
import { hashToken } from '../../auth/tokens';
import { buses, deviceProtocols, devices } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { id, partialOf } from './fields';

const shape = {
  schoolId: id,
  busId: id.nullable().optional(),
  protocol: z.enum(deviceProtocols),
  /** JT/T 808 terminal phone number (digits), OsmAnd / partner device id. */
  identifier: z.string().trim().min(1).max(64),
  /** JT/T 808 auth code or device secret; stored hashed, never returned. */
  secret: z.string().min(4).max(64).optional(),
  tzOffsetMin: z.number().int().min(-720).max(840).optional(),
  label: z.string().max(100).optional(),
};

export const devicesResource: ResourceDef = {
  name: 'Device',
  path: 'devices',
  kind: 'device',
  table: devices,
  filters: { schoolId: devices.schoolId, busId: devices.busId },
  refs: { busId: { table: buses, what: 'Bus', sameSchool: true } },
  createSchema: z
    .object(shape)
    .strict()
    .refine((d) => d.protocol !== 'jt808' || /^\d{1,20}$/.test(d.identifier), {
      path: ['identifier'],
      message: 'a JT/T 808 terminal is identified by its phone number (up to 20 digits)',
    }),
  updateSchema: partialOf(shape),
  row: contract.device,
  prepare: async (_tx, body) => {
    const { secret, ...rest } = body;
    return secret === undefined ? rest : { ...rest, secretHash: await hashToken(secret) };
  },
  toJson: ({ secretHash, ...row }) => ({ ...row, hasSecret: secretHash != null }),
  // Ingest caches devices by identifier: a changed bus, identifier or secret applies to the next report.
  onChanged: (deps, row, existing) => {
    for (const d of [row, existing]) if (d) deps.ingest?.directory.invalidate(d.protocol, d.identifier);
  },
};
