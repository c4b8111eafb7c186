// The ETAs the live side would publish during a replay: the same steps as the live service's trip track
// (src/live/service.ts, onStop / onProgress) — stop events move the next stop and the dwell, each trip.progress
// updates today's pace and estimates every remaining stop — over the engine events of a replay. No history: a
// replay has no earlier trips, so there is no learned route profile (the live side's first trip on a route alike).
import type { EngineEvent } from '../../src/core/events';
import {
  estimateEtas,
  type EtaStop,
  initialPace,
  type PaceState,
  type StopEtaResult,
  updatePace,
} from '../../src/live/eta';

export class ReplayEtaTracker {
  private nextIdx = 0;
  private atStop: { idx: number; arrivedMs: number } | null = null;
  private pace: PaceState = initialPace();
  private latest: StopEtaResult[] = [];

  constructor(private readonly stops: readonly EtaStop[]) {}

  /** Feeds the engine events of one input, in order. */
  apply(events: readonly EngineEvent[]): void {
    for (const e of events) {
      if (e.type === 'stop.arrived' || e.type === 'stop.departed' || e.type === 'stop.missed') {
        const idx = this.stops.findIndex((s) => s.id === e.stopId);
        if (idx < 0) continue;
        if (e.type === 'stop.arrived') {
          this.atStop = { idx, arrivedMs: e.timeMs };
          this.nextIdx = Math.max(this.nextIdx, idx + 1);
        } else if (e.type === 'stop.departed') {
          if (this.atStop?.idx === idx) this.atStop = null;
        } else this.nextIdx = Math.max(this.nextIdx, idx + 1);
        // The live side drops a stop from the ETA at once.
        this.latest = this.latest.filter((r) => this.stops.findIndex((s) => s.id === r.stopId) >= this.nextIdx);
      } else if (e.type === 'trip.progress') {
        const next = e.nextStopId == null ? this.stops.length : this.stops.findIndex((s) => s.id === e.nextStopId);
        if (next >= 0) this.nextIdx = next;
        this.pace = updatePace(this.pace, e.progressM, e.timeMs, this.stops);
        this.latest = estimateEtas({
          stops: this.stops,
          nextIdx: this.nextIdx,
          progressM: e.progressM,
          nowMs: e.timeMs,
          pace: this.pace,
          atStop: this.atStop,
        });
      }
    }
  }

  /** The latest estimate for every stop still ahead (empty before the first progress). */
  current(): StopEtaResult[] {
    return this.latest;
  }
}
