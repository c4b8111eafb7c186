// A drive east along 31.2°N at one fix per second, the speed per second given by `kphAt(s)` (pipeline tests).
import type { Fix } from '../../src/core/fix';

export const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);

export function driveEast(o: {
  deviceId: string;
  /** device time of second 0 */
  startMs: number;
  lon0: number;
  fromS: number;
  toS: number;
  kphAt: (s: number) => number;
}): Fix[] {
  const fixes: Fix[] = [];
  let x = 0;
  for (let s = 0; s <= o.toS; s++) {
    if (s > 0) x += o.kphAt(s) / 3.6;
    if (s >= o.fromS)
      fixes.push({
        deviceId: o.deviceId,
        protocol: 'json',
        timeMs: o.startMs + s * 1000,
        lat: 31.2,
        lon: o.lon0 + x / M_PER_DEG_LON,
        speedKph: o.kphAt(s),
        valid: true,
        alarms: [],
        attributes: {},
      });
  }
  return fixes;
}

/** A bus leaving the start of `route` eastwards at 30 km/h, one fix a second from second 0 to `lastS`. */
export function fromRouteStart(
  route: { path: { coordinates: number[][] } },
  deviceId: string,
  startMs: number,
  lastS = 0,
): Fix[] {
  return driveEast({ deviceId, startMs, lon0: route.path.coordinates[0]![0]!, fromS: 0, toS: lastS, kphAt: () => 30 });
}
