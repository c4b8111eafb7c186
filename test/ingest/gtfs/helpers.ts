import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Project root (this file sits in test/ingest/gtfs). */
export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const fixturesDir = join(projectRoot, 'test/fixtures');

export function readCairnsZip(): Uint8Array {
  return new Uint8Array(readFileSync(join(fixturesDir, 'gtfs/cairns_gtfs.zip')));
}

export function readGoogleSampleFiles(): Record<string, Uint8Array> {
  const dir = join(fixturesDir, 'gtfs/google-sample');
  const files: Record<string, Uint8Array> = {};
  for (const name of readdirSync(dir)) files[name] = new Uint8Array(readFileSync(join(dir, name)));
  return files;
}

/**
 * A tiny two-route feed written for these tests. Route R1 runs along a straight street northwards with
 * shape S1 (points listed out of order, sequences 1, 2, 10 so that a text sort would misplace 10);
 * route R2 has no shape.
 */
export function tinyFeedFiles(): Record<string, string> {
  return {
    'routes.txt':
      'route_id,route_short_name,route_long_name,route_type\nR1,7,Maple School Loop,3\nR2,8,No Shape Line,3\n',
    'trips.txt':
      'route_id,service_id,trip_id,shape_id\n' + 'R1,WK,T2,S1\n' + 'R1,WK,T1,S1\n' + 'R1,WK,T3,S2\n' + 'R2,WK,T9,\n',
    'stops.txt':
      'stop_id,stop_code,stop_name,stop_lat,stop_lon\n' +
      'A,101,Oak Ave,40.0000,-75.0000\n' +
      'B,,Pine St,40.0050,-75.0000\n' +
      'C,103,"School Gate, North",40.0100,-75.0000\n',
    'stop_times.txt':
      'trip_id,arrival_time,departure_time,stop_id,stop_sequence\n' +
      'T1,7:05:00,7:05:00,A,1\n' +
      'T1,,07:11:00,B,5\n' +
      'T1,24:15:00,24:16:00,C,10\n' +
      'T2,08:05:00,08:05:00,A,1\n' +
      'T2,08:20:00,08:20:00,C,2\n' +
      'T3,09:00:00,09:00:00,C,1\n' +
      'T3,09:10:00,09:10:00,A,2\n' +
      'T9,10:00:00,10:00:00,A,1\n',
    'shapes.txt':
      'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n' +
      'S1,40.0100,-75.0000,10\n' +
      'S1,40.0000,-75.0000,1\n' +
      'S1,40.0050,-75.0000,2\n' +
      'S2,40.0100,-75.0001,1\n' +
      'S2,40.0000,-75.0001,2\n',
  };
}

/** Great-circle length of a [lon, lat] path in metres (independent of the code under test). */
export function lengthM(coords: [number, number][]): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  let total = 0;
  for (let i = 1; i < coords.length; i++) {
    const [lon1, lat1] = coords[i - 1]!;
    const [lon2, lat2] = coords[i]!;
    const h =
      Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
    total += 2 * R * Math.asin(Math.sqrt(h));
  }
  return total;
}
