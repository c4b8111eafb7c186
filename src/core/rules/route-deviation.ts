// R3 route deviation: farther than the corridor from the approved path, sustained (duration and fixes).
//
// Hysteresis: a candidate run starts at the first fix outside the corridor (distance > corridorM) and
// is dropped by any fix inside it; once the episode is open it closes only when a fix comes back to
// distance ≤ corridorM − reenterMarginM. Jitter around the edge therefore never opens and closes
// repeatedly: brief excursions never reach the sustained threshold, and an open episode ignores
// fixes in the margin band.
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, openEpisode, updateEpisode } from '../episodes';
import type { Episode, Position } from '../events';
import type { FixFrame } from '../frame';

export interface DeviationRun {
  startMs: number;
  startPosition: Position;
  fixes: number;
  peakM: number;
  lastMs: number;
}

export interface DeviationState {
  run: DeviationRun | null;
  open: Episode | null;
}

export function initialDeviation(): DeviationState {
  return { run: null, open: null };
}

export function deviationOnFix(st: DeviationState, frame: FixFrame, ctx: TripContext, sink: EventSink): DeviationState {
  const cfg = ctx.config.deviation;
  const d = frame.distanceM;
  const t = frame.timeMs;
  if (st.open) {
    if (d <= cfg.corridorM - cfg.reenterMarginM) {
      closeEpisode(sink, st.open, t, t, frame.position);
      return initialDeviation();
    }
    const run = st.run ? { ...st.run, fixes: st.run.fixes + 1, peakM: Math.max(st.run.peakM, d), lastMs: t } : null;
    const changed = run !== null && run.peakM !== st.open.peakValue;
    const open = updateEpisode(
      sink,
      st.open,
      t,
      { peakValue: run?.peakM ?? st.open.peakValue, evidence: { ...st.open.evidence, fixes: run?.fixes ?? 0 } },
      changed,
    );
    return { run, open };
  }
  if (d <= cfg.corridorM) return st.run ? initialDeviation() : st;
  const run: DeviationRun = st.run
    ? { ...st.run, fixes: st.run.fixes + 1, peakM: Math.max(st.run.peakM, d), lastMs: t }
    : { startMs: t, startPosition: frame.position, fixes: 1, peakM: d, lastMs: t };
  if (run.fixes >= cfg.minFixes && t - run.startMs >= cfg.minDurationS * 1000) {
    const open = openEpisode(sink, {
      kind: 'routeDeviation',
      severity: 'major',
      startMs: run.startMs,
      timeMs: t,
      peakValue: run.peakM,
      limit: cfg.corridorM,
      unit: 'm',
      position: run.startPosition,
      evidence: { fixes: run.fixes, reenterM: cfg.corridorM - cfg.reenterMarginM },
    });
    return { run, open };
  }
  return { run, open: null };
}
