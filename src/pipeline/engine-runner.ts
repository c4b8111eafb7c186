// Runs the pure engine for every bus after its inputs are stored: one ordered lane per bus, the bus's
// current trip context loaded from the registry, events persisted (violations upserted per episode, stop
// events, trip status), state checkpointed so a restart continues the same episodes, events published.
import { eq } from 'drizzle-orm';
import { deserializeState, serializeState, createState } from '../core/state';
import { stepMany } from '../core/engine';
import type { EngineEvent, StopEvent, ViolationEvent } from '../core/events';
import { driverCardInput, type EngineInput } from '../core/inputs';
import type { EngineState } from '../core/state';
import type { Logger } from '../logging';
import type { Database } from '../store/db';
import {
  type DriverCarryRow,
  loadCheckpoint,
  markTrip,
  recordStopEvents,
  saveCheckpoint,
  saveDriverCarries,
  upsertViolations,
} from '../store/repos/engine-repo';
import { fatigueCarryOf } from '../core/rules/fatigue';
import { localDate } from '../core/dates';
import { trips } from '../store/schema';
import type { AcceptedBatch, PipelineIngest } from './ingest';
import { jitteredTtlMs } from './jitter';
import { findTripForBus, type LoadedTrip, loadTripContext } from './trip-context';

export interface EngineBatch {
  busId: number;
  tripId: number;
  schoolId: number;
  routeId: number;
  events: EngineEvent[];
  trip: LoadedTrip;
}

export interface RunnerOptions {
  database: Database;
  log: Logger;
  now: () => number;
  /** Registry changes (limits, roster, zones) reach a running trip within this time. */
  contextTtlMs?: number;
  /** A bus's state is checkpointed at least this often while it moves, and at once after any episode or stop event. */
  checkpointEveryMs?: number;
}

interface BusEngine {
  busId: number;
  tail: Promise<unknown>;
  trip?: LoadedTrip;
  state?: EngineState;
  lastCheckpointMs: number;
  /** This bus's context lifetime, drawn with jitter at each load (so buses do not all reload at once). */
  contextTtlMs?: number;
  /** No trip was found for the bus: the registry is asked again only after this instant (server clock). */
  noTripUntilMs?: number;
  /** Writes not yet persisted (the database was down): retried with the next input. */
  pending: {
    violations: Map<string, ViolationEvent>;
    stops: StopEvent[];
    carries: DriverCarryRow[];
    started?: number;
    ended?: number;
    checkpoint: boolean;
  };
}

export class EngineRunner {
  private readonly buses = new Map<number, BusEngine>();
  private readonly listeners: ((batch: EngineBatch) => void)[] = [];
  private readonly contextTtlMs: number;
  private readonly checkpointEveryMs: number;

  constructor(private readonly opts: RunnerOptions) {
    this.contextTtlMs = opts.contextTtlMs ?? 30_000;
    this.checkpointEveryMs = opts.checkpointEveryMs ?? 30_000;
  }

  /** Feeds every stored batch of fixes and device events to the engine. */
  attach(ingest: PipelineIngest): void {
    ingest.onAccepted((batch) => void this.enqueue(batch.busId, (bus) => this.onAccepted(bus, batch)));
  }

  onEvents(listener: (batch: EngineBatch) => void): void {
    this.listeners.push(listener);
  }

  /** Inputs for a given trip (attendant check-in, boarding records, trip end): resolves after they are persisted. */
  submitToTrip(tripId: number, busId: number, inputs: EngineInput[]): Promise<EngineEvent[]> {
    return this.enqueue(busId, async (bus) => {
      if (bus.trip?.tripId !== tripId || this.stale(bus)) {
        const [row] = await this.opts.database.db.select().from(trips).where(eq(trips.id, tripId));
        if (!row) throw new Error(`trip ${tripId} not found`);
        await this.switchTrip(bus, row);
      }
      return this.run(bus, inputs);
    });
  }

  /**
   * Makes the bus's next input reload its trip context from the registry (after the trip row changed, e.g. the
   * attendant checked in). Queued on the bus's lane, so inputs submitted afterwards see the reloaded context.
   */
  invalidate(busId: number): Promise<void> {
    return this.enqueue(busId, async (bus) => {
      if (bus.trip) bus.trip = { ...bus.trip, loadedMs: Number.NEGATIVE_INFINITY };
      bus.noTripUntilMs = undefined; // a new or changed trip is looked up with the next input
    });
  }

