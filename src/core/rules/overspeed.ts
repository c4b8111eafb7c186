// R1 overspeed: speed above the effective limit, sustained (duration and fix count), one episode per run.
import type { TripContext } from '../context';
import { closeEpisode, type EventSink, openEpisode, updateEpisode } from '../episodes';
import type { Episode, Position, Severity } from '../events';
import type { FixFrame } from '../frame';
import { type PreparedZone, zonesAt } from '../geo/zone-index';
import type { RuleConfig } from '../presets/types';

export interface OverspeedRun {
  startMs: number;
  startPosition: Position;
  lastOverMs: number;
  lastOverPosition: Position;
  fixes: number;
  peakKph: number;
  /** lowest effective limit seen during the run */
  limitKph: number;
  peakOverFraction: number;
  distanceOverM: number;
  terminalAlarm: boolean;
}

export interface OverspeedState {
  run: OverspeedRun | null;
  open: Episode | null;
  lastFixMs: number | null;
}

export function initialOverspeed(): OverspeedState {
  return { run: null, open: null, lastFixMs: null };
}

export interface EffectiveLimit {
  limitKph: number;
  reason: 'expressway' | 'other' | 'posted' | 'hazard' | 'lowVisibility';
  zoneId: string | null;
}

// Scratch for the per-fix path (the engine is synchronous; nothing keeps a reference to these).
const zoneScratch: PreparedZone[] = [];
const limitScratch: EffectiveLimit = { limitKph: 0, reason: 'other', zoneId: null };

/** min(road-class preset, posted zone limit, hazard / low-visibility limit) at (x, y), written into out; returns out. */
function effectiveLimitInto(
  x: number,
  y: number,
  ctx: TripContext,
  cfg: RuleConfig['overspeed'],
  out: EffectiveLimit,
): EffectiveLimit {
  const zones = zoneScratch;
  const n = zonesAt(ctx.route.zones, x, y, zones);
  let roadClass = ctx.route.defaultRoadClass;
  for (let k = 0; k < n; k++) if (zones[k]!.def.roadClass === 'expressway') roadClass = 'expressway';
  let limitKph = roadClass === 'expressway' ? cfg.expresswayLimitKph : cfg.otherLimitKph;
  let reason: EffectiveLimit['reason'] = roadClass;
  let zoneId: string | null = null;
  for (let k = 0; k < n; k++) {
    const def = zones[k]!.def;
    const posted = def.postedLimitKph;
    if (posted !== undefined && posted < limitKph) {
      limitKph = posted;
      reason = 'posted';
      zoneId = def.id;
    }
    if (def.hazard && cfg.hazardLimitKph < limitKph) {
      limitKph = cfg.hazardLimitKph;
      reason = 'hazard';
      zoneId = def.id;
    }
  }
  if (ctx.lowVisibility && cfg.lowVisibilityLimitKph < limitKph) {
    limitKph = cfg.lowVisibilityLimitKph;
    reason = 'lowVisibility';
    zoneId = null;
  }
  out.limitKph = limitKph;
  out.reason = reason;
  out.zoneId = zoneId;
  return out;
}

function severityFor(overFraction: number, cfg: RuleConfig['overspeed']): Severity {
  return overFraction >= cfg.criticalOverFraction - 1e-12 ? 'critical' : 'major';
}

function evidenceOf(run: OverspeedRun, speedSource: string | null) {
  return {
    fixes: run.fixes,
    distanceOverM: Math.round(run.distanceOverM * 10) / 10,
    peakOverPercent: Math.round(run.peakOverFraction * 1000) / 10,
    terminalAlarm: run.terminalAlarm,
    speedSource: speedSource ?? 'unknown',
  };
}

export function overspeedOnFix(st: OverspeedState, frame: FixFrame, ctx: TripContext, sink: EventSink): OverspeedState {
  const cfg = ctx.config.overspeed;
  let { run, open } = st;
  const t = frame.timeMs;

  // A long gap ends the run: the episode closes at the last fix seen over the limit.
  if (run && st.lastFixMs !== null && t - st.lastFixMs > cfg.maxGapS * 1000) {
    if (open) {
      closeEpisode(sink, open, run.lastOverMs, t, run.lastOverPosition);
      open = null;
    }
    run = null;
  }

  const speed = frame.speedKph;
  // Loaded bus only when boarding data exists; always otherwise.
  const applies = speed !== null && (frame.onboard === null || frame.onboard > 0);
  const limit = applies ? effectiveLimitInto(frame.x, frame.y, ctx, cfg, limitScratch) : null;
  const over = applies && limit !== null && speed! > limit.limitKph;

  if (!over) {
    if (!run && !open) return st.run === null && st.open === null ? st : initialOverspeed();
    if (open && run) closeEpisode(sink, open, t, t, frame.position, { evidence: evidenceOf(run, frame.speedSource) });
    return { run: null, open: null, lastFixMs: t };
  }

  const lim = limit!.limitKph;
  const overFraction = (speed! - lim) / lim;
  const alarm = frame.fix.alarms.includes('overspeed');
  if (!run) {
    run = {
      startMs: t,
      startPosition: frame.position,
      lastOverMs: t,
      lastOverPosition: frame.position,
      fixes: 1,
      peakKph: speed!,
      limitKph: lim,
      peakOverFraction: overFraction,
      distanceOverM: 0,
      terminalAlarm: alarm,
    };
  } else {
    run = {
      startMs: run.startMs,
      startPosition: run.startPosition,
      lastOverMs: t,
      lastOverPosition: frame.position,
      fixes: run.fixes + 1,
      peakKph: Math.max(run.peakKph, speed!),
      limitKph: Math.min(run.limitKph, lim),
      peakOverFraction: Math.max(run.peakOverFraction, overFraction),
      distanceOverM: run.distanceOverM + frame.stepM,
      terminalAlarm: run.terminalAlarm || alarm,
    };
  }

  const sustained = run.fixes >= cfg.minFixes && run.lastOverMs - run.startMs >= cfg.minDurationS * 1000;
  const severity = severityFor(run.peakOverFraction, cfg);
  if (!open) {
    if (sustained) {
      open = openEpisode(sink, {
        kind: 'overspeed',
        severity,
        startMs: run.startMs,
        timeMs: t,
        peakValue: run.peakKph,
        limit: run.limitKph,
        unit: 'km/h',
        position: run.startPosition,
        evidence: { ...evidenceOf(run, frame.speedSource), limitReason: limit!.reason, zoneId: limit!.zoneId },
      });
    }
  } else if (run.peakKph !== open.peakValue || run.limitKph !== open.limit || severity !== open.severity) {
    // only changes worth telling the store about; the run keeps the rest until the close
    open = updateEpisode(sink, open, t, {
      peakValue: run.peakKph,
      limit: run.limitKph,
      severity,
      evidence: { ...open.evidence, ...evidenceOf(run, frame.speedSource) },
    });
  }
  return { run, open, lastFixMs: t };
}

export function overspeedClose(
  st: OverspeedState,
  endMs: number,
  sink: EventSink,
  position?: Position,
): OverspeedState {
  if (st.open) closeEpisode(sink, st.open, endMs, endMs, position);
  return initialOverspeed();
}
