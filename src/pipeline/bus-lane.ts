// One bus's lane: every input of the bus (fixes, device events, attendant records, registry changes, clock ticks)
// runs here in arrival order, one at a time: filters → durable write → acknowledge → engine step → persist the
// engine's output (group-committed with the other lanes) → publish the lane output. The lane output (position with
// the trip it belongs to, trip progress with the stop the bus is at and the stops that remain, stop events,
// violations) is the only thing the live side reads.
//
// Runtime-neutral: no Node API, no clock, no database handle — everything outside goes through LaneEnv (on Node,
// src/pipeline/lanes.ts wires it to the position writer, the engine writer and the registry; on Workers a Durable
// Object per bus can host the same class).
import type { DeviceEvent, Fix } from '../core/fix';
import { createFilterState, type FilterState } from '../core/filters';
import { stepMany } from '../core/engine';
import type { EngineEvent, StopEvent, ViolationEvent } from '../core/events';
import { driverCardInput, type EngineInput } from '../core/inputs';
import { createState, deserializeState, type EngineState, serializeState } from '../core/state';
import { fatigueCarryOf } from '../core/rules/fatigue';
import { localDate } from '../core/dates';
import type { RuleConfig } from '../core/presets/types';
import type { Logger } from '../logging';
import type { trips } from '../store/schema';
import type { DriverCarryRow, EngineWrite } from './engine-store';
import { type AcceptedFix, dropRefusedRows, filterBatch, type RefusedFix } from './fix-batch';
import { jitteredTtlMs } from './jitter';
import type { PositionRow, WriteResult } from './position-writer';
import type { LoadedTrip } from './trip-context';
import { type DeviceInfo, StorageUnavailableError, type SubmitResult } from './types';

export type TripRow = typeof trips.$inferSelect;

/** The newest position of an input, with the trip the engine placed the bus on (null: no running trip). */
export interface LanePosition {
  busId: number;
  tripId: number | null;
  lat: number;
  lon: number;
  speedKph: number | null;
  headingDeg: number | null;
  timeMs: number;
}

/** What one input of a bus produced: the live side's only source. */
export interface LaneOutput {
  busId: number;
  /** the device and its stored fixes (arrival order) and device events, for inputs that came from a device */
  device?: DeviceInfo;
  receivedMs?: number;
  fixes: AcceptedFix[];
  deviceEvents: DeviceEvent[];
  /** newest position of this input, when it moved the bus's position forward */
  position: LanePosition | null;
  /** the trip the engine ran for this input (null: the bus has no trip now, or the engine is off) */
  trip: LoadedTrip | null;
  events: EngineEvent[];
}

/** Engine events of one input for one trip (what runner.onEvents listeners and the live side's trip handling read). */
export interface EngineBatch {
  busId: number;
  tripId: number;
  schoolId: number;
  routeId: number;
  events: EngineEvent[];
  trip: LoadedTrip;
}

/** The engine part of a lane output: its events for the trip it ran for (undefined when there are none). */
export function engineBatchOf(out: LaneOutput): EngineBatch | undefined {
  if (!out.trip || out.events.length === 0) return undefined;
  return {
    busId: out.busId,
    tripId: out.trip.tripId,
    schoolId: out.trip.schoolId,
    routeId: out.trip.routeId,
    events: out.events,
    trip: out.trip,
  };
}

export interface LaneCounters {
  accepted(device: DeviceInfo, n: number): void;
  late(device: DeviceInfo, n: number): void;
  rejected(device: DeviceInfo, reason: string, n: number): void;
  unavailable(device: DeviceInfo): void;
}

/** The engine's side of the environment: registry reads, checkpoints and the bulk writer. */
export interface LaneEngineEnv {
  /** Registry changes (limits, roster, zones) reach a running trip within this time. */
  contextTtlMs: number;
  /** A bus's state is checkpointed at least this often while it moves, and at once after any episode or stop event. */
  checkpointEveryMs: number;
  findTrip(busId: number, atMs: number): Promise<TripRow | undefined>;
  tripById(tripId: number): Promise<TripRow | undefined>;
  loadContext(row: TripRow, nowMs: number): Promise<LoadedTrip>;
  /** the trip's checkpoint (engine state as JSON text), if any */
  loadCheckpoint(tripId: number): Promise<string | undefined>;
  /** positions of the bus stored after afterMs (device time) and received before receivedBeforeMs, oldest first */
  storedFixesAfter(busId: number, afterMs: number, receivedBeforeMs: number): Promise<AcceptedFix[]>;
  /** persists one lane's engine output; resolves after the commit */
  persist(write: EngineWrite): Promise<void>;
}

