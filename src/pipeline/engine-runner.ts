// The engine side of the bus lanes: turns the engine on in every lane (attach), and takes the inputs that do not
// come from devices — attendant check-in, boarding records and trip end, registry changes, clock ticks — into the
// bus's lane, where they run in order with the bus's fixes. Engine output is persisted in bulk by the lanes
// (src/pipeline/engine-writer.ts) and published as lane output (src/pipeline/bus-lane.ts).
import { eq } from 'drizzle-orm';
import type { EngineEvent } from '../core/events';
import type { EngineInput } from '../core/inputs';
import { CN_2012 } from '../core/presets';
import type { EngineState } from '../core/state';
import type { Logger } from '../logging';
import type { Database } from '../store/db';
import { trips } from '../store/schema';
import { engineBatchOf, type EngineBatch, type LaneOutput } from './bus-lane';
import type { PipelineIngest } from './ingest';
import { Lanes } from './lanes';

export type { EngineBatch } from './bus-lane';

/** Lanes given their clock tick in one turn of the event loop. */
const TICK_LANES_PER_TURN = 50;

export interface RunnerOptions {
  database: Database;
  /** where the engine writer's statements run (default: database) */
  writerDatabase?: Database;
  log: Logger;
  now: () => number;
  /** Registry changes (limits, roster, zones) reach a running trip within this time. */
  contextTtlMs?: number;
  /** A bus's state is checkpointed at least this often while it moves, and at once after any episode or stop event. */
  checkpointEveryMs?: number;
}

export class EngineRunner {
  private lanesRef: Lanes;
  private ownLanes: boolean;

  constructor(private readonly opts: RunnerOptions) {
    // Until attached to an ingest, the runner has lanes of its own (attendant inputs and ticks only).
    this.lanesRef = new Lanes({
      now: opts.now,
      log: opts.log,
      filters: CN_2012.filters,
      writePositions: () => Promise.reject(new Error('no position writer: the runner is not attached to an ingest')),
      storeRefused: () => undefined,
      seen: () => undefined,
      counters: {
        accepted: () => undefined,
        late: () => undefined,
        rejected: () => undefined,
        unavailable: () => undefined,
      },
    });
    this.ownLanes = true;
    this.lanesRef.enableEngine(this.settings());
  }

  private settings() {
    return {
      database: this.opts.database,
      writerDatabase: this.opts.writerDatabase,
      contextTtlMs: this.opts.contextTtlMs,
      checkpointEveryMs: this.opts.checkpointEveryMs,
    };
  }

  /** The lanes the engine runs in (the ingest's once attached). */
  get lanes(): Lanes {
    return this.lanesRef;
  }

  /** Runs the engine in the ingest's lanes: every stored batch of fixes and device events goes through it. */
  attach(ingest: PipelineIngest): void {
    if (!this.ownLanes) return;
    if (this.lanesRef.size > 0) throw new Error('attach the engine runner before any input');
    const listeners = this.pendingListeners;
    this.lanesRef = ingest.lanes;
    this.ownLanes = false;
    this.lanesRef.enableEngine(this.settings());
    for (const l of listeners) this.lanesRef.onOutput(l);
  }

  private readonly pendingListeners: ((out: LaneOutput) => void)[] = [];

  /** Engine events per input and trip (tests, diagnostics); the live side reads the whole lane output instead. */
  onEvents(listener: (batch: EngineBatch) => void): void {
    const l = (out: LaneOutput) => {
      const batch = engineBatchOf(out);
      if (batch) listener(batch);
    };
    this.pendingListeners.push(l);
    this.lanesRef.onOutput(l);
  }

  /** Inputs for a given trip (attendant check-in, boarding records, trip end): resolves after they are persisted. */
  async submitToTrip(tripId: number, busId: number, inputs: EngineInput[]): Promise<EngineEvent[]> {
    return (await this.lanesRef.lane(busId).submitToTrip(tripId, inputs)).events;
  }

  /**
   * A durable write and the engine inputs it decides, in the bus's lane: `store` runs first (after every earlier
   * input of the bus), then the inputs it returns; resolves with what `store` returned and the engine's events.
   */
  storeAndSubmit<S>(
    tripId: number,
    busId: number,
    store: () => Promise<S>,
    inputs: (stored: S) => EngineInput[],
  ): Promise<{ events: EngineEvent[]; stored: S | undefined; engineError?: Error }> {
    return this.lanesRef.lane(busId).submitToTrip(tripId, inputs, store);
  }

  /**
   * Makes the bus's next input reload its trip context from the registry (after the trip row changed, e.g. the
   * attendant checked in). Queued on the bus's lane, so inputs submitted afterwards see the reloaded context.
   */
  invalidate(busId: number): Promise<void> {
    return this.lanesRef.lane(busId).invalidate();
  }

  /** Clock tick for every bus on an active trip (device offline, fatigue): called every minute by the scheduler. */
  async tick(nowMs: number): Promise<void> {
    const active = await this.opts.database.db
      .select({ id: trips.id, busId: trips.busId })
      .from(trips)
      .where(eq(trips.status, 'active'));
    // A fleet's ticks are handed to the lanes a few at a time, with the event loop served in between: a thousand
    // engine steps and checkpoints in one burst would hold up every request and acknowledgement behind them.
    const done: Promise<void>[] = [];
    for (let i = 0; i < active.length; i++) {
      if (i > 0 && i % TICK_LANES_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const t = active[i]!;
      done.push(
        this.submitToTrip(t.id, t.busId, [{ type: 'tick', nowMs }]).then(
          () => undefined,
          (err: unknown) =>
            this.opts.log.error('engine tick failed', { busId: t.busId, tripId: t.id, error: String(err) }),
        ),
      );
    }
    await Promise.all(done);
  }

  /** The engine state of a bus (tests, diagnostics). */
  stateOf(busId: number): EngineState | undefined {
    return this.lanesRef.existing(busId)?.state;
  }

  /** Waits until every queued input is processed. */
  idle(): Promise<void> {
    return this.lanesRef.idle();
  }

  /** Checkpoints every bus (shutdown). */
  async close(): Promise<void> {
    await this.idle();
    await Promise.all(this.lanesRef.all().map((lane) => lane.close()));
  }
}

export function createEngineRunner(opts: RunnerOptions): EngineRunner {
  return new EngineRunner(opts);
}
