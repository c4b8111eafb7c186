// Shared result types and error for route importers (GTFS, GeoJSON).
// Pure: no I/O, no clock, no environment.

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
 * - GTFS: gtfs_bad_zip, gtfs_bad_csv, gtfs_missing_file, gtfs_missing_column, gtfs_not_found,
 *   gtfs_invalid_value, gtfs_no_shape, gtfs_invalid_options
 * - GeoJSON: geojson_invalid, geojson_stop_off_path
 */
export type RouteImportErrorCode =
  | 'gtfs_bad_zip'
  | 'gtfs_bad_csv'
  | 'gtfs_missing_file'
  | 'gtfs_missing_column'
  | 'gtfs_not_found'
  | 'gtfs_invalid_value'
  | 'gtfs_no_shape'
  | 'gtfs_invalid_options'
  | 'geojson_invalid'
  | 'geojson_stop_off_path';

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
