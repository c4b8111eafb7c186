// GTFS routes → ImportedRoute: path from shapes.txt, stops and times from one representative trip.

import {
  RouteImportError,
  dropRepeatedPositions,
  normaliseClockTime,
  type ImportedRoute,
  type ImportedStop,
} from '../route-import';
import type { GtfsFeed } from './feed';
import {
  field,
  indexFeed,
  invalidValue,
  readCoordinate,
  readSequence,
  type FeedIndex,
  type TripInfo,
} from './feed-index';

export interface GtfsRouteSummary {
  routeId: string;
  shortName?: string;
  longName?: string;
  /** shape ids used by the route's trips, most used first (ties by shape id) */
  shapeIds: string[];
  tripCount: number;
}

export interface GtfsRouteSelector {
  routeId?: string;
  shapeId?: string;
  tripId?: string;
}

/** Distinct shape ids of the trips, most used first, ties by shape id. */
function shapesByUse(trips: TripInfo[]): string[] {
  const counts = new Map<string, number>();
  for (const t of trips) if (t.shapeId !== '') counts.set(t.shapeId, (counts.get(t.shapeId) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id);
}

function optional(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/** Lists the routes of a feed in routes.txt order. Needs routes.txt and trips.txt only. */
export function listGtfsRoutes(feed: GtfsFeed): GtfsRouteSummary[] {
  const idx = indexFeed(feed);
  return [...idx.routes.entries()].map(([routeId, row]) => {
    const trips = idx.tripsByRoute.get(routeId) ?? [];
    const summary: GtfsRouteSummary = { routeId, shapeIds: shapesByUse(trips), tripCount: trips.length };
    const shortName = optional(field(row, 'route_short_name'));
    const longName = optional(field(row, 'route_long_name'));
    if (shortName !== undefined) summary.shortName = shortName;
    if (longName !== undefined) summary.longName = longName;
    return summary;
  });
}

function routeLabel(idx: FeedIndex, routeId: string): string {
  const row = idx.routes.get(routeId);
  const name = row ? field(row, 'route_long_name') || field(row, 'route_short_name') : '';
  return name !== '' && name !== routeId ? `${routeId} (${name})` : routeId;
}

/** Why the feed as a whole cannot supply shapes, if it cannot. */
function feedShapeProblem(idx: FeedIndex): string | undefined {
  const rows = idx.shapeRows();
  if (!rows) return 'the feed has no shapes.txt';
  if (rows.length === 0) return "the feed's shapes.txt has only a header (no points)";
  return undefined;
}

interface ShapeProblem {
  routeId: string;
  reason: string;
}

function noShapeError(idx: FeedIndex, problems: ShapeProblem[]): RouteImportError {
  const feedProblem = feedShapeProblem(idx);
  const shown = problems.slice(0, 5);
  const more = problems.length > shown.length ? ` and ${problems.length - shown.length} more` : '';
  let message: string;
  if (problems.length === 1) {
    const only = problems[0]!;
    const reason = feedProblem && only.reason !== feedProblem ? `${only.reason} and ${feedProblem}` : only.reason;
    message = `GTFS route ${routeLabel(idx, only.routeId)} has no shape: ${reason}`;
  } else if (feedProblem) {
    message = `GTFS routes ${shown.map((p) => routeLabel(idx, p.routeId)).join(', ')}${more} have no shape: ${feedProblem}`;
  } else {
    message = `GTFS routes have no shape: ${shown.map((p) => `${routeLabel(idx, p.routeId)}: ${p.reason}`).join('; ')}${more}`;
  }
  return new RouteImportError(
    `${message}. A route path is needed to import a route; add shapes to the feed or import the route from GeoJSON.`,
    'gtfs_no_shape',
    { routeIds: problems.map((p) => p.routeId), feedProblem, routes: problems },
  );
}

/** Reason a route cannot get a shape, or undefined when it can. */
function routeShapeProblem(idx: FeedIndex, routeId: string): string | undefined {
  const trips = idx.tripsByRoute.get(routeId) ?? [];
  const shapeIds = shapesByUse(trips);
  if (shapeIds.length === 0) {
    return trips.length === 1 ? 'its only trip has no shape_id' : `none of its ${trips.length} trips has a shape_id`;
  }
  const feedProblem = feedShapeProblem(idx);
  if (feedProblem) return feedProblem;
  if (!shapeIds.some((s) => idx.shapePoints(s))) {
    return `its shape${shapeIds.length > 1 ? 's' : ''} ${shapeIds.join(', ')} ${shapeIds.length > 1 ? 'are' : 'is'} not in shapes.txt`;
  }
  return undefined;
}

function selectTrip(idx: FeedIndex, opts: GtfsRouteSelector): TripInfo {
  const routeId = typeof opts?.routeId === 'string' ? opts.routeId.trim() : '';
  const shapeId = typeof opts?.shapeId === 'string' ? opts.shapeId.trim() : '';
  const tripId = typeof opts?.tripId === 'string' ? opts.tripId.trim() : '';
  if (routeId === '' && shapeId === '' && tripId === '') {
    throw new RouteImportError('Choose a GTFS route by routeId, shapeId or tripId', 'gtfs_invalid_options');
  }

  if (tripId !== '') {
    const trip = idx.trips.get(tripId);
    if (!trip) throw new RouteImportError(`GTFS trip ${tripId} is not in trips.txt`, 'gtfs_not_found', { tripId });
    if (routeId !== '' && trip.routeId !== routeId) {
      throw new RouteImportError(
        `GTFS trip ${tripId} belongs to route ${trip.routeId}, not ${routeId}`,
        'gtfs_not_found',
        {
          tripId,
          routeId,
        },
      );
    }
    if (shapeId !== '' && trip.shapeId !== shapeId) {
      throw new RouteImportError(
        `GTFS trip ${tripId} uses shape ${trip.shapeId || '(none)'}, not ${shapeId}`,
        'gtfs_not_found',
        { tripId, shapeId },
      );
    }
    if (trip.shapeId === '') {
      throw noShapeError(idx, [{ routeId: trip.routeId, reason: `its trip ${tripId} has no shape_id` }]);
    }
    return trip;
  }

  if (shapeId !== '') {
    const using = (idx.tripsByShape.get(shapeId) ?? []).filter((t) => routeId === '' || t.routeId === routeId);
    if (using.length === 0) {
      const known = idx.tripsByShape.has(shapeId) || idx.shapePoints(shapeId) !== undefined;
      const message = !known
        ? `GTFS shape ${shapeId} is not in the feed`
        : routeId !== ''
          ? `No trip of GTFS route ${routeId} uses shape ${shapeId}`
          : `No trip uses GTFS shape ${shapeId}, so it has no stops`;
      throw new RouteImportError(message, 'gtfs_not_found', { shapeId, routeId: optional(routeId) });
    }
    return using[0]!;
  }

  if (!idx.routes.has(routeId)) {
    throw new RouteImportError(`GTFS route ${routeId} is not in routes.txt`, 'gtfs_not_found', { routeId });
  }
  const trips = idx.tripsByRoute.get(routeId) ?? [];
  if (trips.length === 0) {
    throw new RouteImportError(`GTFS route ${routeLabel(idx, routeId)} has no trips`, 'gtfs_not_found', { routeId });
  }
  const problem = routeShapeProblem(idx, routeId);
  if (problem) throw noShapeError(idx, [{ routeId, reason: problem }]);
  // Most used shape that is present in shapes.txt.
  const shape = shapesByUse(trips).find((s) => idx.shapePoints(s))!;
  return trips.find((t) => t.shapeId === shape)!;
}

function shapePath(idx: FeedIndex, trip: TripInfo): [number, number][] {
  const indices = idx.shapePoints(trip.shapeId);
  if (!indices || indices.length === 0) {
    const reason = feedShapeProblem(idx) ?? `its shape ${trip.shapeId} is not in shapes.txt`;
    throw noShapeError(idx, [{ routeId: trip.routeId, reason }]);
  }
  const rows = idx.shapeRows()!;
  const points = indices.map((i) => ({
    sequence: readSequence('shapes.txt', rows, i, 'shape_pt_sequence'),
    position: readCoordinate('shapes.txt', rows, i, 'shape_pt_lat', 'shape_pt_lon'),
  }));
  points.sort((a, b) => a.sequence - b.sequence); // stable: equal sequences keep file order
  const coordinates = dropRepeatedPositions(points.map((p) => p.position));
  if (coordinates.length < 2) {
    throw new RouteImportError(`GTFS shape ${trip.shapeId} has fewer than 2 distinct points`, 'gtfs_invalid_value', {
      file: 'shapes.txt',
      shapeId: trip.shapeId,
      row: indices[0]! + 1,
    });
  }
  return coordinates;
}

function tripStops(idx: FeedIndex, trip: TripInfo): ImportedStop[] {
  const stopTimeRows = idx.stopTimeRows();
  const stopRows = idx.stopRows();
  const indices = idx.stopTimesOf(trip.tripId);
  if (indices.length === 0) {
    throw new RouteImportError(`GTFS trip ${trip.tripId} has no rows in stop_times.txt`, 'gtfs_not_found', {
      file: 'stop_times.txt',
      tripId: trip.tripId,
    });
  }
  const entries = indices.map((i) => ({
    i,
    sequence: readSequence('stop_times.txt', stopTimeRows, i, 'stop_sequence'),
  }));
  entries.sort((a, b) => a.sequence - b.sequence);
  for (let k = 1; k < entries.length; k++) {
    const entry = entries[k]!;
    if (entry.sequence === entries[k - 1]!.sequence) {
      const i = entry.i;
      throw invalidValue(
        'stop_times.txt',
        i,
        'stop_sequence',
        field(stopTimeRows[i], 'stop_sequence'),
        `repeats within trip ${trip.tripId}`,
      );
    }
  }
  return entries.map(({ i }, position) => {
    const row = stopTimeRows[i];
    const stopId = field(row, 'stop_id');
    const stopIndex = idx.stopRow(stopId);
    if (stopIndex === undefined) throw invalidValue('stop_times.txt', i, 'stop_id', stopId, 'is not in stops.txt');
    const stopRow = stopRows[stopIndex];
    const [lon, lat] = readCoordinate('stops.txt', stopRows, stopIndex, 'stop_lat', 'stop_lon');
    const stop: ImportedStop = {
      name: field(stopRow, 'stop_name') || field(stopRow, 'stop_code') || stopId,
      lat,
      lon,
      sequence: position + 1,
      externalId: stopId,
    };
    const code = field(stopRow, 'stop_code');
    if (code !== '') stop.code = code;
    const arrival = field(row, 'arrival_time');
    const column = arrival !== '' ? 'arrival_time' : 'departure_time';
    const timeText = arrival !== '' ? arrival : field(row, 'departure_time');
    if (timeText !== '') {
      const time = normaliseClockTime(timeText, { requireSeconds: true });
      if (!time) throw invalidValue('stop_times.txt', i, column, timeText, 'is not a time HH:MM:SS');
      stop.scheduledTime = time;
    }
    return stop;
  });
}

/**
 * One GTFS route + shape as an ImportedRoute. Select by routeId (its most used shape), shapeId (the first
 * trip by trip_id using it) or tripId; combinations must agree.
 */
export function gtfsRoute(feed: GtfsFeed, opts: GtfsRouteSelector): ImportedRoute {
  const idx = indexFeed(feed);
  const trip = selectTrip(idx, opts ?? {});
  const coordinates = shapePath(idx, trip);
  const stops = tripStops(idx, trip);
  const routeRow = idx.routes.get(trip.routeId);
  const longName = routeRow ? field(routeRow, 'route_long_name') : '';
  const shortName = routeRow ? field(routeRow, 'route_short_name') : '';
  const route: ImportedRoute = {
    name: longName || shortName || trip.routeId,
    externalId: trip.routeId,
    shapeId: trip.shapeId,
    tripId: trip.tripId,
    path: { type: 'LineString', coordinates },
    stops,
  };
  if (shortName !== '') route.shortName = shortName;
  return route;
}

/**
 * One ImportedRoute per route (its most used shape). Without routeIds: every route in routes.txt that has
 * trips, in file order. Routes without a usable shape make the whole call fail with 'gtfs_no_shape', naming them.
 */
export function gtfsRoutes(feed: GtfsFeed, opts: { routeIds?: string[] } = {}): ImportedRoute[] {
  const idx = indexFeed(feed);
  let routeIds: string[];
  if (opts?.routeIds !== undefined) {
    if (!Array.isArray(opts.routeIds) || opts.routeIds.some((id) => typeof id !== 'string')) {
      throw new RouteImportError('routeIds must be a list of GTFS route ids', 'gtfs_invalid_options');
    }
    routeIds = [...new Set(opts.routeIds.map((id) => id.trim()))];
    const unknown = routeIds.filter((id) => !idx.routes.has(id));
    if (unknown.length > 0) {
      throw new RouteImportError(
        `GTFS route${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in routes.txt`,
        'gtfs_not_found',
        {
          routeIds: unknown,
        },
      );
    }
  } else {
    routeIds = [...idx.routes.keys()].filter((id) => (idx.tripsByRoute.get(id)?.length ?? 0) > 0);
  }
  const shapeless: ShapeProblem[] = [];
  for (const routeId of routeIds) {
    if ((idx.tripsByRoute.get(routeId)?.length ?? 0) === 0) continue; // gtfsRoute reports it as not found
    const reason = routeShapeProblem(idx, routeId);
    if (reason) shapeless.push({ routeId, reason });
  }
  if (shapeless.length > 0) throw noShapeError(idx, shapeless);
  return routeIds.map((routeId) => gtfsRoute(feed, { routeId }));
}
