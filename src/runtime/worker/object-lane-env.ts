// The environment of the one BusLane a BusObject hosts: the same position writer, engine writer (and so the same
// SQL statements) as Node, against PostgreSQL through Hyperdrive; the engine checkpoint is kept in the object's own
// storage (and, through the unchanged engine statement, in engine_checkpoints too, which the rest of the system reads).
import { CN_2012 } from '../../core/presets';
import type { Logger } from '../../logging';
import type { LaneEngineEnv, LaneEnv, LaneOutput } from '../../pipeline/bus-lane';
import { EngineWriter } from '../../pipeline/engine-writer';
import { storeRefusedFixes, writeLastSeen } from '../../pipeline/ingest';
import { Metrics } from '../../pipeline/metrics';
import { PositionWriter } from '../../pipeline/position-writer';
import { engineReads } from '../../pipeline/engine-reads';
import type { Database } from '../../store/db';
import type { DurableObjectStorage } from './cf';

export const checkpointKey = (tripId: number) => `checkpoint:${tripId}`;

export interface ObjectLaneEnv {
  env: LaneEnv;
  writer: PositionWriter;
  metrics: Metrics;
  /** writes the device last-seen times gathered since the last call */
  flushSeen(): Promise<void>;
}

export function objectLaneEnv(o: {
  database: Database;
  storage: DurableObjectStorage;
  log: Logger;
  now: () => number;
  emit: (out: LaneOutput) => void;
  listening: () => boolean;
  contextTtlMs?: number;
  checkpointEveryMs?: number;
}): ObjectLaneEnv {
  const { database, storage, log } = o;
  const metrics = new Metrics();
  // One bus: its group commits are its own; a short delay still joins a terminal's back-to-back frames.
  const writer = new PositionWriter(database, metrics, { maxDelayMs: 2, concurrency: 1 });
  const engineWriter = new EngineWriter(database);
  const seen = new Map<number, number>();
  const accepted = metrics.counter('busguard_fixes_accepted_total', 'Fixes accepted and stored, by protocol');
  const rejected = metrics.counter('busguard_fixes_rejected_total', 'Fixes and inputs refused, by protocol and reason');
  const late = metrics.counter('busguard_fixes_late_total', 'Accepted fixes older than the bus newest, by protocol');
  const unavailable = metrics.counter(
    'busguard_ingest_storage_unavailable_total',
    'Submissions refused because storage was unavailable',
  );

  const reads = engineReads(database);
  const engine: LaneEngineEnv = {
    contextTtlMs: o.contextTtlMs ?? 30_000,
    checkpointEveryMs: o.checkpointEveryMs ?? 30_000,
    ...reads,
    loadCheckpoint: async (tripId) => {
      const own = await storage.get<string>(checkpointKey(tripId));
      if (own !== undefined) return own;
      // A trip the Node runtime (or an earlier deployment) started: its checkpoint is in PostgreSQL.
      return reads.loadCheckpoint(tripId);
    },
    persist: async (write) => {
      await engineWriter.write(write);
      // After the commit: a checkpoint never gets ahead of the episodes and stop events it implies.
      if (write.checkpoint !== undefined) await storage.put(checkpointKey(write.tripId), write.checkpoint);
    },
  };

  const env: LaneEnv = {
    now: o.now,
    log,
    filters: CN_2012.filters,
    writePositions: (rows) => writer.write(rows),
    storeRefused: (device, busId, refused, receivedMs) =>
      void storeRefusedFixes(database, log, device, busId, refused, receivedMs),
    seen: (device, receivedMs) => seen.set(device.deviceId, Math.max(receivedMs, seen.get(device.deviceId) ?? 0)),
    counters: {
      accepted: (d, n) => accepted.inc({ protocol: d.protocol }, n),
      late: (d, n) => late.inc({ protocol: d.protocol }, n),
      rejected: (d, reason, n) => rejected.inc({ protocol: d.protocol, reason }, n),
      unavailable: (d) => unavailable.inc({ protocol: d.protocol }),
    },
    engine,
    emit: o.emit,
    listening: o.listening,
  };

  return {
    env,
    writer,
    metrics,
    flushSeen: async () => {
      if (seen.size === 0) return;
      const entries = [...seen];
      seen.clear();
      try {
        await writeLastSeen(database, entries);
      } catch (err) {
        for (const [id, ms] of entries) if (!seen.has(id)) seen.set(id, ms);
        log.warn('last-seen flush failed', { error: String(err) });
      }
    },
  };
}
