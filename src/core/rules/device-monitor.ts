// R7 monitoring device: offline (no position or heartbeat for offlineAfterS during an active trip,
// detected on clock ticks), tampering (antenna cut/short, main power lost), and coverage loss: when
// stored fixes uploaded later (JT/T 808 blind-area upload, or a phone or partner system forwarding
// what it kept: device time well behind receipt) fall inside an offline gap, the offline episode is
// re-classified as coverage loss (severity minor, evidence.cause = 'coverageLoss'). Such an upload
// proves the device is back when it is received: an open episode ends then, not at the stored
// fix's own time, so it keeps its real length.
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, openEpisode, updateEpisode } from '../episodes';
import type { Episode, Position } from '../events';
import type { FixFrame } from '../frame';

export interface DeviceState {
  offline: Episode | null;
  /** the most recent closed offline episode, kept to re-classify a late back-fill */
  lastOffline: Episode | null;
  tamper: Episode | null;
}

export function initialDevice(): DeviceState {
  return { offline: null, lastOffline: null, tamper: null };
}

/** lastSeenMs: newest real-time position or heartbeat (kept in the engine state). */
export function deviceOnTick(
  st: DeviceState,
  lastSeenMs: number | null,
  nowMs: number,
  tripStartedMs: number,
  ctx: TripContext,
  sink: EventSink,
): DeviceState {
  if (st.offline) return st;
  const since = Math.max(lastSeenMs ?? tripStartedMs, tripStartedMs);
  if (nowMs - since < ctx.config.device.offlineAfterS * 1000) return st;
  const ep = openEpisode(sink, {
    kind: 'deviceOffline',
    severity: 'major',
    startMs: since,
    timeMs: nowMs,
    limit: ctx.config.device.offlineAfterS,
    unit: 's',
    evidence: { cause: 'unknown', lastSeenMs },
  });
  return { ...st, offline: ep };
}

/** A real-time position or heartbeat: the device is back (closes an offline episode). */
export function deviceOnSeen(st: DeviceState, timeMs: number, sink: EventSink, position?: Position): DeviceState {
  if (!st.offline) return st;
  const gapS = Math.round((timeMs - st.offline.startMs) / 1000);
  const closed = closeEpisode(sink, st.offline, timeMs, timeMs, position, { peakValue: gapS });
  return { ...st, offline: null, lastOffline: closed };
}

/** A stored (back-filled) fix: evidence the gap was lost coverage, not a switched-off device. */
export function deviceOnBlindArea(st: DeviceState, frame: FixFrame, sink: EventSink): DeviceState {
  const t = frame.timeMs;
  const receivedMs = frame.fix.receivedMs;
  if (st.offline) {
    const marked = markBackfilled(st.offline, t, sink);
    if (receivedMs === undefined || receivedMs < marked.startMs || marked === st.offline)
      return { ...st, offline: marked };
    // Back when the upload arrived: the episode ends there.
    const gapS = Math.round((receivedMs - marked.startMs) / 1000);
    const closed = closeEpisode(sink, marked, receivedMs, t, undefined, { peakValue: gapS });
    return { ...st, offline: null, lastOffline: closed };
  }
  if (st.lastOffline) return { ...st, lastOffline: markBackfilled(st.lastOffline, t, sink) };
  return st;
}

/** An offline episode whose gap holds a back-filled fix at `t` becomes a minor coverage loss (counted per fix). */
function markBackfilled(ep: Episode, t: number, sink: EventSink): Episode {
  const inGap = t >= ep.startMs && (ep.endMs === undefined || t <= ep.endMs);
  if (!inGap) return ep;
  const backfilled = Number(ep.evidence.backfilledFixes ?? 0) + 1;
  const first = ep.evidence.cause !== 'coverageLoss';
  return updateEpisode(
    sink,
    ep,
    t,
    { severity: 'minor', evidence: { ...ep.evidence, cause: 'coverageLoss', backfilledFixes: backfilled } },
    first,
  );
}

export function tamperOnFix(st: DeviceState, frame: FixFrame, ctx: TripContext, sink: EventSink): DeviceState {
  const names = ctx.config.device.tamperAlarms;
  const alarms = frame.fix.alarms;
  let hit: string[] | null = null;
  for (const a of alarms) if (names.includes(a)) (hit ??= []).push(a);
  if (hit) {
    if (!st.tamper) {
      return {
        ...st,
        tamper: openEpisode(sink, {
          kind: 'deviceTampered',
          severity: 'major',
          startMs: frame.timeMs,
          timeMs: frame.timeMs,
          position: frame.position,
          evidence: { alarms: hit },
        }),
      };
    }
    const known = st.tamper.evidence.alarms as string[];
    const merged = [...new Set([...known, ...hit])];
    if (merged.length === known.length) return st;
    return {
      ...st,
      tamper: updateEpisode(sink, st.tamper, frame.timeMs, { evidence: { ...st.tamper.evidence, alarms: merged } }),
    };
  }
  if (st.tamper) {
    closeEpisode(sink, st.tamper, frame.timeMs, frame.timeMs, frame.position);
    return { ...st, tamper: null };
  }
  return st;
}

export function deviceClose(st: DeviceState, timeMs: number, sink: EventSink): DeviceState {
  if (st.offline) closeEpisode(sink, st.offline, timeMs, timeMs);
  if (st.tamper) closeEpisode(sink, st.tamper, timeMs, timeMs);
  return { ...st, offline: null, tamper: null };
}
