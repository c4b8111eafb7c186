// Distances for the pages: metres between points and along a route polyline.
import type { LonLat } from './map';

const R = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const a =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 +
    Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Distance from the start of the line to the point's nearest spot on it (local equirectangular projection). */
export function alongM(line: LonLat[], lat: number, lon: number): number {
  if (line.length < 2) return 0;
  const k = Math.cos(rad(lat));
  let best = { d2: Infinity, at: 0 };
  let acc = 0;
  for (let i = 0; i < line.length - 1; i++) {
    const [ax, ay] = [line[i]![0] * k, line[i]![1]];
    const [bx, by] = [line[i + 1]![0] * k, line[i + 1]![1]];
    const [px, py] = [lon * k, lat];
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const u = len2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
    const cx = ax + u * dx;
    const cy = ay + u * dy;
    const d2 = (px - cx) ** 2 + (py - cy) ** 2;
    const segM = haversineM(line[i]![1], line[i]![0], line[i + 1]![1], line[i + 1]![0]);
    if (d2 < best.d2) best = { d2, at: acc + u * segM };
    acc += segM;
  }
  return best.at;
}
