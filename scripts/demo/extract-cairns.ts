// Regenerates scripts/demo/cairns-routes.json from the Cairns GTFS fixture (three routes for the demo district).
// Usage: npx tsx scripts/demo/extract-cairns.ts [path/to/cairns_gtfs.zip]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gtfsRoute, readGtfsZip } from '../../src/ingest/gtfs';

const zipPath = process.argv[2] ?? fileURLToPath(new URL('../../test/fixtures/gtfs/cairns_gtfs.zip', import.meta.url));
const feed = readGtfsZip(new Uint8Array(readFileSync(zipPath)));
const routes = ['121-423', '130-423', '141-423'].map((routeId) => {
  const r = gtfsRoute(feed, { routeId });
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return {
    ...r,
    path: { type: 'LineString', coordinates: r.path.coordinates.map(([x, y]) => [round(x), round(y)]) },
  };
});
const out = {
  origin:
    'Cairns (Queensland) GTFS feed, 2014, routes 121, 130 and 141: shapes, stops and the first trip of each. ' +
    'Data from TransLink Queensland, as shipped in the gtfs_kit repository (data/cairns_gtfs.zip, MIT).',
  routes,
};
writeFileSync(fileURLToPath(new URL('../../src/demo/cairns-routes.json', import.meta.url)), JSON.stringify(out) + '\n');
console.log(routes.map((r) => `${r.name}: ${r.path.coordinates.length} points, ${r.stops.length} stops`).join('\n'));