export interface LaneEnv {
  now(): number;
  log: Logger;
  filters: RuleConfig['filters'];
  /** durable position write; resolves after the commit */
  writePositions(rows: PositionRow[]): Promise<WriteResult>;
  /** fixes refused by the filters or the database: kept for audit (not awaited) */
  storeRefused(device: DeviceInfo, busId: number, refused: RefusedFix[], receivedMs: number): void;
  /** the device was heard (last-seen bookkeeping) */
  seen(device: DeviceInfo, receivedMs: number): void;
  counters: LaneCounters;
  /** set while the engine runs (the server wires it; a bare ingest has none) */
  engine: LaneEngineEnv | undefined;
  /** the lane output goes here (the live side); true while someone reads it */
  emit(out: LaneOutput): void;
  listening(): boolean;
}

interface PendingWrites {
  violations: Map<string, ViolationEvent>;
  stops: StopEvent[];
  carries: DriverCarryRow[];
  started?: number;
  ended?: number;
  checkpoint: boolean;
}

interface FixTask {
  kind: 'fixes';
  device: DeviceInfo;
  fixes: Fix[];
  receivedMs: number;
  resolve: (r: SubmitResult) => void;
  reject: (err: unknown) => void;
}

/** Fixes taken into one group at most (a bus's queue after a long stall is worked off in steps). */
const MAX_GROUP_FIXES = 5000;
const NO_FIXES: Fix[] = [];

const emptyPending = (): PendingWrites => ({ violations: new Map(), stops: [], carries: [], checkpoint: false });

export class BusLane {
  private readonly queue: (FixTask | { kind: 'task'; run: () => Promise<void> })[] = [];
  private draining: Promise<void> | undefined;
  private filter: FilterState = createFilterState();
  private lastPositionMs = Number.NEGATIVE_INFINITY;
  /** the trip the engine runs for, its state, and what is not persisted yet */
  trip?: LoadedTrip;
  state?: EngineState;
  private lastCheckpointMs = 0;
  /** this lane's context lifetime, drawn with jitter at each load (so buses do not all reload at once) */
  private contextTtlMs?: number;
  /** no trip was found for the bus: the registry is asked again only after this instant (server clock) */
  private noTripUntilMs?: number;
  /** the first checkpoint this lane loads is caught up with the positions stored after it (a restart) */
  private caughtUp = false;
  private pending: PendingWrites = emptyPending();

  constructor(
    readonly busId: number,
    private readonly env: LaneEnv,
  ) {}

  /** Runs a task after every earlier input of this bus; the returned promise settles with the task. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', run: () => task().then(resolve, reject) });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length) this.kick();
    });
  }

  /**
   * Takes the queued inputs in order. Fix submissions queued one after another (a terminal's window, several
   * requests) are taken together: filtered in order, written at once (one commit), acknowledged, and run through
   * the engine as one input — so a bus's throughput does not hang on one round trip per frame.
   */
  private async drain(): Promise<void> {
    while (this.queue.length) {
      const head = this.queue[0]!;
      if (head.kind === 'task') {
        this.queue.shift();
        try {
          await head.run();
        } catch (err) {
          this.env.log.error('bus lane failed', { busId: this.busId, error: String(err), stack: (err as Error).stack });
        }
        continue;
      }
      const group: FixTask[] = [];
      let n = 0;
      while (this.queue.length && this.queue[0]!.kind === 'fixes' && (group.length === 0 || n < MAX_GROUP_FIXES)) {
        const t = this.queue.shift() as FixTask;
        n += t.fixes.length;
        group.push(t);
      }
      try {
        await this.fixGroup(group);
      } catch (err) {
        this.env.log.error('bus lane failed', { busId: this.busId, error: String(err), stack: (err as Error).stack });
      }
    }
  }

  /** Resolves once every input queued so far has run to its end (engine and publish included). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  // ---- inputs ----

  /**
   * One device's fixes: filtered, stored, acknowledged (the promise resolves after the commit, or rejects with
   * StorageUnavailableError and nothing stored), then run through the engine and published, still in order.
   */
  submitFixes(device: DeviceInfo, fixes: Fix[], receivedMs: number): Promise<SubmitResult> {
    return new Promise<SubmitResult>((resolve, reject) => {
      this.queue.push({ kind: 'fixes', device, fixes, receivedMs, resolve, reject });
      this.kick();
    });
  }

