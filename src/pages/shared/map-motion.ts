// How a bus moves on the map between two fixes: it glides from where it is drawn to the new fix and turns to its
// heading the short way round. Pure arithmetic, no DOM.
import { haversineM } from './geo';

export type LonLat = [number, number];

/** Shortest turn from a to b (degrees), at fraction t. */
export function turnDeg(a: number, b: number, t: number): number {
  const d = ((((b - a) % 360) + 540) % 360) - 180;
  return (((a + d * t) % 360) + 360) % 360;
}

/** Initial bearing from one point to another, degrees clockwise from north. */
export function bearingDeg(from: LonLat, to: LonLat): number {
  const rad = Math.PI / 180;
  const [l1, p1] = [from[0] * rad, from[1] * rad];
  const [l2, p2] = [to[0] * rad, to[1] * rad];
  const y = Math.sin(l2 - l1) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(l2 - l1);
  return (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
}

const ease = (t: number) => (t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2);

export interface Glide {
  from: LonLat;
  to: LonLat;
  headingFrom: number | null;
  headingTo: number | null;
  startMs: number;
  durationMs: number;
}

/** A glide from the drawn position to a new fix; the heading is the fix's, or the direction it moved in. */
export function glideTo(
  drawn: { at: LonLat; heading: number | null } | undefined,
  to: LonLat,
  headingDeg: number | null | undefined,
  nowMs: number,
  sinceLastFixMs: number,
): Glide {
  let heading = headingDeg ?? null;
  if (heading == null && drawn && haversineM(drawn.at[1], drawn.at[0], to[1], to[0]) > 3)
    heading = bearingDeg(drawn.at, to);
  if (heading == null && drawn) heading = drawn.heading;
  const far = drawn ? haversineM(drawn.at[1], drawn.at[0], to[1], to[0]) > 2000 : true;
  return {
    from: drawn && !far ? drawn.at : to,
    to,
    headingFrom: drawn?.heading ?? heading,
    headingTo: heading,
    startMs: nowMs,
    // about as long as fixes take to come, so the bus keeps moving; never so long it lags behind the data
    durationMs: far ? 0 : Math.max(250, Math.min(1500, sinceLastFixMs * 0.9)),
  };
}

/** Where the glide draws the bus at a time. */
export function glideAt(g: Glide, nowMs: number): { at: LonLat; heading: number | null; done: boolean } {
  const t = g.durationMs <= 0 ? 1 : Math.max(0, Math.min(1, (nowMs - g.startMs) / g.durationMs));
  const k = ease(t);
  const at: LonLat = [g.from[0] + (g.to[0] - g.from[0]) * k, g.from[1] + (g.to[1] - g.from[1]) * k];
  const heading =
    g.headingTo == null ? g.headingFrom : g.headingFrom == null ? g.headingTo : turnDeg(g.headingFrom, g.headingTo, k);
  return { at, heading, done: t >= 1 };
}