  /** Clock tick for every bus on an active trip (device offline, fatigue): called every minute by the scheduler. */
  async tick(nowMs: number): Promise<void> {
    const active = await this.opts.database.db
      .select({ id: trips.id, busId: trips.busId })
      .from(trips)
      .where(eq(trips.status, 'active'));
    await Promise.all(
      active.map((t) =>
        this.submitToTrip(t.id, t.busId, [{ type: 'tick', nowMs }]).catch((err) =>
          this.opts.log.error('engine tick failed', { busId: t.busId, tripId: t.id, error: String(err) }),
        ),
      ),
    );
  }

  /** The engine state of a bus (tests, diagnostics). */
  stateOf(busId: number): EngineState | undefined {
    return this.buses.get(busId)?.state;
  }

  /** Waits until every queued input is processed. */
  async idle(): Promise<void> {
    for (;;) {
      const tails = [...this.buses.values()].map((b) => b.tail);
      await Promise.all(tails);
      if ([...this.buses.values()].every((b, i) => b.tail === tails[i])) return;
    }
  }

  /** Checkpoints every bus (shutdown). */
  async close(): Promise<void> {
    await this.idle();
    await Promise.all(
      [...this.buses.values()].map((bus) =>
        this.enqueue(bus.busId, async (b) => {
          if (b.trip && b.state) {
            b.pending.checkpoint = true;
            await this.persist(b);
          }
        }),
      ),
    );
  }

  private enqueue<T>(busId: number, task: (bus: BusEngine) => Promise<T>): Promise<T> {
    let bus = this.buses.get(busId);
    if (!bus) {
      bus = {
        busId,
        tail: Promise.resolve(),
        lastCheckpointMs: 0,
        pending: { violations: new Map(), stops: [], carries: [], checkpoint: false },
      };
      this.buses.set(busId, bus);
    }
    const b = bus;
    const run = b.tail.then(() => task(b));
    b.tail = run.catch((err) =>
      this.opts.log.error('engine lane failed', { busId, error: String(err), stack: (err as Error).stack }),
    );
    return run;
  }

  private stale(bus: BusEngine): boolean {
    return !bus.trip || this.opts.now() - bus.trip.loadedMs > (bus.contextTtlMs ?? this.contextTtlMs);
  }

  private async switchTrip(bus: BusEngine, row: typeof trips.$inferSelect): Promise<void> {
    const sameTrip = bus.trip?.tripId === row.id && bus.state;
    if (!sameTrip && bus.trip && bus.state) {
      // Each trip has its own state: the one we leave is checkpointed, and picked up again if the bus returns to it.
      bus.pending.checkpoint = true;
      await this.persist(bus);
    }
    bus.trip = await loadTripContext(this.opts.database.db, row, this.opts.now());
    bus.contextTtlMs = jitteredTtlMs(this.contextTtlMs);
    if (sameTrip) return; // a context refresh keeps the running state
    const saved = await loadCheckpoint(this.opts.database.db, row.id);
    bus.state = saved ? deserializeState(JSON.stringify(saved)) : createState();
    bus.lastCheckpointMs = this.opts.now();
  }

  private async onAccepted(bus: BusEngine, batch: AcceptedBatch): Promise<void> {
    const firstMs = batch.fixes[0]?.fix.timeMs ?? batch.receivedMs;
    if (!bus.trip || bus.state?.trip.status === 'ended' || this.stale(bus)) {
      // A bus off duty sends positions all day: look its trip up at most once per context period.
      if (bus.noTripUntilMs !== undefined && this.opts.now() < bus.noTripUntilMs) return;
      const row = await findTripForBus(this.opts.database.db, bus.busId, firstMs);
      if (!row) {
        bus.trip = undefined;
        bus.state = undefined;
        bus.noTripUntilMs = this.opts.now() + jitteredTtlMs(this.contextTtlMs);
        return;
      }
      bus.noTripUntilMs = undefined;
      await this.switchTrip(bus, row);
    }
    const inputs: EngineInput[] = batch.fixes.map(({ fix, late }) => ({ type: 'fix', fix, late }));
    for (const e of batch.events) {
      if (e.type === 'heartbeat') inputs.push({ type: 'heartbeat', timeMs: e.timeMs ?? batch.receivedMs });
      else if (e.type === 'driverCard') inputs.push(driverCardInput(e, batch.receivedMs));
      else if (e.type === 'alarm')
        inputs.push({ type: 'alarm', timeMs: e.timeMs ?? batch.receivedMs, alarms: e.alarms, source: e.protocol });
    }
    await this.run(bus, inputs);
  }

