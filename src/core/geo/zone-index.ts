// Speed zones indexed by a uniform grid over their bounding boxes (one cell lookup per fix, no
// allocation), tested exactly by point-in-polygon in the route's local plane.
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
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface ZoneIndex {
  zones: PreparedZone[];
  cellM: number;
  minX: number;
  minY: number;
  cols: number;
  rows: number;
  /** zone indices per cell, row-major; empty cells share one array */
  cells: number[][];
  /** zones too large for the grid, always tested */
  large: number[];
}

const MAX_CELLS_PER_ZONE = 4096;
const EMPTY: number[] = [];

export function buildZoneIndex(zones: ReadonlyArray<ZoneDef>, projection: LocalProjection, cellM = 250): ZoneIndex {
  const prepared: PreparedZone[] = zones.map((def) => {
    const ring = new Float64Array(def.polygon.length * 2);
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    def.polygon.forEach(([lon, lat], i) => {
      const x = projectX(projection, lon),
        y = projectY(projection, lat);
      ring[2 * i] = x;
      ring[2 * i + 1] = y;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    });
    return { def, ring, minX, minY, maxX, maxY };
  });
  const index: ZoneIndex = { zones: prepared, cellM, minX: 0, minY: 0, cols: 0, rows: 0, cells: [], large: [] };
  if (prepared.length === 0) return index;
  const small: number[] = [];
  prepared.forEach((z, i) => {
    const cells = Math.ceil((z.maxX - z.minX) / cellM + 1) * Math.ceil((z.maxY - z.minY) / cellM + 1);
    (cells > MAX_CELLS_PER_ZONE ? index.large : small).push(i);
  });
  if (small.length === 0) return index;
  index.minX = Math.min(...small.map((i) => prepared[i]!.minX));
  index.minY = Math.min(...small.map((i) => prepared[i]!.minY));
  index.cols = Math.floor((Math.max(...small.map((i) => prepared[i]!.maxX)) - index.minX) / cellM) + 1;
  index.rows = Math.floor((Math.max(...small.map((i) => prepared[i]!.maxY)) - index.minY) / cellM) + 1;
  index.cells = new Array<number[]>(index.cols * index.rows).fill(EMPTY);
  for (const i of small) {
    const z = prepared[i]!;
    const c0 = Math.floor((z.minX - index.minX) / cellM),
      c1 = Math.floor((z.maxX - index.minX) / cellM);
    const r0 = Math.floor((z.minY - index.minY) / cellM),
      r1 = Math.floor((z.maxY - index.minY) / cellM);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const k = r * index.cols + c;
        const cell = index.cells[k]!;
        index.cells[k] = cell === EMPTY ? [i] : [...cell, i];
      }
    }
  }
  return index;
}

export function pointInRing(ring: Float64Array, x: number, y: number): boolean {
  let inside = false;
  const n = ring.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = ring[2 * i]!,
      yi = ring[2 * i + 1]!;
    const xj = ring[2 * j]!,
      yj = ring[2 * j + 1]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function contains(z: PreparedZone, x: number, y: number): boolean {
  return x >= z.minX && x <= z.maxX && y >= z.minY && y <= z.maxY && pointInRing(z.ring, x, y);
}

/**
 * The zones containing (x, y), without allocating: writes them to out[0..n) (out grows when needed; entries past n
 * are left over) and returns n.
 */
export function zonesAt(zi: ZoneIndex, x: number, y: number, out: PreparedZone[]): number {
  let n = 0;
  if (zi.cols > 0) {
    const c = Math.floor((x - zi.minX) / zi.cellM);
    const r = Math.floor((y - zi.minY) / zi.cellM);
    if (c >= 0 && c < zi.cols && r >= 0 && r < zi.rows) {
      const cell = zi.cells[r * zi.cols + c]!;
      for (let k = 0; k < cell.length; k++) {
        const z = zi.zones[cell[k]!]!;
        if (contains(z, x, y)) out[n++] = z;
      }
    }
  }
  const large = zi.large;
  for (let k = 0; k < large.length; k++) {
    const z = zi.zones[large[k]!]!;
    if (contains(z, x, y)) out[n++] = z;
  }
  return n;
}
