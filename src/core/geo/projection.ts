// Local metric plane for one route: equirectangular projection around the route's centre.
// At city scale (tens of km) the scale error stays well under 0.5 %.

const EARTH_RADIUS_M = 6_371_008.8;
const DEG_TO_RAD = Math.PI / 180;

export interface LocalProjection {
  originLon: number;
  originLat: number;
  /** metres per degree of longitude at the origin latitude */
  mPerDegLon: number;
  /** metres per degree of latitude */
  mPerDegLat: number;
}

export function createProjection(originLon: number, originLat: number): LocalProjection {
  const mPerDegLat = EARTH_RADIUS_M * DEG_TO_RAD;
  return { originLon, originLat, mPerDegLat, mPerDegLon: mPerDegLat * Math.cos(originLat * DEG_TO_RAD) };
}

/** Projection centred on the bounding box of the given [lon, lat] coordinates. */
export function projectionForCoordinates(coordinates: ReadonlyArray<readonly [number, number]>): LocalProjection {
  let minLon = Infinity,
    minLat = Infinity,
    maxLon = -Infinity,
    maxLat = -Infinity;
  for (const [lon, lat] of coordinates) {
    if (lon < minLon) minLon = lon;
    if (lon > maxLon) maxLon = lon;
    if (lat < minLat) minLat = lat;
    if (lat > maxLat) maxLat = lat;
  }
  if (!Number.isFinite(minLon)) return createProjection(0, 0);
  return createProjection((minLon + maxLon) / 2, (minLat + maxLat) / 2);
}

export function projectX(p: LocalProjection, lon: number): number {
  return (lon - p.originLon) * p.mPerDegLon;
}

export function projectY(p: LocalProjection, lat: number): number {
  return (lat - p.originLat) * p.mPerDegLat;
}

export function unprojectLon(p: LocalProjection, x: number): number {
  return p.originLon + x / p.mPerDegLon;
}

export function unprojectLat(p: LocalProjection, y: number): number {
  return p.originLat + y / p.mPerDegLat;
}

/** Great-circle distance in metres (haversine); used where no projection is at hand. */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * DEG_TO_RAD;
  const dLon = (lon2 - lon1) * DEG_TO_RAD;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * DEG_TO_RAD) * Math.cos(lat2 * DEG_TO_RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}
