// Route context prepared once per route (not per fix): geometry, stops on the path, speed zones.
import {
  buildRouteGeometry,
  matchGlobal,
  matchSegment,
  type RouteGeometry,
  type SegmentMatch,
} from './geo/route-geometry';
import { projectX, projectY } from './geo/projection';
import { buildZoneIndex, type RoadClass, type ZoneDef, type ZoneIndex } from './geo/zone-index';

export type { RoadClass, ZoneDef } from './geo/zone-index';

export interface StopDef {
  id: string;
  sequence: number;
  name?: string;
  lat: number;
  lon: number;
  /** overrides the configured stop radius for this stop */
  radiusM?: number;
  scheduledTime?: string;
  /** children assigned to board or alight here (a bus driving through such a stop is a stopSkipped violation) */
  riders?: number;
}

export interface PreparedStop extends StopDef {
  x: number;
  y: number;
  /** linear reference of the stop on the path, metres from the start */
  alongM: number;
  /** distance from the stop to the path */
  offsetM: number;
}

export interface PreparedRoute {
  id: string;
  geometry: RouteGeometry;
  /** ordered by sequence */
  stops: PreparedStop[];
  zones: ZoneIndex;
  defaultRoadClass: RoadClass;
}

export interface RouteInput {
  id: string;
  /** approved path, [lon, lat] pairs */
  path: ReadonlyArray<readonly [number, number]>;
  stops?: ReadonlyArray<StopDef>;
  zones?: ReadonlyArray<ZoneDef>;
  defaultRoadClass?: RoadClass;
}

/**
 * The earliest pass within reach of a stop starts where the path first comes near it (on a path with short
 * segments, up to the reach before the stop): follow that pass forward to where it is closest to the stop.
 */
function closestAhead(g: RouteGeometry, x: number, y: number, from: SegmentMatch): SegmentMatch {
  let best: SegmentMatch = { ...from };
  const tmp: SegmentMatch = { distanceM: 0, alongM: 0, segment: 0 };
  for (let i = from.segment + 1; i < g.segmentCount; i++) {
    matchSegment(g, i, x, y, tmp);
    if (tmp.distanceM > best.distanceM + 5) break; // this pass moves away again
    if (tmp.distanceM < best.distanceM) best = { ...tmp };
  }
  return best;
}

/**
 * Projects the path, stops and zones to the route's local plane and builds the indexes.
 * Stops are placed on the path in sequence order, each searched forward from the previous
 * one, so a loop or a street driven twice gets the right pass.
 */
export function prepareRoute(input: RouteInput): PreparedRoute {
  const geometry = buildRouteGeometry(input.path);
  const proj = geometry.projection;
  const ordered = [...(input.stops ?? [])].sort((a, b) => a.sequence - b.sequence);
  let minAlong = 0;
  const stops: PreparedStop[] = ordered.map((s) => {
    const x = projectX(proj, s.lon);
    const y = projectY(proj, s.lat);
    const { nearest, preferred } = matchGlobal(geometry, x, y, Math.max(100, s.radiusM ?? 0), minAlong);
    const m = preferred ? closestAhead(geometry, x, y, preferred) : nearest;
    minAlong = m.alongM;
    return { ...s, x, y, alongM: m.alongM, offsetM: m.distanceM };
  });
  return {
    id: input.id,
    geometry,
    stops,
    zones: buildZoneIndex(input.zones ?? [], proj),
    defaultRoadClass: input.defaultRoadClass ?? 'other',
  };
}
