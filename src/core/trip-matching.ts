// Which trip a fix belongs to, and where on the route it is (linear referencing).
import { matchGlobal, matchWindow, type RouteGeometry, type SegmentMatch } from './geo/route-geometry';
import type { RuleConfig } from './presets/types';

export interface AutoStartInput {
  timeMs: number;
  speedKph: number | null;
  distanceToRouteM: number;
  plannedStartMs?: number;
  plannedEndMs?: number;
}

/**
 * Auto start: the bus moves onto its route inside the planned window (widened by windowSlackS).
 * Without a planned window the trip never starts automatically.
 */
export function shouldAutoStartTrip(p: AutoStartInput, cfg: RuleConfig['tripStart']): boolean {
  if (p.plannedStartMs === undefined) return false;
  const slackMs = cfg.windowSlackS * 1000;
  if (p.timeMs < p.plannedStartMs - slackMs) return false;
  const end = p.plannedEndMs ?? p.plannedStartMs;
  if (p.timeMs > end + slackMs) return false;
  if (p.speedKph === null || p.speedKph < cfg.movingSpeedKph) return false;
  return p.distanceToRouteM <= cfg.onRouteM;
}

export interface RouteMatch {
  /** progress along the approved path, metres; null when never matched */
  alongM: number | null;
  /** distance to the approved path, metres */
  distanceM: number;
}

/** The local window's best match (reused: the core runs one fix at a time). */
const localScratch: SegmentMatch = { distanceM: 0, alongM: 0, segment: 0 };

/**
 * Progress by linear referencing, written into `out` (a fresh object by default) and returned. Allocates nothing on
 * the usual (local) path when the caller passes its own `out`. Searches the window around the previous progress
 * first ([prev − searchBackM, prev + searchAheadM + elapsed × searchSpeed]) so loops and streets driven twice keep
 * the right pass; falls back to a global search when the local match is poor. Progress only moves to a far part of
 * the path when the fix is inside the corridor there (a rejoin), and then prefers the earliest such part ahead of
 * the previous progress.
 */
export function locateOnRoute(
  g: RouteGeometry,
  x: number,
  y: number,
  prevAlongM: number | null,
  dtS: number,
  cfg: RuleConfig,
  out: RouteMatch = { alongM: null, distanceM: 0 },
): RouteMatch {
  const p = cfg.progress;
  const corridorM = cfg.deviation.corridorM;
  if (prevAlongM !== null) {
    const ahead = p.searchAheadM + Math.max(0, dtS) * (p.searchSpeedKph / 3.6);
    const local = matchWindow(g, x, y, prevAlongM - p.searchBackM, prevAlongM + ahead, localScratch);
    const localAlongM = local.alongM,
      localDistanceM = local.distanceM;
    if (localDistanceM <= p.localAcceptM) {
      out.alongM = Math.max(localAlongM, prevAlongM - p.searchBackM);
      out.distanceM = localDistanceM;
      return out;
    }
    const { nearest, preferred } = matchGlobal(g, x, y, corridorM, prevAlongM - p.searchBackM);
    out.distanceM = Math.min(localDistanceM, nearest.distanceM);
    if (localDistanceM <= corridorM) out.alongM = localAlongM;
    else if (preferred) out.alongM = preferred.alongM;
    else out.alongM = prevAlongM;
    return out;
  }
  const { nearest, preferred } = matchGlobal(g, x, y, corridorM, 0);
  out.distanceM = nearest.distanceM;
  if (preferred) out.alongM = preferred.alongM;
  else out.alongM = nearest.distanceM <= corridorM ? nearest.alongM : null;
  return out;
}
