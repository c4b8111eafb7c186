// R11 emergency: an SOS alarm opens a critical episode at once. Repeated SOS fixes keep it open; it
// closes when a real-time fix arrives with the alarm cleared, or at trip end. (The case itself stays
// open in the manager's closed loop until handled.)
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, openEpisode, updateEpisode } from '../episodes';
import type { Episode, Position } from '../events';

export function hasEmergency(alarms: readonly string[], ctx: TripContext): boolean {
  if (alarms.length === 0) return false;
  for (const a of alarms) if (ctx.config.device.emergencyAlarms.includes(a)) return true;
  return false;
}

export function emergencyOnAlarm(
  open: Episode | null,
  timeMs: number,
  source: string,
  ctx: TripContext,
  sink: EventSink,
  position?: Position,
): Episode {
  if (open) {
    const count = Number(open.evidence.alarmCount ?? 1) + 1;
    return updateEpisode(
      sink,
      open,
      timeMs,
      { evidence: { ...open.evidence, alarmCount: count }, endPosition: position ?? open.endPosition },
      false,
    );
  }
  return openEpisode(sink, {
    kind: 'emergency',
    severity: 'critical',
    startMs: timeMs,
    timeMs,
    position,
    evidence: { source, alarmCount: 1 },
  });
}

export function emergencyOnClear(open: Episode | null, timeMs: number, sink: EventSink, position?: Position): null {
  if (open) closeEpisode(sink, open, timeMs, timeMs, position);
  return null;
}
