// R9 attendant on board: a trip started without an assigned, checked-in attendant (episode open for
// the trip); at trip end, students still aboard or no sweep confirmation → child possibly left on board.
import type { TripContext } from '../context';
import { type EventSink, instantEpisode, openEpisode } from '../episodes';
import type { Episode } from '../events';

export function attendantOnTripStart(timeMs: number, ctx: TripContext, sink: EventSink): Episode | null {
  const a = ctx.attendant;
  if (a && a.checkedIn) return null;
  return openEpisode(sink, {
    kind: 'noAttendant',
    severity: 'major',
    startMs: timeMs,
    timeMs,
    evidence: { reason: a ? 'not_checked_in' : 'not_assigned', attendantId: a?.id ?? null },
  });
}

export function leftOnBoardOnTripEnd(
  timeMs: number,
  onboard: number | null,
  sweepConfirmed: boolean | undefined,
  sink: EventSink,
): void {
  const aboard = onboard !== null && onboard !== 0;
  if (!aboard && sweepConfirmed !== false) return;
  instantEpisode(sink, {
    kind: 'childLeftOnBoard',
    severity: 'critical',
    startMs: timeMs,
    timeMs,
    peakValue: onboard ?? undefined,
    limit: 0,
    unit: 'persons',
    evidence: { onboard, sweepConfirmed: sweepConfirmed ?? null },
  });
}