  /** Device events already recorded by the caller: run through the engine and published, in order. */
  submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void> {
    return this.enqueue(() => this.afterDeviceInput(device, receivedMs, [], events));
  }

  /**
   * Inputs for a given trip (attendant check-in, boarding records, trip end, clock ticks): the optional `store` runs
   * first in the lane (a durable write whose result decides the inputs); resolves with the engine's events once they
   * are persisted. Without `store` an engine failure rejects; with it, the stored result still comes back and the
   * failure is in `engineError` (what was stored stays stored).
   */
  submitToTrip<S>(
    tripId: number,
    inputs: EngineInput[] | ((stored: S) => EngineInput[]),
    store?: () => Promise<S>,
  ): Promise<{ events: EngineEvent[]; stored: S | undefined; engineError?: Error }> {
    return this.enqueue(async () => {
      const stored = store ? await store() : undefined;
      try {
        const list = typeof inputs === 'function' ? inputs(stored as S) : inputs;
        const events = await this.runForTrip(tripId, list);
        return { events, stored };
      } catch (err) {
        if (!store) throw err;
        const engineError = err instanceof Error ? err : new Error(String(err));
        this.env.log.error('stored, but not run through the engine', { busId: this.busId, tripId, error: String(err) });
        return { events: [], stored, engineError };
      }
    });
  }

  private async runForTrip(tripId: number, list: EngineInput[]): Promise<EngineEvent[]> {
    const engine = this.env.engine;
    if (!engine) throw new Error('the engine does not run here');
    if (list.length === 0) return [];
    if (this.trip?.tripId !== tripId || this.stale()) {
      const row = await engine.tripById(tripId);
      if (!row) throw new Error(`trip ${tripId} not found`);
      await this.switchTrip(row, this.env.now());
    }
    const events = await this.run(list);
    this.publish({ busId: this.busId, fixes: [], deviceEvents: [], position: null, trip: this.trip!, events });
    return events;
  }

  /**
   * Makes the bus's next input reload its trip context from the registry (after the trip row changed, e.g. the
   * attendant checked in). Queued, so inputs submitted afterwards see the reloaded context.
   */
  invalidate(): Promise<void> {
    return this.enqueue(async () => {
      if (this.trip) this.trip = { ...this.trip, loadedMs: Number.NEGATIVE_INFINITY };
      this.noTripUntilMs = undefined; // a new or changed trip is looked up with the next input
    });
  }

