// The lanes of one process: one BusLane per bus, created on its first input, sharing one environment (the position
// writer, the engine's registry reads and bulk writer, the output listeners). The ingest side (fixes, device events)
// and the engine side (attendant inputs, ticks, registry changes) reach a bus through the same lane, so a bus's
// inputs are ordered across both.
import type { Database } from '../store/db';
import { BusLane, type LaneEngineEnv, type LaneEnv, type LaneOutput } from './bus-lane';
import { engineReads } from './engine-reads';
import { EngineWriter } from './engine-writer';

export type LaneEnvBase = Omit<LaneEnv, 'engine' | 'emit' | 'listening'>;

export interface EngineSettings {
  database: Database;
  /** where the engine writer's statements run (default: database) */
  writerDatabase?: Database;
  contextTtlMs?: number;
  checkpointEveryMs?: number;
}

export class Lanes {
  private readonly lanes = new Map<number, BusLane>();
  private readonly listeners: ((out: LaneOutput) => void)[] = [];
  private readonly env: LaneEnv;
  engineWriter?: EngineWriter;

  constructor(base: LaneEnvBase) {
    this.env = {
      ...base,
      engine: undefined,
      emit: (out) => {
        for (const l of this.listeners) {
          try {
            l(out);
          } catch (err) {
            base.log.error('lane output listener failed', { busId: out.busId, error: String(err) });
          }
        }
      },
      listening: () => this.listeners.length > 0,
    };
  }

  /** Turns the engine on for every lane (before the first input). */
  enableEngine(settings: EngineSettings): void {
    if (this.env.engine) return;
    const database = settings.database;
    const writer = new EngineWriter(settings.writerDatabase ?? database);
    this.engineWriter = writer;
    const engine: LaneEngineEnv = {
      contextTtlMs: settings.contextTtlMs ?? 30_000,
      checkpointEveryMs: settings.checkpointEveryMs ?? 30_000,
      ...engineReads(database),
      persist: (write) => writer.write(write),
    };
    this.env.engine = engine;
  }

  get engineOn(): boolean {
    return this.env.engine !== undefined;
  }

  /** Every lane output (positions, trip progress, stop events, violations), in each bus's order. */
  onOutput(listener: (out: LaneOutput) => void): void {
    this.listeners.push(listener);
  }

  lane(busId: number): BusLane {
    let lane = this.lanes.get(busId);
    if (!lane) {
      lane = new BusLane(busId, this.env);
      this.lanes.set(busId, lane);
    }
    return lane;
  }

  existing(busId: number): BusLane | undefined {
    return this.lanes.get(busId);
  }

  get size(): number {
    return this.lanes.size;
  }

  all(): BusLane[] {
    return [...this.lanes.values()];
  }

  /** Waits until every lane has run every queued input to its end (new inputs queued meanwhile included). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const before = this.lanes.size;
      await Promise.all([...this.lanes.values()].map((l) => l.idle()));
      if (this.lanes.size === before) return;
    }
  }
}
