// The ingest side of the pipeline: device lookup, then the bus's lane (src/pipeline/bus-lane.ts: filters →
// group-committed write → acknowledge → engine → publish). A bus's inputs are processed one at a time, in arrival
// order; different buses run independently. Filter state advances only after the write commits, so a batch refused
// for storage can be resent in full. Also here: device last-seen times, refused-fix audit rows, JT/T 808
// registration, and the ingest metrics.
import { createHash } from 'node:crypto';
import type { DeviceEvent, Fix, Protocol } from '../core/fix';
import { isUnstorableText, storableText } from '../core/fix-bounds';
import { CN_2012 } from '../core/presets';
import type { RuleConfig } from '../core/presets/types';
import type { Logger } from '../logging';
import type { Database } from '../store/db';
import type { Jt808RegistrationFacts } from '../ingest/jt808/registration';
import { completeJt808Registration, jt808RegistrationFacts } from '../store/repos/device-registration-repo';
import { deviceEvents, rejectedFixes } from '../store/schema';
import { DeviceDirectory } from './device-directory';
import { Metrics } from './metrics';
import { PositionWriter, type WriterOptions } from './position-writer';
import type { RefusedFix } from './fix-batch';
import { Lanes } from './lanes';
import { type DeviceInfo, type Ingest, StorageUnavailableError, type SubmitOptions, type SubmitResult } from './types';

export interface IngestOptions {
  database: Database;
  /** where the position writer's statements run (default: database); a pool of its own keeps them from queueing behind reads */
  writerDatabase?: Database;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  filters?: RuleConfig['filters'];
  writer?: WriterOptions;
  /** How often device last-seen times are written. */
  lastSeenFlushMs?: number;
}

export class PipelineIngest implements Ingest {
  readonly metrics: Metrics;
  readonly writer: PositionWriter;
  readonly directory: DeviceDirectory;
  /** one lane per bus; the engine runner and the live side attach to these */
  readonly lanes: Lanes;
  private readonly lastSeen = new Map<number, number>();
  private readonly lastSeenTimer: ReturnType<typeof setInterval>;
  private readonly filters: RuleConfig['filters'];
  private readonly accepted;
  private readonly rejected;
  private readonly late;
  private readonly unavailable;
  private readonly refusedFull;

  constructor(private readonly opts: IngestOptions) {
    this.metrics = opts.metrics ?? new Metrics();
    this.writer = new PositionWriter(opts.writerDatabase ?? opts.database, this.metrics, opts.writer);
    this.directory = new DeviceDirectory(opts.database, opts.now ?? Date.now);
    this.filters = opts.filters ?? CN_2012.filters;
    this.accepted = this.metrics.counter('busguard_fixes_accepted_total', 'Fixes accepted and stored, by protocol');
    this.rejected = this.metrics.counter(
      'busguard_fixes_rejected_total',
      'Fixes and inputs refused, by protocol and reason',
    );
    this.late = this.metrics.counter(
      'busguard_fixes_late_total',
      'Accepted fixes older than the bus newest, by protocol',
    );
    this.unavailable = this.metrics.counter(
      'busguard_ingest_storage_unavailable_total',
      'Submissions refused because storage was unavailable',
    );
    this.refusedFull = this.metrics.counter(
      'busguard_ingest_refused_queue_full_total',
      'Submissions answered "busy, resend later" (HTTP 503) because the position queue was full',
    );
    this.lanes = new Lanes({
      now: opts.now ?? Date.now,
      log: opts.log,
      filters: this.filters,
      writePositions: (rows) => this.writer.write(rows),
      storeRefused: (device, busId, refused, receivedMs) => void this.storeRefused(device, busId, refused, receivedMs),
      seen: (device, receivedMs) => this.lastSeen.set(device.deviceId, receivedMs),
      counters: {
        accepted: (d, n) => this.accepted.inc({ protocol: d.protocol }, n),
        late: (d, n) => this.late.inc({ protocol: d.protocol }, n),
        rejected: (d, reason, n) => this.countRejected(d.protocol, reason, n),
        unavailable: (d) => this.unavailable.inc({ protocol: d.protocol }),
      },
    });
    this.metrics.gauge('busguard_ingest_buses', 'Buses with a lane', () => this.lanes.size);
    this.lastSeenTimer = setInterval(() => void this.flushLastSeen(), opts.lastSeenFlushMs ?? 5000);
    this.lastSeenTimer.unref?.();
  }

  lookupDevice(protocol: Protocol, identifier: string): Promise<DeviceInfo | undefined> {
    return this.directory.lookup(protocol, identifier);
  }

  countRejected(protocol: Protocol, reason: string, n = 1): void {
    this.rejected.inc({ protocol, reason }, n);
  }

  /** True while the position writer is full: submissions wait for room; senders should slow down. */
  storageFull(): boolean {
    return this.writer.full;
  }

  async submitFixes(
    device: DeviceInfo,
    fixes: Fix[],
    receivedMs: number,
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    if (fixes.length === 0) return { outcomes: [] };
    if (options?.whenFull === 'refuse' && this.writer.full) {
      this.refusedFull.inc({ protocol: device.protocol });
      throw new StorageUnavailableError('position queue full', this.writer.retryAfterS(), 'full');
    }
    if (device.busId == null) {
      this.countRejected(device.protocol, 'no_bus', fixes.length);
      this.opts.log.warn('fixes from a device fitted to no bus', {
        deviceId: device.deviceId,
        identifier: device.identifier,
        count: fixes.length,
      });
      return { outcomes: fixes.map(() => ({ status: 'rejected', reason: 'no_bus' })) };
    }
    return this.lanes.lane(device.busId).submitFixes(device, fixes, receivedMs);
  }

