// JT/T 808 registration in the registry: the facts a 0x0100 is decided on, the conditional write of a newly
// issued auth code, managers' re-registration windows, and a device's event history.
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Jt808RegistrationFacts } from '../../ingest/jt808/registration';
import { normalizePlate } from '../../ingest/jt808/registration';
import type { Database, DbOrTx } from '../db';
import { deviceEvents, devices } from '../schema';

/** Read fresh (registration is rare; a cached "no auth code yet" must not admit a second registration). */
export async function jt808RegistrationFacts(
  database: Database,
  deviceId: number,
  plate: string,
  nowMs: number,
): Promise<Jt808RegistrationFacts> {
  const rows = await database.query<{
    has_code: boolean;
    until_ms: number | null;
    bus_plate: string | null;
    other_bus: boolean;
  }>(
    `select d.secret_hash is not null as has_code,
            (extract(epoch from d.reregistration_until) * 1000)::float8 as until_ms,
            b.plate as bus_plate,
            exists (
              select 1 from buses o join devices od on od.bus_id = o.id and od.protocol = 'jt808' and od.id <> d.id
              where o.id is distinct from d.bus_id
                and upper(regexp_replace(o.plate, '[[:space:]·•・.]', '', 'g')) = $2
            ) as other_bus
     from devices d left join buses b on b.id = d.bus_id
     where d.id = $1`,
    [deviceId, normalizePlate(plate)],
  );
  const r = rows[0];
  if (!r) return { holdsAuthCode: true, windowOpen: false, busPlate: null, plateOfOtherRegisteredBus: false };
  return {
    holdsAuthCode: r.has_code,
    windowOpen: r.until_ms != null && Number(r.until_ms) > nowMs,
    busPlate: r.bus_plate,
    plateOfOtherRegisteredBus: r.other_bus,
  };
}

/**
 * Stores the hash of a newly issued auth code, but only while the terminal may still register: it holds no
 * code, or its re-registration window is open (and is closed by this write). False when a concurrent
 * registration or a closed window got there first: the terminal is then answered "already registered".
 */
export async function completeJt808Registration(
  database: Database,
  deviceId: number,
  secretHash: string,
  nowMs: number,
): Promise<boolean> {
  const rows = await database.query<{ id: number }>(
    `update devices set secret_hash = $2, reregistration_until = null, updated_at = to_timestamp($3 / 1000.0)
     where id = $1 and (secret_hash is null or reregistration_until > to_timestamp($3 / 1000.0))
     returning id`,
    [deviceId, secretHash, nowMs],
  );
  return rows.length === 1;
}

/** Opens (or moves) a device's re-registration window. */
export async function openReregistrationWindow(db: DbOrTx, deviceId: number, until: Date): Promise<void> {
  await db.update(devices).set({ reregistrationUntil: until }).where(eq(devices.id, deviceId));
}

export interface DeviceEventRow {
  id: number;
  type: string;
  time: Date;
  receivedAt: Date;
  busId: number | null;
  payload: unknown;
}

/** A device's events, newest first; `beforeId` pages back. */
export async function listDeviceEvents(
  db: DbOrTx,
  deviceId: number,
  opts: { limit: number; beforeId?: number; type?: string },
): Promise<DeviceEventRow[]> {
  const conds = [eq(deviceEvents.deviceId, deviceId)];
  if (opts.beforeId !== undefined) conds.push(lt(deviceEvents.id, opts.beforeId));
  if (opts.type !== undefined) conds.push(eq(deviceEvents.type, opts.type));
  return db
    .select({
      id: deviceEvents.id,
      type: deviceEvents.type,
      time: deviceEvents.time,
      receivedAt: deviceEvents.receivedAt,
      busId: deviceEvents.busId,
      payload: deviceEvents.payload,
    })
    .from(deviceEvents)
    .where(and(...conds))
    .orderBy(desc(deviceEvents.id))
    .limit(opts.limit);
}

/** Records a registry-side event in the device's history (a manager opened a window …). */
export async function recordDeviceEvent(
  db: DbOrTx,
  e: { deviceId: number; busId: number | null; type: string; timeMs: number; payload: Record<string, unknown> },
): Promise<void> {
  await db.insert(deviceEvents).values({
    deviceId: e.deviceId,
    busId: e.busId,
    type: e.type,
    time: new Date(e.timeMs),
    receivedAt: new Date(e.timeMs),
    payload: e.payload,
  });
}
