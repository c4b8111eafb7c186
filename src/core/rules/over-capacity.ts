// R2 over-capacity: onboard (boarded − alighted) above the approved capacity → violation at once;
// further boardings update the episode; it closes when the count is back at or below capacity.
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, openEpisode, updateEpisode } from '../episodes';
import type { Episode, Position } from '../events';
import type { BoardingInput } from '../inputs';

export interface BoardingState {
  /** true once any boarding record arrived for this trip */
  hasData: boolean;
  boarded: number;
  alighted: number;
  open: Episode | null;
}

export function initialBoarding(): BoardingState {
  return { hasData: false, boarded: 0, alighted: 0, open: null };
}

export function onboardCount(st: BoardingState): number | null {
  return st.hasData ? st.boarded - st.alighted : null;
}

export function capacityOnBoarding(
  st: BoardingState,
  input: BoardingInput,
  ctx: TripContext,
  sink: EventSink,
): BoardingState {
  const boarded = st.boarded + Math.max(0, input.boarded);
  const alighted = st.alighted + Math.max(0, input.alighted);
  const onboard = boarded - alighted;
  const capacity = ctx.bus.approvedCapacity;
  const t = input.timeMs;
  const position: Position | undefined =
    input.lat !== undefined && input.lon !== undefined ? { lat: input.lat, lon: input.lon } : undefined;
  let open = st.open;
  if (onboard > capacity) {
    if (!open) {
      open = openEpisode(sink, {
        kind: 'overCapacity',
        severity: 'critical',
        startMs: t,
        timeMs: t,
        peakValue: onboard,
        limit: capacity,
        unit: 'persons',
        position,
        evidence: { onboard, boarded, alighted, stopId: input.stopId ?? null, recordId: input.recordId ?? null },
      });
    } else {
      open = updateEpisode(sink, open, t, {
        peakValue: Math.max(open.peakValue ?? 0, onboard),
        evidence: { ...open.evidence, onboard, boarded, alighted },
      });
    }
  } else if (open) {
    closeEpisode(sink, open, t, t, position, { evidence: { ...open.evidence, onboard, boarded, alighted } });
    open = null;
  }
  return { hasData: true, boarded, alighted, open };
}
