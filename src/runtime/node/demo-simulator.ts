// With the demo district, `npm start` drives the demo buses along their routes so a newcomer sees them move:
// the fleet simulator (src/demo/simulate.ts) in this process, over loopback, one hour at a time until stopped.
import { parseArgs, simulate } from '../../demo/simulate';
import type { Logger } from '../../logging';

export interface DemoTargets {
  /** Ports the servers are bound to (the configured ones may be 0). */
  http: number;
  jt808: number;
  osmand: number;
  dataDir: string;
}

export function startDemoSimulator(targets: DemoTargets, log: Logger): { stop(): void } {
  let stopped = false;
  const env = {
    PORT: String(targets.http),
    JT808_PORT: String(targets.jt808),
    OSMAND_PORT: String(targets.osmand),
    DATA_DIR: targets.dataDir,
  };
  const loop = async () => {
    // Let the servers finish binding before the first device connects.
    await new Promise((r) => setTimeout(r, 1000));
    while (!stopped) {
      try {
        const options = parseArgs(['--duration', '3600', '--interval', '2'], env);
        options.log = (msg, fields) => log.debug(`simulator: ${msg}`, fields);
        log.info('demo simulator driving the demo buses', { interval: '2 s', stop: 'SIMULATE=0 turns it off' });
        await simulate(options);
      } catch (err) {
        log.warn('demo simulator stopped', { error: String(err) });
        await new Promise((r) => setTimeout(r, 30_000));
      }
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
    },
  };
}
