// Lookup indexes over a parsed GTFS feed, built once per feed (each index only when first needed)
// so that importing every route stays linear in the size of stop_times.txt and shapes.txt.

import { RouteImportError } from '../route-import';
import type { GtfsFeed } from './feed';

export type Row = Record<string, string>;

/** Trimmed field text; '' when the row or the column is absent. */
export function field(row: Row | undefined, column: string): string {
  const v = typeof row === 'object' && row !== null && Object.hasOwn(row, column) ? row[column] : undefined;
  return typeof v === 'string' ? v.trim() : '';
}

export function requireFile(feed: GtfsFeed, file: string, columns: string[]): Row[] {
  const rows = feed.files.get(file);
  if (!rows) {
    throw new RouteImportError(`GTFS feed has no ${file}`, 'gtfs_missing_file', { file });
  }
  if (!Array.isArray(rows)) {
    throw new RouteImportError(`GTFS ${file} is not a list of rows`, 'gtfs_missing_file', { file });
  }
  checkColumns(file, rows, columns);
  return rows;
}

export function checkColumns(file: string, rows: Row[], columns: string[]): void {
  if (rows.length === 0) return; // header-only file: no data to read
  const first = rows[0];
  const missing = columns.filter((c) => typeof first !== 'object' || first === null || !Object.hasOwn(first, c));
  if (missing.length > 0) {
    throw new RouteImportError(
      `GTFS ${file} lacks required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      'gtfs_missing_column',
      { file, columns: missing },
    );
  }
}

export function invalidValue(
  file: string,
  rowIndex: number,
  column: string,
  value: string,
  problem: string,
): RouteImportError {
  return new RouteImportError(
    `GTFS ${file} data row ${rowIndex + 1}: ${column} ${JSON.stringify(value)} ${problem}`,
    'gtfs_invalid_value',
    { file, row: rowIndex + 1, column, value },
  );
}

export function readCoordinate(
  file: string,
  rows: Row[],
  rowIndex: number,
  latColumn: string,
  lonColumn: string,
): [number, number] {
  const row = rows[rowIndex];
  const latText = field(row, latColumn);
  const lonText = field(row, lonColumn);
  const lat = latText === '' ? NaN : Number(latText);
  const lon = lonText === '' ? NaN : Number(lonText);
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw invalidValue(file, rowIndex, latColumn, latText, 'is not a latitude in [-90, 90]');
  }
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw invalidValue(file, rowIndex, lonColumn, lonText, 'is not a longitude in [-180, 180]');
  }
  return [lon, lat];
}

export function readSequence(file: string, rows: Row[], rowIndex: number, column: string): number {
  const text = field(rows[rowIndex], column);
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalidValue(file, rowIndex, column, text, 'is not a non-negative whole number');
  }
  return n;
}

function groupIndices(rows: Row[], column: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const key = field(rows[i], column);
    if (key === '') continue;
    const list = out.get(key);
    if (list) list.push(i);
    else out.set(key, [i]);
  }
  return out;
}

export interface TripInfo {
  tripId: string;
  routeId: string;
  shapeId: string;
}

export class FeedIndex {
  readonly routeRows: Row[];
  readonly tripRows: Row[];
  /** route_id → routes.txt row (first wins) */
  readonly routes = new Map<string, Row>();
  /** trip_id → trip */
  readonly trips = new Map<string, TripInfo>();
  /** route_id → trips sorted by trip_id */
  readonly tripsByRoute = new Map<string, TripInfo[]>();
  /** shape_id → trips sorted by trip_id */
  readonly tripsByShape = new Map<string, TripInfo[]>();

  private shapeGroups?: Map<string, number[]>;
  private stopTimeGroups?: Map<string, number[]>;
  private stopRowsById?: Map<string, number>;

  constructor(readonly feed: GtfsFeed) {
    this.routeRows = requireFile(feed, 'routes.txt', ['route_id']);
    this.tripRows = requireFile(feed, 'trips.txt', ['route_id', 'trip_id']);
    for (const row of this.routeRows) {
      const id = field(row, 'route_id');
      if (id !== '' && !this.routes.has(id)) this.routes.set(id, row);
    }
    const trips: TripInfo[] = [];
    for (const row of this.tripRows) {
      const tripId = field(row, 'trip_id');
      if (tripId === '' || this.trips.has(tripId)) continue;
      const trip = { tripId, routeId: field(row, 'route_id'), shapeId: field(row, 'shape_id') };
      this.trips.set(tripId, trip);
      trips.push(trip);
    }
    trips.sort((a, b) => (a.tripId < b.tripId ? -1 : a.tripId > b.tripId ? 1 : 0));
    for (const trip of trips) {
      push(this.tripsByRoute, trip.routeId, trip);
      if (trip.shapeId !== '') push(this.tripsByShape, trip.shapeId, trip);
    }
  }

  /** shapes.txt rows, or undefined when the feed has no shapes.txt. */
  shapeRows(): Row[] | undefined {
    const rows = this.feed.files.get('shapes.txt');
    if (!rows) return undefined;
    return requireFile(this.feed, 'shapes.txt', ['shape_id', 'shape_pt_lat', 'shape_pt_lon', 'shape_pt_sequence']);
  }

  /** Row indices in shapes.txt per shape_id (file order). */
  shapePoints(shapeId: string): number[] | undefined {
    const rows = this.shapeRows();
    if (!rows) return undefined;
    this.shapeGroups ??= groupIndices(rows, 'shape_id');
    return this.shapeGroups.get(shapeId);
  }

  stopTimeRows(): Row[] {
    return requireFile(this.feed, 'stop_times.txt', ['trip_id', 'stop_id', 'stop_sequence']);
  }

  /** Row indices in stop_times.txt per trip_id (file order). */
  stopTimesOf(tripId: string): number[] {
    const rows = this.stopTimeRows();
    this.stopTimeGroups ??= groupIndices(rows, 'trip_id');
    return this.stopTimeGroups.get(tripId) ?? [];
  }

  stopRows(): Row[] {
    return requireFile(this.feed, 'stops.txt', ['stop_id', 'stop_lat', 'stop_lon']);
  }

  /** Row index in stops.txt of a stop_id. */
  stopRow(stopId: string): number | undefined {
    const rows = this.stopRows();
    if (!this.stopRowsById) {
      const map = new Map<string, number>();
      for (let i = 0; i < rows.length; i++) {
        const id = field(rows[i], 'stop_id');
        if (id !== '' && !map.has(id)) map.set(id, i);
      }
      this.stopRowsById = map;
    }
    return this.stopRowsById.get(stopId);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const cache = new WeakMap<GtfsFeed, { signature: unknown[]; index: FeedIndex }>();
const INDEXED_FILES = ['routes.txt', 'trips.txt', 'shapes.txt', 'stop_times.txt', 'stops.txt'];

/** The index of a feed, reused while the feed's relevant row arrays are unchanged. */
export function indexFeed(feed: GtfsFeed): FeedIndex {
  if (typeof feed !== 'object' || feed === null || !(feed.files instanceof Map)) {
    throw new RouteImportError('GTFS feed must be { files: Map<name, rows> }', 'gtfs_missing_file');
  }
  const signature = INDEXED_FILES.flatMap((f) => {
    const rows = feed.files.get(f);
    return [rows, Array.isArray(rows) ? rows.length : -1];
  });
  const hit = cache.get(feed);
  if (hit && hit.signature.every((v, i) => v === signature[i])) return hit.index;
  const index = new FeedIndex(feed);
  cache.set(feed, { signature, index });
  return index;
}
