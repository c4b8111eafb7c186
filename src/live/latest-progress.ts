// Which trip.progress events of a lane output the live side estimates and publishes.
import type { EngineEvent } from '../core/events';

/**
 * The lane output without the trip.progress events that a later trip.progress of the same output supersedes (no
 * other trip event between them). A batch of fixes — a backlog upload, a terminal's window, a partner's batch — is
 * estimated and published once, at its newest position: the earlier ETAs would be out of date before they were sent.
 * Stop and trip events keep their place, each with the progress that came just before it.
 */
export function latestProgressOnly(events: readonly EngineEvent[]): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === 'trip.progress' && events[i + 1]?.type === 'trip.progress') continue;
    out.push(e);
  }
  return out;
}
