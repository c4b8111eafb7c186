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

const emptyPending = (): PendingWrites => ({ violations: new Map(), stops: [], carries: [], checkpoint: false });

export class BusLane {
  private tail: Promise<unknown> = Promise.resolve();
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
    const run = this.tail.then(task);
    this.tail = run.catch((err) =>
      this.env.log.error('bus lane failed', { busId: this.busId, error: String(err), stack: (err as Error).stack }),
    );
    return run;
  }

  /** Resolves once every input queued so far has run to its end (engine and publish included). */
  async idle(): Promise<void> {
    for (;;) {
      const t = this.tail;
      await t;
      if (t === this.tail) return;
    }
  }

  // ---- inputs ----

  /**
   * One device's fixes: filtered, stored, acknowledged (the promise resolves after the commit, or rejects with
   * StorageUnavailableError and nothing stored), then run through the engine and published, still in order.
   */
  submitFixes(device: DeviceInfo, fixes: Fix[], receivedMs: number): Promise<SubmitResult> {
    // The task takes the fixes out of this holder, so they are not kept alive (with everything they reference)
    // while their rows wait for the commit; only the rows are.
    let input: Fix[] | undefined = fixes;
    return new Promise<SubmitResult>((resolve, reject) => {
      void this.enqueue(async () => {
        let accepted: AcceptedFix[] | undefined;
        try {
          const stored = await this.storeFixes(device, input!, receivedMs);
          input = undefined;
          accepted = stored.accepted;
          resolve(stored.result);
        } catch (err) {
          reject(err);
          return;
        }
        if (accepted?.length) await this.afterDeviceInput(device, receivedMs, accepted, []);
      });
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

  private async storeFixes(
    device: DeviceInfo,
    fixes: Fix[],
    receivedMs: number,
  ): Promise<{ result: SubmitResult; accepted: AcceptedFix[] | undefined }> {
    const env = this.env;
    const keep = env.engine !== undefined || env.listening();
    const batch = filterBatch(this.filter, fixes, device, this.busId, receivedMs, env.filters, keep);
    let written: WriteResult;
    try {
      written = await env.writePositions(batch.rows);
    } catch (err) {
      env.counters.unavailable(device);
      throw err instanceof StorageUnavailableError ? err : new StorageUnavailableError(String(err));
    }
    if (written.refused.length) {
      env.log.warn('position rows refused by the database; the rest of the batch is stored', {
        deviceId: device.deviceId,
        identifier: device.identifier,
        count: written.refused.length,
        error: written.refused[0]!.error,
      });
      dropRefusedRows(batch, written.refused, this.filter, device, env.filters);
    }
    this.filter = batch.state;
    if (batch.rows.length) env.counters.accepted(device, batch.rows.length);
    if (batch.lateCount) env.counters.late(device, batch.lateCount);
    if (batch.dupes) env.counters.rejected(device, 'duplicate', batch.dupes);
    if (batch.refused) {
      for (const r of batch.refused) env.counters.rejected(device, r.reason, 1);
      env.storeRefused(device, this.busId, batch.refused, receivedMs);
    }
    env.seen(device, receivedMs);
    return { result: { outcomes: batch.outcomes }, accepted: batch.acceptedFixes };
  }

  /** Engine step for a device's stored input, then the lane output. Failures are logged, never thrown. */
  private async afterDeviceInput(
    device: DeviceInfo,
    receivedMs: number,
    fixes: AcceptedFix[],
    deviceEvents: DeviceEvent[],
  ): Promise<void> {
    let events: EngineEvent[] = [];
    let trip: LoadedTrip | null = null;
    if (this.env.engine) {
      try {
        if (await this.ensureTrip(fixes[0]?.fix.timeMs ?? receivedMs, receivedMs, fixes)) {
          trip = this.trip!;
          events = await this.run(engineInputs(fixes, deviceEvents, receivedMs));
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
      position: this.newestPosition(fixes),
      trip,
      events,
    });
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

  private stale(): boolean {
    return !this.trip || this.env.now() - this.trip.loadedMs > (this.contextTtlMs ?? this.env.engine!.contextTtlMs);
  }

  /** Makes sure the engine runs for the bus's current trip; false when the bus has no trip now. */
  private async ensureTrip(firstMs: number, receivedMs: number, batch: AcceptedFix[]): Promise<boolean> {
    const engine = this.env.engine!;
    if (this.trip && this.state?.trip.status !== 'ended' && !this.stale()) return true;
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
    try {
      await this.persist();
    } catch (err) {
      this.env.log.warn('engine results not persisted yet; retried with the next input', {
        busId: this.busId,
        tripId: loaded.tripId,
        error: String(err),
      });
    }
    return events;
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

  private async persist(): Promise<void> {
    const p = this.pending;
    const loaded = this.trip!;
    if (
      !p.violations.size &&
      !p.stops.length &&
      p.started == null &&
      p.ended == null &&
      !p.checkpoint &&
      !p.carries.length
    )
      return;
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
