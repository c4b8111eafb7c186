// Registered devices by (protocol, identifier), cached briefly (24 to 30 s, jittered) so a busy terminal costs no query per
// frame and a fleet first seen together does not reload in one burst.
import type { Protocol } from '../core/fix';
import { canonicalDeviceIdentifier } from '../ingest/device-identity';
import type { Database } from '../store/db';
import { jitteredTtlMs } from './jitter';
import { type DeviceInfo, StorageUnavailableError } from './types';

const HIT_TTL_MS = 30_000;
const MISS_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;
const COLUMNS = 'id, bus_id, school_id, protocol, identifier, tz_offset_min, secret_hash';

interface Row {
  id: number;
  bus_id: number | null;
  school_id: number;
  protocol: Protocol;
  identifier: string;
  tz_offset_min: number;
  secret_hash: string | null;
}

/** Identifiers are looked up in their canonical form, the form the registry stores (src/ingest/device-identity.ts). */
export const normalizeIdentifier = canonicalDeviceIdentifier;

export class DeviceDirectory {
  private readonly cache = new Map<string, { info: DeviceInfo | undefined; expiresMs: number }>();
  /** Registry id → the device's cache key; the entry under that key says whether it is fresh and still this device. */
  private readonly idKeys = new Map<number, string>();

  constructor(
    private readonly database: Database,
    private readonly now: () => number,
  ) {}

  async lookup(protocol: Protocol, identifier: string): Promise<DeviceInfo | undefined> {
    const id = normalizeIdentifier(protocol, identifier);
    const key = `${protocol}:${id}`;
    const hit = this.cache.get(key);
    const nowMs = this.now();
    if (hit && hit.expiresMs > nowMs) return hit.info;
    const rows = await this.query(`select ${COLUMNS} from devices where protocol = $1 and identifier = $2`, [
      protocol,
      id,
    ]);
    return this.remember(key, rows[0], nowMs);
  }

  private remember(key: string, r: Row | undefined, nowMs: number): DeviceInfo | undefined {
    const info: DeviceInfo | undefined = r && {
      deviceId: r.id,
      busId: r.bus_id,
      schoolId: r.school_id,
      protocol: r.protocol,
      identifier: r.identifier,
      tzOffsetMin: r.tz_offset_min,
      secretHash: r.secret_hash,
    };
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    // Jittered, so devices first seen together (a restart) are not all looked up again in the same instant.
    this.cache.set(key, { info, expiresMs: nowMs + jitteredTtlMs(info ? HIT_TTL_MS : MISS_TTL_MS) });
    return info;
  }

  private async query(text: string, params: unknown[]): Promise<Row[]> {
    try {
      // Fixed texts run for every device every half minute: kept prepared on the connections.
      return await this.database.query<Row>(text, params, { prepare: true });
    } catch (err) {
      throw new StorageUnavailableError(`device lookup failed: ${(err as Error).message}`);
    }
  }

  /**
   * Looks a device up by registry id (device tokens carry the id). The id only points at the device's cache entry:
   * while that entry is fresh and still this device it answers, otherwise one query by id reloads it, so a device
   * posting with its token costs one query per lifetime.
   */
  async byId(deviceId: number): Promise<DeviceInfo | undefined> {
    const nowMs = this.now();
    const key = this.idKeys.get(deviceId);
    const hit = key === undefined ? undefined : this.cache.get(key);
    if (hit && hit.expiresMs > nowMs && hit.info?.deviceId === deviceId) return hit.info;
    // One query for both caches ((protocol, identifier) is unique and stored canonical, so it is the lookup key).
    const rows = await this.query(`select ${COLUMNS} from devices where id = $1`, [deviceId]);
    const r = rows[0];
    if (!r) return undefined;
    const loadedKey = `${r.protocol}:${r.identifier}`;
    if (this.idKeys.size >= MAX_ENTRIES) this.idKeys.clear();
    this.idKeys.set(deviceId, loadedKey);
    return this.remember(loadedKey, r, nowMs);
  }

  invalidate(protocol: Protocol, identifier: string): void {
    this.cache.delete(`${protocol}:${normalizeIdentifier(protocol, identifier)}`);
  }
}
