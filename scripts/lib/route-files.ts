// Loads an approved route for scripts: GeoJSON (LineString + optional stop Points) or a GTFS feed
// (zip or folder) plus a shape id, via the ingest route importers.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ImportedRoute } from '../../src/ingest/route-import';
import { gtfsRoute, readGtfsFiles, readGtfsZip } from '../../src/ingest/gtfs/index';
import { parseGeoJsonRoute } from '../../src/ingest/geojson/index';
import type { RouteInput } from '../../src/core/route';

export function loadImportedRoute(file: string, shapeId?: string): ImportedRoute {
  if (statSync(file).isDirectory()) {
    const files: Record<string, Uint8Array> = {};
    for (const name of readdirSync(file)) if (name.endsWith('.txt')) files[name] = readFileSync(join(file, name));
    return gtfsRoute(readGtfsFiles(files), { shapeId });
  }
  if (file.toLowerCase().endsWith('.zip')) return gtfsRoute(readGtfsZip(readFileSync(file)), { shapeId });
  // the file name names the route when the GeoJSON does not
  return parseGeoJsonRoute(JSON.parse(readFileSync(file, 'utf8')), {
    name: basename(file).replace(/\.(geo)?json$/i, ''),
  });
}

export function toRouteInput(route: ImportedRoute, id = route.externalId ?? route.shapeId ?? route.name): RouteInput {
  return {
    id,
    path: route.path.coordinates,
    stops: route.stops.map((s) => ({
      id: s.externalId ?? String(s.sequence),
      sequence: s.sequence,
      name: s.name,
      lat: s.lat,
      lon: s.lon,
      radiusM: s.radiusM,
      scheduledTime: s.scheduledTime,
    })),
  };
}
