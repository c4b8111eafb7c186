// Shared result types and error for route importers (GTFS, GeoJSON).
// Pure: no I/O, no clock, no environment.
import { lineString } from '@turf/helpers';
import simplify from '@turf/simplify';

export interface ImportedStop {
  name: string;
  lat: number;
  lon: number;
  /** 1-based position of the stop along the route after ordering (1, 2, 3, …). */
  sequence: number;
  /** 'HH:MM:SS' (may exceed 24h in GTFS) */
  scheduledTime?: string;
  externalId?: string;
  code?: string;
  radiusM?: number;
}

export interface ImportedRoute {
  name: string;
  externalId?: string;
  shortName?: string;
  shapeId?: string;
  tripId?: string;
  path: { type: 'LineString'; coordinates: [number, number][] /* [lon, lat] */ };
  stops: ImportedStop[];
}

/**
 * Error codes raised by the importers:
 * - GTFS: gtfs_bad_zip, gtfs_too_large, gtfs_bad_csv, gtfs_missing_file, gtfs_missing_column, gtfs_not_found,
 *   gtfs_invalid_value, gtfs_no_shape, gtfs_invalid_options
 * - GeoJSON: geojson_invalid, geojson_stop_off_path
 */
export type RouteImportErrorCode =
  | 'gtfs_bad_zip'
  | 'gtfs_too_large'
  | 'gtfs_bad_csv'
  | 'gtfs_missing_file'
  | 'gtfs_missing_column'
  | 'gtfs_not_found'
  | 'gtfs_invalid_value'
  | 'gtfs_no_shape'
  | 'gtfs_invalid_options'
  | 'geojson_invalid'
  | 'geojson_stop_off_path'
  | 'route_too_large';

export class RouteImportError extends Error {
  constructor(
    message: string,
    public readonly code: RouteImportErrorCode,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RouteImportError';
  }
}

const CLOCK_TIME = /^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$/;

/**
 * Normalises 'H:MM[:SS]' to 'HH:MM:SS'. Hours may exceed 23 (GTFS service days run past midnight).
 * Returns undefined when the text is not a clock time.
 */
export function normaliseClockTime(text: string, opts: { requireSeconds?: boolean } = {}): string | undefined {
  const m = CLOCK_TIME.exec(text.trim());
  if (!m) return undefined;
  if (opts.requireSeconds && m[3] === undefined) return undefined;
  const hours = Number(m[1]);
  return `${String(hours).padStart(2, '0')}:${m[2]}:${m[3] ?? '00'}`;
}

/** Drops consecutive repeated positions (exact equality). */
export function dropRepeatedPositions(coordinates: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const c of coordinates) {
    const last = out[out.length - 1];
    if (last && last[0] === c[0] && last[1] === c[1]) continue;
    out.push(c);
  }
  return out;
}

/** Most positions a stored route path keeps: the engine, the map and every list stay bounded. */
export const MAX_ROUTE_POINTS = 5000;

/**
 * A path within `maxPoints`: a longer one is simplified (Douglas–Peucker, `@turf/simplify`, high quality) with a
 * tolerance doubled from ~0.5 m until it fits, so the stored path never strays more than that from the source.
 * Imported files (GTFS shapes, GeoJSON traces) can be dense; the API refuses a hand-made path above the cap.
 */
export function fitRoutePath(
  path: ImportedRoute['path'],
  maxPoints = MAX_ROUTE_POINTS,
): { path: ImportedRoute['path']; simplified: boolean; toleranceM?: number } {
  if (path.coordinates.length <= maxPoints) return { path, simplified: false };
  const METRES_PER_DEGREE = 111_195;
  for (let toleranceM = 0.5; toleranceM <= 200; toleranceM *= 2) {
    let coordinates: [number, number][];
    try {
      coordinates = simplify(lineString(path.coordinates), {
        tolerance: toleranceM / METRES_PER_DEGREE,
        highQuality: true,
      }).geometry.coordinates as [number, number][];
    } catch (err) {
      // Douglas–Peucker recurses once per kept point on a pathological zig-zag: try a coarser tolerance.
      if (err instanceof RangeError) continue;
      throw err;
    }
    if (coordinates.length <= maxPoints)
      return { path: { type: 'LineString', coordinates }, simplified: true, toleranceM };
  }
  throw new RouteImportError(
    `The route path has ${path.coordinates.length} positions and cannot be simplified to ${maxPoints}`,
    'route_too_large',
    { maxPoints },
  );
}
