import { describe, it } from 'vitest';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { gtfsRoute, gtfsRoutes, listGtfsRoutes, readGtfsFiles, readGtfsZip } from '../../../src/ingest/gtfs';
import { RouteImportError } from '../../../src/ingest/route-import';
import { tinyFeedFiles } from './helpers';

function onlyRouteImportErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RouteImportError)) throw err;
  }
}

/** Every public entry point over one feed. */
function importEverything(files: Record<string, string | Uint8Array>): void {
  onlyRouteImportErrors(() => {
    const feed = readGtfsFiles(files);
    onlyRouteImportErrors(() => gtfsRoutes(feed));
    onlyRouteImportErrors(() => {
      for (const r of listGtfsRoutes(feed)) {
        onlyRouteImportErrors(() => gtfsRoute(feed, { routeId: r.routeId }));
        for (const shapeId of r.shapeIds) onlyRouteImportErrors(() => gtfsRoute(feed, { shapeId }));
      }
    });
  });
}

describe('GTFS parser on arbitrary input', () => {
  it('readGtfsZip throws only RouteImportError on arbitrary bytes (also after a PK signature)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, pk) => {
        const input = pk ? new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...bytes]) : bytes;
        onlyRouteImportErrors(() => readGtfsZip(input));
      }),
      { numRuns: 500 },
    );
  });

  it('readGtfsZip throws only RouteImportError on a real zip with bytes flipped', () => {
    const zip = zipSync(Object.fromEntries(Object.entries(tinyFeedFiles()).map(([n, t]) => [n, strToU8(t)])));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: zip.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (flips) => {
          const copy = zip.slice();
          for (const [at, v] of flips) copy[at] = v;
          onlyRouteImportErrors(() => {
            const feed = readGtfsZip(copy);
            onlyRouteImportErrors(() => gtfsRoutes(feed));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the route functions throw only RouteImportError when any feed file is replaced by arbitrary text', () => {
    const names = Object.keys(tinyFeedFiles());
    const csvish = fc.string({
      maxLength: 120,
      unit: fc.constantFrom('S1', 'T1', 'R1', 'A', '40', '-75', '1', ',', '\n', '"', ':', 'x', ''),
    });
    fc.assert(
      fc.property(fc.constantFrom(...names), csvish, (name, text) => {
        const files = tinyFeedFiles();
        // keep the header so the arbitrary rows hit value checks, not only the missing-column check
        files[name] = files[name]!.split('\n')[0] + '\n' + text;
        importEverything(files);
      }),
      { numRuns: 400 },
    );
  });

  it('the route functions throw only RouteImportError on feeds built by hand with odd rows', () => {
    const oddRow = fc.dictionary(
      fc.constantFrom(
        'route_id',
        'trip_id',
        'shape_id',
        'stop_id',
        'stop_sequence',
        'shape_pt_sequence',
        'shape_pt_lat',
        'shape_pt_lon',
        'stop_lat',
        'stop_lon',
        'arrival_time',
      ),
      fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('1', '2', '-75', '40', 'R1', 'T1', 'S1', 'A')),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('routes.txt', 'trips.txt', 'shapes.txt', 'stop_times.txt', 'stops.txt'),
          fc.array(oddRow, { maxLength: 4 }),
        ),
        (files) => {
          const feed = { files: new Map(Object.entries(files)) };
          onlyRouteImportErrors(() => gtfsRoutes(feed));
          onlyRouteImportErrors(() => gtfsRoute(feed, { routeId: 'R1' }));
          onlyRouteImportErrors(() => gtfsRoute(feed, { tripId: 'T1' }));
          onlyRouteImportErrors(() => gtfsRoute(feed, { shapeId: 'S1' }));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('readGtfsFiles throws only RouteImportError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) =>
        importEverything({ ...tinyFeedFiles(), 'stops.txt': bytes }),
      ),
      { numRuns: 200 },
    );
  });
});
