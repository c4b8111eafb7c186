// Small spherical helpers for route import: distances in metres, projection of a point onto a path.

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export type LonLat = [number, number];

/** Great-circle distance in metres. */
export function distanceM(a: LonLat, b: LonLat): number {
  const dLat = (b[1] - a[1]) * RAD;
  const dLon = (b[0] - a[0]) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function wrapLonDeg(d: number): number {
  return d > 180 ? d - 360 : d < -180 ? d + 360 : d;
}

export interface PathProjection {
  /** distance from the point to the nearest point of the path */
  offsetM: number;
  /** distance along the path from its start to the nearest point */
  alongM: number;
}

/**
 * Nearest point of a path to p. Each segment is flattened around p (equirectangular, accurate to well under
 * a metre at the scale of a stop's distance from its road). The earliest segment wins ties.
 */
export function projectOntoPath(path: LonLat[], p: LonLat): PathProjection {
  const kx = Math.cos(p[1] * RAD) * RAD * EARTH_RADIUS_M;
  const ky = RAD * EARTH_RADIUS_M;
  let best: PathProjection = { offsetM: Infinity, alongM: 0 };
  let startM = 0;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1]!;
    const b = path[i]!;
    const ax = wrapLonDeg(a[0] - p[0]) * kx;
    const ay = (a[1] - p[1]) * ky;
    const bx = wrapLonDeg(b[0] - p[0]) * kx;
    const by = (b[1] - p[1]) * ky;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / len2)) : 0;
    const cx = ax + t * dx;
    const cy = ay + t * dy;
    const offsetM = Math.hypot(cx, cy);
    const segmentM = distanceM(a, b);
    if (offsetM < best.offsetM) best = { offsetM, alongM: startM + t * segmentM };
    startM += segmentM;
  }
  return best;
}