  /** Checkpoints the running trip (shutdown). */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.trip && this.state && this.env.engine) {
        this.pending.checkpoint = true;
        await this.persist();
      }
    });
  }

  // ---- stages ----

  /** Filters, stores and acknowledges a group of fix submissions, then runs what was stored through the engine. */
  private async fixGroup(group: FixTask[]): Promise<void> {
    const env = this.env;
    const keep = env.engine !== undefined || env.listening();
    const start = this.filter;
    let state = start;
    const batches = group.map((t) => {
      const before = state;
      const batch = filterBatch(state, t.fixes, t.device, this.busId, t.receivedMs, env.filters, keep);
      state = batch.state;
      t.fixes = NO_FIXES; // only the rows are kept alive while they wait for the commit
      return { batch, before };
    });
    const written = await Promise.allSettled(batches.map(({ batch }) => env.writePositions(batch.rows)));
    let failed = 0;
    let refusedAny = false;
    const refusedTimes = new Set<string>();
    const accepted: AcceptedFix[] = [];
    for (let i = 0; i < group.length; i++) {
      const t = group[i]!;
      const { batch, before } = batches[i]!;
      const w = written[i]!;
      if (w.status === 'rejected') {
        failed++;
        env.counters.unavailable(t.device);
        const err = w.reason;
        t.reject(err instanceof StorageUnavailableError ? err : new StorageUnavailableError(String(err)));
        continue;
      }
      // A fix that repeats one the database just refused (same device and time) is not "already stored".
      if (refusedTimes.size && batch.duplicateAt)
        for (const [k, timeMs] of batch.duplicateAt)
          if (refusedTimes.has(`${t.device.deviceId}/${timeMs}`)) {
            batch.outcomes[k] = { status: 'rejected', reason: 'database_refused' };
            batch.dupes--;
          }
      if (w.value.refused.length) {
        refusedAny = true;
        env.log.warn('position rows refused by the database; the rest of the batch is stored', {
          deviceId: t.device.deviceId,
          identifier: t.device.identifier,
          count: w.value.refused.length,
          error: w.value.refused[0]!.error,
        });
        for (const r of w.value.refused) refusedTimes.add(`${t.device.deviceId}/${batch.rows[r.index]!.timeMs}`);
        dropRefusedRows(batch, w.value.refused, before, t.device, env.filters);
      }
      if (batch.rows.length) env.counters.accepted(t.device, batch.rows.length);
      if (batch.lateCount) env.counters.late(t.device, batch.lateCount);
      if (batch.dupes) env.counters.rejected(t.device, 'duplicate', batch.dupes);
      if (batch.refused) {
        for (const r of batch.refused) env.counters.rejected(t.device, r.reason, 1);
        env.storeRefused(t.device, this.busId, batch.refused, t.receivedMs);
      }
      env.seen(t.device, t.receivedMs);
      if (batch.acceptedFixes) for (const f of batch.acceptedFixes) accepted.push(f);
      t.resolve({ outcomes: batch.outcomes });
    }
    // The filter state follows what was stored. When only part of a group of several was (a failed write, a refused
    // row), the lane starts a fresh state: a resend is then never taken for a duplicate of a fix that is not stored.
    if (failed === group.length) this.filter = start;
    else if (!failed && !refusedAny) this.filter = state;
    // One submission with refused rows: its state was rebuilt from the rows that were stored.
    else if (group.length === 1) this.filter = batches[0]!.batch.state;
    else this.filter = createFilterState();
    if (accepted.length) {
      const last = group[group.length - 1]!;
      await this.afterDeviceInput(last.device, last.receivedMs, accepted, []);
    }
  }

  /**
   * Engine step for a device's stored input, then the lane output. Failures are logged, never thrown.
   *
   * When the step leaves something to persist (a checkpoint, stop events, episodes), the position goes out first, in
   * an output of its own: it was stored before the device's acknowledgement and does not depend on the engine's
   * write, which under load waits for the other lanes' statement. The engine's events follow once persisted.
   */
  private async afterDeviceInput(
    device: DeviceInfo,
    receivedMs: number,
    fixes: AcceptedFix[],
    deviceEvents: DeviceEvent[],
  ): Promise<void> {
    let events: EngineEvent[] = [];
    let trip: LoadedTrip | null = null;
    let position: LanePosition | null | undefined;
    const firstMs = fixes[0]?.fix.timeMs ?? receivedMs;
    if (this.env.engine) {
      try {
        if (await this.ensureTrip(firstMs, receivedMs, fixes)) {
          trip = this.trip!;
          events = this.step(engineInputs(fixes, deviceEvents, receivedMs));
          if (this.persistDue()) {
            position = this.newestPosition(fixes);
            if (position) this.publish({ busId: this.busId, fixes: [], deviceEvents: [], position, trip, events: [] });
            await this.persistOrRetryLater();
          }
        }
      } catch (err) {
        this.env.log.error('engine step failed; the input is stored', {
          busId: this.busId,
          error: String(err),
          stack: (err as Error).stack,
        });
      }
    }
    this.publish({
      busId: this.busId,
      device,
      receivedMs,
      fixes,
      deviceEvents,
      position: position === undefined ? this.newestPosition(fixes) : null,
      trip,
      events,
    });
    // A running trip's context near the end of its lifetime is reloaded now, after the output, for the next input:
    // reloaded before the step, its reads would hold this input's output.
    if (this.env.engine && this.runningAndAgeing()) {
      try {
        await this.lookUpTrip(firstMs, receivedMs, []);
      } catch (err) {
        this.env.log.warn('trip context not reloaded; tried again with the next input', {
          busId: this.busId,
          error: String(err),
        });
      }
    }
  }

  /** The input's newest in-order fix, when it is newer than the last one published. */
  private newestPosition(fixes: AcceptedFix[]): LanePosition | null {
    let newest: Fix | undefined;
    for (const { fix, late } of fixes) if (!late && (!newest || fix.timeMs > newest.timeMs)) newest = fix;
    if (!newest || newest.timeMs <= this.lastPositionMs) return null;
    this.lastPositionMs = newest.timeMs;
    const onTrip = this.trip && this.state?.trip.status === 'active' ? this.trip.tripId : null;
    return {
      busId: this.busId,
      tripId: onTrip,
      lat: newest.lat,
      lon: newest.lon,
      speedKph: newest.speedKph ?? null,
      headingDeg: newest.headingDeg ?? null,
      timeMs: newest.timeMs,
    };
  }

  private publish(out: LaneOutput): void {
    if (!this.env.listening()) return;
    try {
      this.env.emit(out);
    } catch (err) {
      this.env.log.error('lane output listener failed', { busId: this.busId, error: String(err) });
    }
  }

  /**
   * A running trip whose context is within the last fifth of its lifetime (the lifetime itself still holds: a context
   * past it is reloaded before the next step).
   */
  private runningAndAgeing(): boolean {
    if (!this.trip || !this.state || this.state.trip.status === 'ended') return false;
    const baseMs = this.env.engine!.contextTtlMs;
    return this.env.now() - this.trip.loadedMs > (this.contextTtlMs ?? baseMs) - baseMs / 5;
  }

  private stale(): boolean {
    return !this.trip || this.env.now() - this.trip.loadedMs > (this.contextTtlMs ?? this.env.engine!.contextTtlMs);
  }

  /** Makes sure the engine runs for the bus's current trip; false when the bus has no trip now. */
  private async ensureTrip(firstMs: number, receivedMs: number, batch: AcceptedFix[]): Promise<boolean> {
    if (this.trip && this.state?.trip.status !== 'ended' && !this.stale()) return true;
    return this.lookUpTrip(firstMs, receivedMs, batch);
  }

  /** Looks the bus's trip for `firstMs` up and loads (or reloads) its context; false when the bus has no trip now. */
  private async lookUpTrip(firstMs: number, receivedMs: number, batch: AcceptedFix[]): Promise<boolean> {
    const engine = this.env.engine!;
    const nowMs = this.env.now();
    // A bus off duty sends positions all day: look its trip up at most once per context period.
    if (this.noTripUntilMs !== undefined && nowMs < this.noTripUntilMs) return false;
    const row = await engine.findTrip(this.busId, firstMs);
    if (!row) {
      this.trip = undefined;
      this.state = undefined;
      this.noTripUntilMs = nowMs + jitteredTtlMs(engine.contextTtlMs);
      return false;
    }
    this.noTripUntilMs = undefined;
    await this.switchTrip(row, nowMs, { receivedMs, batch });
    return true;
  }

  private async switchTrip(row: TripRow, nowMs: number, current?: { receivedMs: number; batch: AcceptedFix[] }) {
    const engine = this.env.engine!;
    const sameTrip = this.trip?.tripId === row.id && this.state;
    if (!sameTrip && this.trip && this.state) {
      // Each trip has its own state: the one we leave is checkpointed, and picked up again if the bus returns to it.
      this.pending.checkpoint = true;
      await this.persist();
    }
    this.trip = await engine.loadContext(row, nowMs);
    this.contextTtlMs = jitteredTtlMs(engine.contextTtlMs);
    if (sameTrip) return; // a context refresh keeps the running state
    const saved = await engine.loadCheckpoint(row.id);
    this.state = saved ? deserializeState(saved) : createState();
    this.lastCheckpointMs = nowMs;
    if (saved && !this.caughtUp) await this.catchUp(current);
    this.caughtUp = true;
  }

  /**
   * After a restart: the positions stored (and acknowledged) after the checkpoint that the engine never saw — the
   * process stopped between the position commit and the engine write — run through the engine first, so the same
   * episodes continue and nothing is counted twice (the writes are idempotent on their keys).
   */
  private async catchUp(current: { receivedMs: number; batch: AcceptedFix[] } | undefined): Promise<void> {
    const lastMs = this.state?.last?.timeMs;
    if (lastMs == null) return;
    const receivedBeforeMs = current?.receivedMs ?? this.env.now();
    const inBatch = new Set(current?.batch.map((f) => `${f.fix.deviceId}/${f.fix.timeMs}`));
    const missed = (await this.env.engine!.storedFixesAfter(this.busId, lastMs, receivedBeforeMs + 1)).filter(
      (f) => !inBatch.has(`${f.fix.deviceId}/${f.fix.timeMs}`),
    );
    if (missed.length === 0) return;
    this.env.log.info('engine catching up with stored positions after a restart', {
      busId: this.busId,
      tripId: this.trip!.tripId,
      fixes: missed.length,
    });
    await this.run(missed.map(({ fix, late }) => ({ type: 'fix', fix, late })));
  }

  private async run(inputs: EngineInput[]): Promise<EngineEvent[]> {
    const events = this.step(inputs);
    await this.persistOrRetryLater();
    return events;
  }

  /** The engine's step for the inputs (pure, synchronous): the new state, and what it leaves to persist. */
  private step(inputs: EngineInput[]): EngineEvent[] {
    const loaded = this.trip!;
    const { state, events } = stepMany(this.state ?? createState(), inputs, loaded.ctx);
    this.state = state;
    const p = this.pending;
    for (const e of events) {
      if (e.type === 'violation.opened' || e.type === 'violation.updated' || e.type === 'violation.closed')
        p.violations.set(e.id, e);
      else if (e.type === 'stop.arrived' || e.type === 'stop.departed' || e.type === 'stop.missed') p.stops.push(e);
      else if (e.type === 'trip.started') p.started = e.timeMs;
      else if (e.type === 'trip.ended') p.ended = e.timeMs;
      else if (e.type === 'driver.fatigue') this.addCarry(e.driverId, e);
    }
    const meaningful = events.some((e) => e.type !== 'trip.progress');
    if (meaningful || this.env.now() - this.lastCheckpointMs >= this.env.engine!.checkpointEveryMs) p.checkpoint = true;
    return events;
  }

  /** Persists what the steps left; a failure is logged and the writes stay pending for the next input. */
  private async persistOrRetryLater(): Promise<void> {
    try {
      await this.persist();
    } catch (err) {
      this.env.log.warn('engine results not persisted yet; retried with the next input', {
        busId: this.busId,
        tripId: this.trip!.tripId,
        error: String(err),
      });
    }
  }

  private addCarry(
    driverId: string,
    carry: { drivingSinceMs: number | null; stoppedSinceMs: number | null; lastMs: number },
  ): void {
    if (!/^\d+$/.test(driverId)) return;
    const loaded = this.trip!;
    this.pending.carries.push({
      driverId: Number(driverId),
      serviceDay: localDate(carry.lastMs, loaded.ctx.utcOffsetMin ?? 480),
      tripId: loaded.tripId,
      carry: { drivingSinceMs: carry.drivingSinceMs, stoppedSinceMs: carry.stoppedSinceMs, lastMs: carry.lastMs },
    });
  }

  /** Whether the steps so far left anything for persist() to write. */
  private persistDue(): boolean {
    const p = this.pending;
    return (
      p.violations.size > 0 ||
      p.stops.length > 0 ||
      p.started != null ||
      p.ended != null ||
      p.checkpoint ||
      p.carries.length > 0
    );
  }

  private async persist(): Promise<void> {
    const p = this.pending;
    const loaded = this.trip!;
    if (!this.persistDue()) return;
    // The current driver's continuous-driving block goes with every checkpoint (R5: per driver and day).
    const current = p.checkpoint && this.state ? fatigueCarryOf(this.state.fatigue) : null;
    if (current) this.addCarry(this.state!.fatigue.driverId!, current);
    const write: EngineWrite = {
      busId: this.busId,
      tripId: loaded.tripId,
      schoolId: loaded.schoolId,
      violations: [...p.violations.values()],
      stops: p.stops,
      carries: p.carries,
    };
    if (p.started != null) write.startedMs = p.started;
    if (p.ended != null) write.endedMs = p.ended;
    if (p.checkpoint && this.state) write.checkpoint = serializeState(this.state);
    await this.env.engine!.persist(write);
    this.pending = emptyPending();
    this.lastCheckpointMs = this.env.now();
  }
}

function engineInputs(fixes: AcceptedFix[], events: DeviceEvent[], receivedMs: number): EngineInput[] {
  const inputs: EngineInput[] = fixes.map(({ fix, late }) => ({ type: 'fix', fix, late }));
  for (const e of events) {
    if (e.type === 'heartbeat') inputs.push({ type: 'heartbeat', timeMs: e.timeMs ?? receivedMs });
    else if (e.type === 'driverCard') inputs.push(driverCardInput(e, receivedMs));
    else if (e.type === 'alarm')
      inputs.push({ type: 'alarm', timeMs: e.timeMs ?? receivedMs, alarms: e.alarms, source: e.protocol });
  }
  return inputs;
}