  async submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void> {
    this.lastSeen.set(device.deviceId, receivedMs);
    await storeDeviceEvents(this.opts.database, device, events, receivedMs);
    // The engine and the live side take them in the bus's order; the device's answer does not wait for them.
    if (device.busId != null && events.length)
      void this.lanes.lane(device.busId).submitEvents(device, events, receivedMs);
  }

  async registrationFacts(device: DeviceInfo, plate: string): Promise<Jt808RegistrationFacts> {
    try {
      return await jt808RegistrationFacts(this.opts.database, device.deviceId, plate, this.nowMs());
    } catch (err) {
      throw new StorageUnavailableError(`registry read failed: ${(err as Error).message}`);
    }
  }

  async completeRegistration(device: DeviceInfo, authCode: string): Promise<boolean> {
    const hash = createHash('sha256').update(authCode).digest('hex');
    let stored: boolean;
    try {
      stored = await completeJt808Registration(this.opts.database, device.deviceId, hash, this.nowMs());
    } catch (err) {
      throw new StorageUnavailableError(`database write failed: ${(err as Error).message}`);
    }
    this.directory.invalidate(device.protocol, device.identifier);
    return stored;
  }

  private nowMs(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Writes device last-seen times (one statement for all devices seen since the last flush). */
  async flushLastSeen(): Promise<void> {
    if (this.lastSeen.size === 0) return;
    const entries = [...this.lastSeen];
    this.lastSeen.clear();
    try {
      await writeLastSeen(this.opts.database, entries);
    } catch (err) {
      for (const [id, ms] of entries) if (!this.lastSeen.has(id)) this.lastSeen.set(id, ms);
      this.opts.log.warn('last-seen flush failed', { error: String(err) });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.lastSeenTimer);
    await this.lanes.idle();
    await this.writer.close();
    await this.flushLastSeen();
  }

  private storeRefused(device: DeviceInfo, busId: number, refused: RefusedFix[], receivedMs: number) {
    return storeRefusedFixes(this.opts.database, this.opts.log, device, busId, refused, receivedMs);
  }
}

/** Device last-seen times, [deviceId, epoch ms] (one statement; a time never moves backwards). */
export async function writeLastSeen(database: Database, entries: [number, number][]): Promise<void> {
  await database.query(
    `update devices d set last_seen_at = to_timestamp(u.ms / 1000.0)
     from unnest($1::int[], $2::float8[]) as u(id, ms)
     where d.id = u.id and (d.last_seen_at is null or d.last_seen_at < to_timestamp(u.ms / 1000.0))`,
    [entries.map((e) => e[0]), entries.map((e) => e[1])],
  );
}

/**
 * Records a device's events (heartbeats are not stored: they only mark the device as heard); resolves after the
 * commit, or rejects with StorageUnavailableError.
 */
export async function storeDeviceEvents(
  database: Database,
  device: DeviceInfo,
  events: DeviceEvent[],
  receivedMs: number,
): Promise<void> {
  const stored = events.filter((e) => e.type !== 'heartbeat');
  if (stored.length) {
    try {
      await database.db.insert(deviceEvents).values(
        stored.map((e) => ({
          deviceId: device.deviceId,
          busId: device.busId,
          type: e.type,
          time: new Date('timeMs' in e && e.timeMs !== undefined ? e.timeMs : receivedMs),
          receivedAt: new Date(receivedMs),
          // A driver name or alarm text with U+0000 or a lone surrogate would fail the insert (and the device
          // would resend forever): such characters are stored as U+FFFD.
          payload: sanitize(e),
        })),
      );
    } catch (err) {
      throw new StorageUnavailableError(`database write failed: ${(err as Error).message}`);
    }
  }
}

/** Keeps refused fixes for audit (rejected_fixes) and logs them; never throws. */
export async function storeRefusedFixes(
  database: Database,
  log: Logger,
  device: DeviceInfo,
  busId: number,
  refused: RefusedFix[],
  receivedMs: number,
): Promise<void> {
  try {
    await database.db.insert(rejectedFixes).values(
      refused.map((r) => ({
        protocol: device.protocol,
        deviceIdentifier: device.identifier,
        deviceId: device.deviceId,
        busId,
        reason: r.reason,
        receivedAt: new Date(receivedMs),
        fix: r.error ? { ...sanitize(r.fix), databaseError: storableText(r.error) } : sanitize(r.fix),
      })),
    );
  } catch (err) {
    log.warn('could not store refused fixes (they are counted and logged)', {
      deviceId: device.deviceId,
      count: refused.length,
      error: String(err),
    });
  }
  log.info('fixes refused', {
    deviceId: device.deviceId,
    busId,
    reasons: refused.map((r) => r.reason),
    errors: refused.some((r) => r.error) ? refused.map((r) => r.error ?? null) : undefined,
  });
}

/**
 * The audit copy of a refused fix must itself be storable: NaN and Infinity are not JSON (kept as text), and
 * U+0000 or a lone surrogate (which jsonb refuses) become U+FFFD, in keys and values alike.
 */
function sanitize(value: object): Record<string, unknown> {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, k, v) {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'string') return storableText(v);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      let bad = false;
      for (const key in v) if (isUnstorableText(key)) bad = true;
      if (bad)
        return Object.fromEntries(
          Object.entries(v as Record<string, unknown>).map(([key, x]) => [storableText(key), x]),
        );
    }
    return v;
  });
  return JSON.parse(text);
}

export function createIngest(opts: IngestOptions): PipelineIngest {
  return new PipelineIngest(opts);
}
