// A route prepared once for fast per-fix work: projected vertices, cumulative distance (linear
// referencing) and a flatbush index over the segments for the rare global search.
import Flatbush from 'flatbush';
import { type LocalProjection, projectionForCoordinates, projectX, projectY } from './projection';

export interface RouteGeometry {
  projection: LocalProjection;
  xs: Float64Array;
  ys: Float64Array;
  /** cumulative distance along the path at each vertex, metres */
  cumM: Float64Array;
  lengthM: number;
  segmentCount: number;
  segmentIndex: Flatbush | null;
}

export function buildRouteGeometry(
  coordinates: ReadonlyArray<readonly [number, number]>,
  projection?: LocalProjection,
): RouteGeometry {
  const proj = projection ?? projectionForCoordinates(coordinates);
  const xsList: number[] = [];
  const ysList: number[] = [];
  for (const [lon, lat] of coordinates) {
    const x = projectX(proj, lon);
    const y = projectY(proj, lat);
    const n = xsList.length;
    if (n > 0 && xsList[n - 1] === x && ysList[n - 1] === y) continue;
    xsList.push(x);
    ysList.push(y);
  }
  const n = xsList.length;
  if (n < 2) throw new Error('route path needs at least two distinct positions');
  const xs = Float64Array.from(xsList);
  const ys = Float64Array.from(ysList);
  const cumM = new Float64Array(n);
  for (let i = 1; i < n; i++) cumM[i] = cumM[i - 1]! + Math.hypot(xs[i]! - xs[i - 1]!, ys[i]! - ys[i - 1]!);
  const segmentCount = n - 1;
  const index = new Flatbush(segmentCount);
  for (let i = 0; i < segmentCount; i++) {
    const x0 = xs[i]!,
      x1 = xs[i + 1]!,
      y0 = ys[i]!,
      y1 = ys[i + 1]!;
    index.add(Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1));
  }
  index.finish();
  return { projection: proj, xs, ys, cumM, lengthM: cumM[n - 1]!, segmentCount, segmentIndex: index };
}

/** Index of the segment whose span contains alongM (clamped to the path). */
export function segmentAt(g: RouteGeometry, alongM: number): number {
  const cum = g.cumM;
  if (alongM <= 0) return 0;
  if (alongM >= g.lengthM) return g.segmentCount - 1;
  let lo = 0;
  let hi = g.segmentCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cum[mid]! <= alongM) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface SegmentMatch {
  distanceM: number;
  alongM: number;
  segment: number;
}

/** Squared-distance projection of (x, y) on segment i; writes into out. */
export function matchSegment(g: RouteGeometry, i: number, x: number, y: number, out: SegmentMatch): void {
  const ax = g.xs[i]!,
    ay = g.ys[i]!;
  const dx = g.xs[i + 1]! - ax,
    dy = g.ys[i + 1]! - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const px = ax + t * dx - x,
    py = ay + t * dy - y;
  out.distanceM = Math.sqrt(px * px + py * py);
  out.alongM = g.cumM[i]! + t * (g.cumM[i + 1]! - g.cumM[i]!);
  out.segment = i;
}

/**
 * Best match among segments whose span overlaps [fromM, toM] along the path, written into `out` (a fresh object by
 * default; pass one to allocate nothing) and returned.
 */
export function matchWindow(
  g: RouteGeometry,
  x: number,
  y: number,
  fromM: number,
  toM: number,
  out: SegmentMatch = { distanceM: 0, alongM: 0, segment: 0 },
): SegmentMatch {
  const i0 = segmentAt(g, fromM);
  const i1 = segmentAt(g, toM);
  const xs = g.xs,
    ys = g.ys;
  let bestD2 = Infinity,
    bestI = i0,
    bestT = 0;
  for (let i = i0; i <= i1; i++) {
    const ax = xs[i]!,
      ay = ys[i]!;
    const dx = xs[i + 1]! - ax,
      dy = ys[i + 1]! - ay;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
    if (t < 0) t = 0;
    else if (t > 1) t = 1;
    const px = ax + t * dx - x,
      py = ay + t * dy - y;
    const d2 = px * px + py * py;
    if (d2 < bestD2) {
      bestD2 = d2;
      bestI = i;
      bestT = t;
    }
  }
  out.distanceM = Math.sqrt(bestD2);
  out.alongM = g.cumM[bestI]! + bestT * (g.cumM[bestI + 1]! - g.cumM[bestI]!);
  out.segment = bestI;
  return out;
}

/** Nearest match, and the preferred one (see matchGlobal), accumulated over candidate segments. */
interface GlobalSearch {
  g: RouteGeometry;
  x: number;
  y: number;
  preferWithinM: number;
  minAlongM: number;
  nearest: SegmentMatch;
  preferred: SegmentMatch | null;
  tmp: SegmentMatch;
}

function consider(q: GlobalSearch, i: number): void {
  const tmp = q.tmp;
  matchSegment(q.g, i, q.x, q.y, tmp);
  const nearest = q.nearest;
  if (tmp.distanceM < nearest.distanceM) {
    nearest.distanceM = tmp.distanceM;
    nearest.alongM = tmp.alongM;
    nearest.segment = tmp.segment;
  }
  if (
    tmp.distanceM <= q.preferWithinM &&
    tmp.alongM >= q.minAlongM &&
    (!q.preferred || tmp.alongM < q.preferred.alongM)
  ) {
    q.preferred = { distanceM: tmp.distanceM, alongM: tmp.alongM, segment: tmp.segment };
  }
}

/**
 * Global search over the whole path. Returns the nearest match, and among matches within
 * preferWithinM the one with the smallest alongM not before minAlongM (for loops and repeated streets).
 */
export function matchGlobal(
  g: RouteGeometry,
  x: number,
  y: number,
  preferWithinM: number,
  minAlongM: number,
): { nearest: SegmentMatch; preferred: SegmentMatch | null } {
  const q: GlobalSearch = {
    g,
    x,
    y,
    preferWithinM,
    minAlongM,
    nearest: { distanceM: Infinity, alongM: 0, segment: 0 },
    preferred: null,
    tmp: { distanceM: 0, alongM: 0, segment: 0 },
  };
  const index = g.segmentIndex;
  if (!index) {
    for (let i = 0; i < g.segmentCount; i++) consider(q, i);
    return { nearest: q.nearest, preferred: q.preferred };
  }
  // Candidates inside the preference box first, then the nearest few by box distance.
  const inBox = index.search(x - preferWithinM, y - preferWithinM, x + preferWithinM, y + preferWithinM);
  for (const i of inBox) consider(q, i);
  if (q.nearest.distanceM > preferWithinM) {
    const near = index.neighbors(x, y, 16);
    for (const i of near) consider(q, i);
  }
  return { nearest: q.nearest, preferred: q.preferred };
}

/** Position on the path at alongM, in the projected plane. */
export function pointAt(g: RouteGeometry, alongM: number): { x: number; y: number } {
  const i = segmentAt(g, alongM);
  const c0 = g.cumM[i]!,
    segLen = g.cumM[i + 1]! - c0;
  const t = segLen > 0 ? Math.min(1, Math.max(0, (alongM - c0) / segLen)) : 0;
  const x0 = g.xs[i]!,
    y0 = g.ys[i]!;
  return { x: x0 + t * (g.xs[i + 1]! - x0), y: y0 + t * (g.ys[i + 1]! - y0) };
}
