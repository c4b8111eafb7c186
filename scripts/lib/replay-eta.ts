// The ETAs the live side would publish during a replay: the live service's own ETA step (src/live/trip-eta.ts) over
// the engine events of a replay. No history: a replay has no earlier trips, so there is no learned route profile
// (the live side's first trip on a route alike).
import type { EngineEvent } from '../../src/core/events';
import type { EtaStop, StopEtaResult } from '../../src/live/eta';
import { advanceTripEtaAll, createTripEta, type TripEtaState } from '../../src/live/trip-eta';

export class ReplayEtaTracker {
  private state: TripEtaState;

  constructor(stops: readonly EtaStop[]) {
    this.state = createTripEta(stops);
  }

  /** Feeds the engine events of one input, in order. */
  apply(events: readonly EngineEvent[]): void {
    this.state = advanceTripEtaAll(this.state, events);
  }

  /** The latest estimate for every stop still ahead (empty before the first progress). */
  current(): StopEtaResult[] {
    return this.state.published?.stops ?? [];
  }
}
