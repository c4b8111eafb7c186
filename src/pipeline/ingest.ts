// The ingest pipeline: device lookup → per-bus ordered lane → filters → group-committed write → listeners.
// A bus's inputs are processed one batch at a time, in arrival order; different buses run independently.
// Filter state advances only after the write commits, so a batch refused for storage can be resent in full.
import { createHash } from 'node:crypto';
import type { DeviceEvent, Fix, Protocol } from '../core/fix';
import { createFilterState, filterFix, type FilterState } from '../core/filters';
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
import {
  PositionWriter,
  type PositionRow,
  type RefusedRow,
  type WriterOptions,
  type WriteResult,
} from './position-writer';
import {
  type DeviceInfo,
  type FixOutcome,
  type Ingest,
  StorageUnavailableError,
  type SubmitOptions,
  type SubmitResult,
} from './types';

export interface AcceptedBatch {
  device: DeviceInfo;
  busId: number;
  receivedMs: number;
  /** Accepted fixes in arrival order; `late` = older than the bus's newest when it arrived. */
  fixes: { fix: Fix; late: boolean }[];
  events: DeviceEvent[];
}

export interface IngestOptions {
  database: Database;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  filters?: RuleConfig['filters'];
  writer?: WriterOptions;
  /** How often device last-seen times are written. */
  lastSeenFlushMs?: number;
}

interface Lane {
  tail: Promise<unknown>;
  filter: FilterState;
}

