// Route context prepared once per route (not per fix): geometry, stops on the path, speed zones.
import { buildRouteGeometry, matchGlobal, type RouteGeometry } from './geo/route-geometry';
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
    const m = preferred ?? nearest;
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
