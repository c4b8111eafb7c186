// Replays a recorded trace against an approved route through the filters and the engine.
// npm run -s replay -- --route FILE [--shape ID] --trace FILE [--preset cn-2012] [--capacity N] [--progress] [--eta]
// Prints one JSON object per engine event, in time order; with --eta also, for every accepted fix, the ETAs the
// live side would publish at that moment. `--help` prints the usage.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getPreset } from '../src/core/presets/index';
import { loadImportedRoute, toRouteInput } from './lib/route-files';
import { replay } from './lib/replay-run';
import { parseTrace } from './lib/trace-formats';

const USAGE = `usage: npm run -s replay -- --route FILE [--shape ID] --trace FILE [options]

Replays a recorded trace against an approved route through the server's filters and safety engine and prints
one JSON object per line, in time order.

  --route FILE     the approved route: GeoJSON (a LineString, stops as Point features) or a GTFS feed (zip or folder)
  --shape ID       GTFS only: the shape id of the route
  --trace FILE     the recorded drive: CSV, JSON lines or a barefoot JSON trace
  --preset NAME    rule preset (default cn-2012)
  --capacity N     approved capacity of the bus (default 40)
  --progress       also print trip.progress events
  --eta            also print, for every accepted fix, the ETAs the live side would publish at that moment:
                   {"type":"eta","time":ISO,"stops":[{"stopId":…,"etaTime":ISO},…]}
  -h, --help       print this help

A summary (fixes, rejected by reason, late) goes to stderr.
`;

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        route: { type: 'string' },
        shape: { type: 'string' },
        trace: { type: 'string' },
        preset: { type: 'string', default: 'cn-2012' },
        capacity: { type: 'string' },
        progress: { type: 'boolean', default: false },
        eta: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.route || !values.trace) {
    process.stderr.write(`replay: --route and --trace are required\n\n${USAGE}`);
    process.exit(2);
  }
  const route = toRouteInput(loadImportedRoute(values.route, values.shape));
  const fixes = parseTrace(readFileSync(values.trace, 'utf8'));
  const result = replay(route, fixes, {
    config: getPreset(values.preset!),
    capacity: values.capacity !== undefined ? Number(values.capacity) : undefined,
    eta: values.eta,
  });
  const out: string[] = [];
  for (const e of result.timeline ?? result.events) {
    if (e.type === 'trip.progress' && !values.progress) continue;
    if (e.type === 'eta') {
      out.push(
        JSON.stringify({
          type: 'eta',
          time: new Date(e.timeMs).toISOString(),
          stops: e.stops.map((s) => ({ stopId: s.stopId, etaTime: new Date(s.etaMs).toISOString() })),
        }),
      );
      continue;
    }
    const { type, timeMs, ...rest } = e;
    out.push(JSON.stringify({ type, time: new Date(timeMs).toISOString(), ...rest }));
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  const rejected = Object.entries(result.rejected)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
  process.stderr.write(`fixes=${fixes.length} rejected: ${rejected || 'none'} late=${result.late}\n`);
}

try {
  main();
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`replay: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
  process.exit(1);
}
