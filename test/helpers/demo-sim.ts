// The demo simulator's options for a test: the demo district's devices and attendants, driven against the test's
// servers (HTTP API, JT/T 808, OsmAnd), quiet.
import { parseArgs, type SimulateOptions } from '../../src/demo/simulate';
import type { DemoResult } from '../../src/demo/seed';

export function demoSimOptions(
  demo: DemoResult,
  o: { apiUrl: string; adminToken: string; jt808Port: number; osmandPort: number; speedup: number; durationS: number },
): SimulateOptions {
  const opts = parseArgs(
    [
      '--api',
      o.apiUrl,
      '--token',
      o.adminToken,
      '--jt808',
      `127.0.0.1:${o.jt808Port}`,
      '--osmand',
      `http://127.0.0.1:${o.osmandPort}/`,
      '--speedup',
      String(o.speedup),
      '--duration',
      String(o.durationS),
      '--interval',
      '10',
    ],
    {},
  );
  opts.log = () => {};
  opts.deviceTokens = new Map([
    [demo.devices.find((d) => d.protocol === 'json')!.identifier, demo.tokens.find((t) => t.role === 'device')!.token],
  ]);
  opts.deviceSecrets = new Map(
    demo.devices.filter((d) => d.protocol === 'osmand').map((d) => [d.identifier, d.secret]),
  );
  opts.attendantTokens = new Map(
    demo.tokens.filter((t) => t.role === 'attendant').map((t) => [t.attendantId!, t.token]),
  );
  return opts;
}
