// Replays a recorded trace against an approved route through the filters and the engine.
// npm run -s replay -- --route FILE [--shape ID] --trace FILE [--preset cn-2012] [--capacity N] [--progress]
// Prints one JSON object per engine event, in time order.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getPreset } from '../src/core/presets/index';
import { loadImportedRoute, toRouteInput } from './lib/route-files';
import { replay } from './lib/replay-run';
import { parseTrace } from './lib/trace-formats';

function main(): void {
  const { values } = parseArgs({
    options: {
      route: { type: 'string' },
      shape: { type: 'string' },
      trace: { type: 'string' },
      preset: { type: 'string', default: 'cn-2012' },
      capacity: { type: 'string' },
      progress: { type: 'boolean', default: false },
    },
  });
  if (!values.route || !values.trace) {
    process.stderr.write('usage: replay --route FILE [--shape ID] --trace FILE [--preset cn-2012] [--capacity N] [--progress]\n');
    process.exit(2);
  }
  const route = toRouteInput(loadImportedRoute(values.route, values.shape));
  const fixes = parseTrace(readFileSync(values.trace, 'utf8'));
  const result = replay(route, fixes, {
    config: getPreset(values.preset!),
    capacity: values.capacity !== undefined ? Number(values.capacity) : undefined,
  });
  const out: string[] = [];
  for (const e of result.events) {
    if (e.type === 'trip.progress' && !values.progress) continue;
    const { type, timeMs, ...rest } = e;
    out.push(JSON.stringify({ type, time: new Date(timeMs).toISOString(), ...rest }));
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  const rejected = Object.entries(result.rejected).map(([k, n]) => `${k}=${n}`).join(' ');
  process.stderr.write(`fixes=${fixes.length} rejected: ${rejected || 'none'} late=${result.late}\n`);
}

try {
  main();
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`replay: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
  process.exit(1);
}
