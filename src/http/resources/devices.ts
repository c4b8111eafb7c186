import { z } from 'zod';
import { hashToken } from '../../auth/tokens';
import { buses, deviceProtocols, devices } from '../../store/schema';
import type { ResourceDef } from '../crud';
import { id, partialOf } from './fields';

const shape = {
  schoolId: id,
  busId: id.nullable().optional(),
  protocol: z.enum(deviceProtocols),
  /**
   * JT/T 808 terminal phone number (digits), OsmAnd / partner device id. Leave it out for OsmAnd and JSON devices
   * and the registry issues an unguessable one (24 random characters): an OsmAnd device without a secret is
   * identified by its id alone, so a guessable explicit id (a phone number, "bus-3") lets anyone post positions
   * for that bus. Explicit ids remain possible for existing deployments; give such devices a secret.
   */
  identifier: z.string().trim().min(1).max(64).optional(),
  /** JT/T 808 auth code or device secret; stored hashed, never returned. */
  secret: z.string().min(4).max(64).optional(),
  tzOffsetMin: z.number().int().min(-720).max(840).optional(),
  label: z.string().max(100).optional(),
};

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, none easily confused

/** An unguessable device id: 24 symbols of 5 random bits each (120 bits). */
export function issueDeviceIdentifier(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => ID_ALPHABET[b & 31]).join('');
}

export const devicesResource: ResourceDef = {
  name: 'Device',
  path: 'devices',
  table: devices,
  filters: { schoolId: devices.schoolId, busId: devices.busId },
  refs: { busId: { table: buses, what: 'Bus', sameSchool: true } },
  createSchema: z
    .object(shape)
    .strict()
    .refine((d) => d.protocol !== 'jt808' || (d.identifier !== undefined && /^\d{1,20}$/.test(d.identifier)), {
      path: ['identifier'],
      message: 'a JT/T 808 terminal is identified by its phone number (up to 20 digits)',
    }),
  updateSchema: partialOf(shape),
  prepare: async (_tx, body, existing) => {
    const { secret, ...rest } = body;
    if (!existing && rest.identifier === undefined) rest.identifier = issueDeviceIdentifier();
    return secret === undefined ? rest : { ...rest, secretHash: await hashToken(secret) };
  },
  toJson: ({ secretHash, ...row }) => ({ ...row, hasSecret: secretHash != null }),
  // Ingest caches devices by identifier: a changed bus, identifier or secret applies to the next report.
  onChanged: (deps, row, existing) => {
    for (const d of [row, existing]) if (d) deps.ingest?.directory.invalidate(d.protocol, d.identifier);
  },
};