export class PipelineIngest implements Ingest {
  readonly metrics: Metrics;
  readonly writer: PositionWriter;
  readonly directory: DeviceDirectory;
  private readonly lanes = new Map<number, Lane>();
  private readonly listeners: ((batch: AcceptedBatch) => void)[] = [];
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
    this.writer = new PositionWriter(opts.database, this.metrics, opts.writer);
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
    this.metrics.gauge('busguard_ingest_buses', 'Buses with an ingest lane', () => this.lanes.size);
    this.lastSeenTimer = setInterval(() => void this.flushLastSeen(), opts.lastSeenFlushMs ?? 5000);
    this.lastSeenTimer.unref?.();
  }

  /** Called after each committed batch (engine, live hub). Listener errors are logged, never propagated. */
  onAccepted(listener: (batch: AcceptedBatch) => void): void {
    this.listeners.push(listener);
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
    const busId = device.busId;
    // The lane task takes the fixes out of this holder, so they are not kept alive (with everything they
    // reference) while their rows wait for the commit; only the rows are.
    let input: Fix[] | undefined = fixes;
    return this.inLane(busId, async (lane) => {
      const batch = this.filterBatch(lane.filter, input!, device, busId, receivedMs);
      input = undefined;
      let written: WriteResult;
      try {
        written = await this.writer.write(batch.rows);
      } catch (err) {
        this.unavailable.inc({ protocol: device.protocol });
        throw err instanceof StorageUnavailableError ? err : new StorageUnavailableError(String(err));
      }
      if (written.refused.length) this.dropRefusedRows(batch, written.refused, lane.filter, device);
      lane.filter = batch.state;
      if (batch.rows.length) this.accepted.inc({ protocol: device.protocol }, batch.rows.length);
      if (batch.lateCount) this.late.inc({ protocol: device.protocol }, batch.lateCount);
      if (batch.dupes) this.countRejected(device.protocol, 'duplicate', batch.dupes);
      if (batch.refused) {
        for (const r of batch.refused) this.countRejected(device.protocol, r.reason);
        void this.storeRefused(device, busId, batch.refused, receivedMs);
      }
      this.lastSeen.set(device.deviceId, receivedMs);
      if (batch.acceptedFixes?.length) this.emit({ device, busId, receivedMs, fixes: batch.acceptedFixes, events: [] });
      return { outcomes: batch.outcomes };
    });
  }

  /**
   * Rows the database refused for their data (a value the filters let through): their fixes become rejected
   * ('database_refused', with the database's message, logged and kept in rejected_fixes); the other rows stay
   * accepted. The lane's filter state is rebuilt from the rows that were stored, so a corrected resend of a refused
   * fix is not taken for a duplicate.
   */
  private dropRefusedRows(batch: FilteredBatch, refused: RefusedRow[], start: FilterState, device: DeviceInfo): void {
    const gone = new Set(refused.map((r) => r.index));
    this.opts.log.warn('position rows refused by the database; the rest of the batch is stored', {
      deviceId: device.deviceId,
      identifier: device.identifier,
      count: refused.length,
      error: refused[0]!.error,
    });
    const keptRows: PositionRow[] = [];
    const keptAccepted: { fix: Fix; late: boolean }[] | undefined = batch.acceptedFixes ? [] : undefined;
    for (let j = 0; j < batch.rows.length; j++) {
      const row = batch.rows[j]!;
      const fixIndex = batch.rowFix[j]!;
      if (gone.has(j)) {
        const error = refused.find((r) => r.index === j)!.error;
        if (batch.outcomes[fixIndex] === ACCEPTED_LATE) batch.lateCount--;
        batch.outcomes[fixIndex] = { status: 'rejected', reason: 'database_refused' };
        (batch.refused ??= []).push({ fix: rowAsFix(row, device), reason: 'database_refused', error });
        continue;
      }
      keptRows.push(row);
      if (keptAccepted) keptAccepted.push(batch.acceptedFixes![j]!);
    }
    batch.rows = keptRows;
    batch.acceptedFixes = keptAccepted;
    let state = start;
    for (const row of keptRows) state = filterFix(state, rowAsFix(row, device), this.filters).state;
    batch.state = state;
  }

  /** Runs the filters over one submission (without advancing the lane's state: that waits for the commit). */
  private filterBatch(
    start: FilterState,
    fixes: Fix[],
    device: DeviceInfo,
    busId: number,
    receivedMs: number,
  ): FilteredBatch {
    let state = start;
    const outcomes: FixOutcome[] = new Array(fixes.length);
    const rows: PositionRow[] = [];
    const rowFix: number[] = [];
    // Built only when someone listens (engine, live hub).
    const acceptedFixes: { fix: Fix; late: boolean }[] | undefined = this.listeners.length ? [] : undefined;
    let refused: RefusedFix[] | undefined;
    let lateCount = 0;
    let dupes = 0;
    for (let i = 0; i < fixes.length; i++) {
      const fix = fixes[i]!;
      const { state: next, verdict } = filterFix(state, fix, this.filters, receivedMs);
      if (verdict.ok) {
        state = next;
        outcomes[i] = verdict.late ? ACCEPTED_LATE : ACCEPTED;
        if (verdict.late) lateCount++;
        rows.push(toRow(fix, device, busId, receivedMs, verdict.late));
        rowFix.push(i);
        acceptedFixes?.push({ fix: { ...fix, busId, receivedMs }, late: verdict.late });
      } else if (verdict.reason === 'duplicate') {
        outcomes[i] = DUPLICATE;
        dupes++;
      } else {
        outcomes[i] = { status: 'rejected', reason: verdict.reason };
        (refused ??= []).push({ fix, reason: verdict.reason });
      }
    }
    return { state, outcomes, rows, rowFix, acceptedFixes, refused, lateCount, dupes };
  }

  async submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void> {
    this.lastSeen.set(device.deviceId, receivedMs);
    const stored = events.filter((e) => e.type !== 'heartbeat');
    if (stored.length) {
      try {
        await this.opts.database.db.insert(deviceEvents).values(
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
    if (device.busId != null && events.length) {
      const busId = device.busId;
      await this.inLane(busId, async () => this.emit({ device, busId, receivedMs, fixes: [], events }));
    }
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
      await this.opts.database.query(
        `update devices d set last_seen_at = to_timestamp(u.ms / 1000.0)
         from unnest($1::int[], $2::float8[]) as u(id, ms)
         where d.id = u.id and (d.last_seen_at is null or d.last_seen_at < to_timestamp(u.ms / 1000.0))`,
        [entries.map((e) => e[0]), entries.map((e) => e[1])],
      );
    } catch (err) {
      for (const [id, ms] of entries) if (!this.lastSeen.has(id)) this.lastSeen.set(id, ms);
      this.opts.log.warn('last-seen flush failed', { error: String(err) });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.lastSeenTimer);
    await Promise.allSettled([...this.lanes.values()].map((l) => l.tail));
    await this.writer.close();
    await this.flushLastSeen();
  }

  private inLane<T>(busId: number, task: (lane: Lane) => Promise<T>): Promise<T> {
    let lane = this.lanes.get(busId);
    if (!lane) {
      lane = { tail: Promise.resolve(), filter: createFilterState() };
      this.lanes.set(busId, lane);
    }
    const l = lane;
    const run = l.tail.then(() => task(l));
    l.tail = run.catch(() => undefined);
    return run;
  }

  private emit(batch: AcceptedBatch): void {
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (err) {
        this.opts.log.error('ingest listener failed', { busId: batch.busId, error: String(err) });
      }
    }
  }

  private async storeRefused(device: DeviceInfo, busId: number, refused: RefusedFix[], receivedMs: number) {
    try {
      await this.opts.database.db.insert(rejectedFixes).values(
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
      this.opts.log.warn('could not store refused fixes (they are counted and logged)', {
        deviceId: device.deviceId,
        count: refused.length,
        error: String(err),
      });
    }
    this.opts.log.info('fixes refused', {
      deviceId: device.deviceId,
      busId,
      reasons: refused.map((r) => r.reason),
      errors: refused.some((r) => r.error) ? refused.map((r) => r.error ?? null) : undefined,
    });
  }
}

function toRow(fix: Fix, device: DeviceInfo, busId: number, receivedMs: number, late: boolean): PositionRow {
  return {
    busId,
    deviceId: device.deviceId,
    timeMs: fix.timeMs,
    receivedMs,
    lat: fix.lat,
    lon: fix.lon,
    speedKph: fix.speedKph,
    headingDeg: fix.headingDeg,
    altitudeM: fix.altitudeM,
    accuracyM: fix.accuracyM,
    satellites: fix.satellites,
    alarms: fix.alarms.length ? fix.alarms : NO_ALARMS,
    acc: fix.acc,
    doorOpen: fix.doorOpen,
    late,
    blindArea: fix.blindArea === true,
    attributes: hasKeys(fix.attributes) ? fix.attributes : null,
  };
}

function hasKeys(o: Record<string, unknown> | undefined): boolean {
  for (const _ in o) return true;
  return false;
}

const NO_ALARMS: string[] = [];

// Shared outcome objects (frozen): most fixes are accepted, so no object per fix.
const ACCEPTED: FixOutcome = Object.freeze({ status: 'accepted', late: false });
const ACCEPTED_LATE: FixOutcome = Object.freeze({ status: 'accepted', late: true });
const DUPLICATE: FixOutcome = Object.freeze({ status: 'duplicate' });

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

/** A stored row read back as a fix (for the filter state and the audit copy of a row the database refused). */
function rowAsFix(row: PositionRow, device: DeviceInfo): Fix {
  const fix: Fix = {
    deviceId: device.identifier,
    protocol: device.protocol,
    busId: row.busId,
    timeMs: row.timeMs,
    receivedMs: row.receivedMs,
    lat: row.lat,
    lon: row.lon,
    valid: true,
    alarms: row.alarms,
    attributes: (row.attributes ?? {}) as Fix['attributes'],
  };
  if (row.speedKph !== undefined) fix.speedKph = row.speedKph;
  if (row.headingDeg !== undefined) fix.headingDeg = row.headingDeg;
  if (row.altitudeM !== undefined) fix.altitudeM = row.altitudeM;
  if (row.accuracyM !== undefined) fix.accuracyM = row.accuracyM;
  if (row.satellites !== undefined) fix.satellites = row.satellites;
  return fix;
}

interface RefusedFix {
  fix: Fix;
  reason: string;
  /** the database's message, for rows it refused */
  error?: string;
}

interface FilteredBatch {
  state: FilterState;
  outcomes: FixOutcome[];
  rows: PositionRow[];
  /** rowFix[j] = index of the fix that rows[j] stores */
  rowFix: number[];
  acceptedFixes: { fix: Fix; late: boolean }[] | undefined;
  refused: RefusedFix[] | undefined;
  lateCount: number;
  dupes: number;
}

export function createIngest(opts: IngestOptions): PipelineIngest {
  return new PipelineIngest(opts);
}
