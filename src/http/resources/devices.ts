import { and, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { hashToken } from '../../auth/tokens';
import { canonicalDeviceIdentifier } from '../../ingest/device-identity';
import type { DbOrTx } from '../../store/db';
import { buses, deviceProtocols, devices } from '../../store/schema';
import * as contract from '../contract/registry';
import type { ResourceDef } from '../crud';
import { badRequest, conflict } from '../errors';
import { id, partialOf } from './fields';

/**
 * What the registry accepts as a JT/T 808 terminal: its phone number (up to 20 decimal digits), or — for a
 * terminal whose phone field is not BCD — the field's hex digits as it sends them (12 or 20, zero padding
 * included, as the server's warning log shows them). Stored canonical either way (src/ingest/device-identity.ts).
 */
const JT808_REGISTRY_IDENTIFIER = /^(\d{1,20}|[0-9a-fA-F]{12}|[0-9a-fA-F]{20})$/;

const shape = {
  schoolId: id,
  busId: id.nullable().optional(),
  protocol: z.enum(deviceProtocols),
  /**
   * JT/T 808 terminal phone number (digits, or the hex form of a non-BCD phone field), OsmAnd / partner device id.
   * Leave it out for OsmAnd and JSON devices and the registry issues an unguessable one (24 random characters): an
   * OsmAnd device without a secret is identified by its id alone, so a guessable explicit id (a phone number,
   * "bus-3") lets anyone post positions for that bus. Explicit ids remain possible for existing deployments; give
   * such devices a secret.
   */
  identifier: z.string().trim().min(1).max(64).optional(),
  /** JT/T 808 auth code or device secret; stored hashed, never returned. */
  secret: z.string().min(4).max(64).optional(),
  tzOffsetMin: z.number().int().min(-720).max(840).optional(),
  label: z.string().max(100).optional(),
};

const jt808IdentifierMessage =
  'a JT/T 808 terminal is identified by its phone number (up to 20 digits) or its phone field in hex (12 or 20 hex digits)';

/** The canonical identifier the row will have; 400 when it does not fit the protocol, 409 when another device has it. */
async function canonicalIdentifier(
  tx: DbOrTx,
  protocol: (typeof deviceProtocols)[number],
  raw: string,
  selfId: number | undefined,
): Promise<string> {
  if (protocol === 'jt808' && !JT808_REGISTRY_IDENTIFIER.test(raw)) {
    throw badRequest('Invalid identifier', [
      { path: 'identifier', message: jt808IdentifierMessage, code: 'invalid_format' },
    ]);
  }
  const identifier = canonicalDeviceIdentifier(protocol, raw);
  if (identifier === '')
    throw badRequest('Invalid identifier', [{ path: 'identifier', message: 'empty', code: 'too_small' }]);
  const same = and(eq(devices.protocol, protocol), eq(devices.identifier, identifier));
  const taken = await tx
    .select({ id: devices.id })
    .from(devices)
    .where(selfId === undefined ? same : and(same, ne(devices.id, selfId)))
    .limit(1);
  // Which school holds it is not said: the caller may not manage that school.
  if (taken.length) throw conflict('Another device already has this identifier', { protocol, identifier });
  return identifier;
}

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
  kind: 'device',
  table: devices,
  filters: { schoolId: devices.schoolId, busId: devices.busId },
  refs: { busId: { table: buses, what: 'Bus', sameSchool: true } },
  createSchema: z
    .object(shape)
    .strict()
    .refine(
      (d) => d.protocol !== 'jt808' || (d.identifier !== undefined && JT808_REGISTRY_IDENTIFIER.test(d.identifier)),
      {
        path: ['identifier'],
        message: jt808IdentifierMessage,
      },
    ),
  updateSchema: partialOf(shape, devices),
  row: contract.device,
  prepare: async (tx, body, existing) => {
    const { secret, ...rest } = body;
    if (!existing && rest.identifier === undefined) rest.identifier = issueDeviceIdentifier();
    if (
      rest.identifier !== undefined ||
      (existing && rest.protocol !== undefined && rest.protocol !== existing.protocol)
    ) {
      // One canonical identity per device: a second spelling of a known terminal is a collision (409).
      rest.identifier = await canonicalIdentifier(
        tx,
        rest.protocol ?? existing!.protocol,
        rest.identifier ?? existing!.identifier,
        existing?.id,
      );
    }
    return secret === undefined ? rest : { ...rest, secretHash: await hashToken(secret) };
  },
  toJson: ({ secretHash, ...row }) => ({ ...row, hasSecret: secretHash != null }),
  // Ingest caches devices by identifier: a changed bus, identifier or secret applies to the next report.
  onChanged: (deps, row, existing) => {
    for (const d of [row, existing]) if (d) deps.ingest?.directory.invalidate(d.protocol, d.identifier);
  },
};
