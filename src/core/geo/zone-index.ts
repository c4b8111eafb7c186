// Speed zones indexed by bounding box (flatbush), tested exactly by point-in-polygon in the local plane.
import Flatbush from 'flatbush';
import { type LocalProjection, projectX, projectY } from './projection';

export type RoadClass = 'expressway' | 'other';

export interface ZoneDef {
  id: string;
  name?: string;
  /** outer ring, [lon, lat] pairs (closed or not) */
  polygon: ReadonlyArray<readonly [number, number]>;
  postedLimitKph?: number;
  roadClass?: RoadClass;
  /** sharp bend, steep slope, narrow road or bridge, ice, snow, mud… */
  hazard?: boolean;
}

export interface PreparedZone {
  def: ZoneDef;
  ring: Float64Array; // x0, y0, x1, y1, …
}

export interface ZoneIndex {
  zones: PreparedZone[];
  index: Flatbush | null;
}

export function buildZoneIndex(zones: ReadonlyArray<ZoneDef>, projection: LocalProjection): ZoneIndex {
  const prepared: PreparedZone[] = zones.map((def) => {
    const ring = new Float64Array(def.polygon.length * 2);
    def.polygon.forEach(([lon, lat], i) => {
      ring[2 * i] = projectX(projection, lon);
      ring[2 * i + 1] = projectY(projection, lat);
    });
    return { def, ring };
  });
  if (prepared.length === 0) return { zones: prepared, index: null };
  const index = new Flatbush(prepared.length);
  for (const z of prepared) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < z.ring.length; i += 2) {
      minX = Math.min(minX, z.ring[i]);
      maxX = Math.max(maxX, z.ring[i]);
      minY = Math.min(minY, z.ring[i + 1]);
      maxY = Math.max(maxY, z.ring[i + 1]);
    }
    index.add(minX, minY, maxX, maxY);
  }
  index.finish();
  return { zones: prepared, index };
}

export function pointInRing(ring: Float64Array, x: number, y: number): boolean {
  let inside = false;
  const n = ring.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = ring[2 * i], yi = ring[2 * i + 1];
    const xj = ring[2 * j], yj = ring[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Zones containing (x, y). Returns a shared empty array when none. */
const NONE: PreparedZone[] = [];
export function zonesAt(zi: ZoneIndex, x: number, y: number): PreparedZone[] {
  if (!zi.index) return NONE;
  const hits = zi.index.search(x, y, x, y);
  if (hits.length === 0) return NONE;
  const out: PreparedZone[] = [];
  for (const i of hits) if (pointInRing(zi.zones[i].ring, x, y)) out.push(zi.zones[i]);
  return out.length ? out : NONE;
}