  private async run(bus: BusEngine, inputs: EngineInput[]): Promise<EngineEvent[]> {
    const loaded = bus.trip!;
    const { state, events } = stepMany(bus.state ?? createState(), inputs, loaded.ctx);
    bus.state = state;
    for (const e of events) {
      if (e.type === 'violation.opened' || e.type === 'violation.updated' || e.type === 'violation.closed')
        bus.pending.violations.set(e.id, e);
      else if (e.type === 'stop.arrived' || e.type === 'stop.departed' || e.type === 'stop.missed')
        bus.pending.stops.push(e);
      else if (e.type === 'trip.started') bus.pending.started = e.timeMs;
      else if (e.type === 'trip.ended') bus.pending.ended = e.timeMs;
      else if (e.type === 'driver.fatigue') this.addCarry(bus, e.driverId, e);
    }
    const meaningful = events.some((e) => e.type !== 'trip.progress');
    if (meaningful || this.opts.now() - bus.lastCheckpointMs >= this.checkpointEveryMs) bus.pending.checkpoint = true;
    try {
      await this.persist(bus);
    } catch (err) {
      this.opts.log.warn('engine results not persisted yet; retried with the next input', {
        busId: bus.busId,
        tripId: loaded.tripId,
        error: String(err),
      });
    }
    if (events.length) {
      const out: EngineBatch = {
        busId: bus.busId,
        tripId: loaded.tripId,
        schoolId: loaded.schoolId,
        routeId: loaded.routeId,
        events,
        trip: loaded,
      };
      for (const l of this.listeners) {
        try {
          l(out);
        } catch (err) {
          this.opts.log.error('engine listener failed', { busId: bus.busId, error: String(err) });
        }
      }
    }
    return events;
  }

  private addCarry(
    bus: BusEngine,
    driverId: string,
    carry: { drivingSinceMs: number | null; stoppedSinceMs: number | null; lastMs: number },
  ): void {
    if (!/^\d+$/.test(driverId)) return;
    const loaded = bus.trip!;
    bus.pending.carries.push({
      driverId: Number(driverId),
      serviceDay: localDate(carry.lastMs, loaded.ctx.utcOffsetMin ?? 480),
      tripId: loaded.tripId,
      carry: { drivingSinceMs: carry.drivingSinceMs, stoppedSinceMs: carry.stoppedSinceMs, lastMs: carry.lastMs },
    });
  }

  private async persist(bus: BusEngine): Promise<void> {
    const p = bus.pending;
    const loaded = bus.trip!;
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
    const current = p.checkpoint && bus.state ? fatigueCarryOf(bus.state.fatigue) : null;
    if (current) this.addCarry(bus, bus.state!.fatigue.driverId!, current);
    const stateText = serializeState(bus.state!);
    await this.opts.database.db.transaction(async (tx) => {
      if (p.started != null) await markTrip(tx, loaded.tripId, { startedMs: p.started });
      await upsertViolations(tx, loaded.schoolId, [...p.violations.values()]);
      await recordStopEvents(
        tx,
        p.stops.map((s) => ({
          tripId: loaded.tripId,
          stopId: Number(s.stopId),
          kind: s.type === 'stop.arrived' ? 'arrived' : s.type === 'stop.departed' ? 'departed' : 'missed',
          timeMs: stopEventMs(s),
          dwellS: s.dwellS == null ? undefined : Math.round(s.dwellS),
        })),
      );
      if (p.ended != null) await markTrip(tx, loaded.tripId, { endedMs: p.ended });
      if (p.checkpoint) await saveCheckpoint(tx, bus.busId, loaded.tripId, stateText);
      await saveDriverCarries(tx, p.carries);
    });
    bus.pending = { violations: new Map(), stops: [], carries: [], checkpoint: false };
    bus.lastCheckpointMs = this.opts.now();
  }
}

/** When a stop event happened: the (possibly inferred) arrival or departure, not the fix that revealed it. */
function stopEventMs(s: StopEvent): number {
  if (s.type === 'stop.arrived') return s.arrivedMs ?? s.timeMs;
  if (s.type === 'stop.departed') return s.departedMs ?? s.timeMs;
  return s.timeMs;
}

export function createEngineRunner(opts: RunnerOptions): EngineRunner {
  return new EngineRunner(opts);
}
