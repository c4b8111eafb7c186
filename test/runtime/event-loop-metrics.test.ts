// The process's event-loop delay on /metrics: a synchronous burst shows as the longest wait of the next scrape,
// and each scrape starts a new window.
import { afterAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/pipeline/metrics';
import { registerEventLoopMetrics } from '../../src/runtime/node/event-loop-metrics';

const metrics = new Metrics();
const monitor = registerEventLoopMetrics(metrics);
afterAll(() => monitor.stop());

const delayS = (text: string, quantile: string) => {
  const m = new RegExp(`^busguard_event_loop_delay_seconds\\{quantile="${quantile}"\\} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no quantile ${quantile} in:\n${text}`);
  return Number(m[1]);
};
const turns = (n: number) =>
  new Promise<void>((resolve) => {
    let left = n;
    const next = () => (--left <= 0 ? resolve() : setTimeout(next, 5));
    setTimeout(next, 5);
  });
const blockMs = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('event-loop delay metrics', () => {
  it('reports a 400 ms synchronous burst as the longest wait, then starts a new window at each scrape', async () => {
    metrics.render(); // a window starts
    await turns(5);
    blockMs(400);
    await turns(5);
    const text = metrics.render();
    expect(text).toMatch(/^# TYPE busguard_event_loop_delay_seconds summary$/m);
    // A summary's sum and count run over the process's life: the burst is in the sum.
    const sumS = Number(/^busguard_event_loop_delay_seconds_sum (\S+)$/m.exec(text)?.[1]);
    const count = Number(/^busguard_event_loop_delay_seconds_count (\S+)$/m.exec(text)?.[1]);
    expect(sumS).toBeGreaterThanOrEqual(0.3);
    expect(count).toBeGreaterThan(0);
    expect(delayS(text, '1')).toBeGreaterThanOrEqual(0.3);
    expect(delayS(text, '1')).toBeLessThan(5);
    expect(delayS(text, '0.5')).toBeLessThan(delayS(text, '1'));
    await turns(5);
    // The burst belongs to the previous window; the sum and count keep growing.
    const next = metrics.render();
    expect(delayS(next, '1')).toBeLessThan(0.3);
    expect(Number(/^busguard_event_loop_delay_seconds_sum (\S+)$/m.exec(next)?.[1])).toBeGreaterThanOrEqual(sumS);
    expect(Number(/^busguard_event_loop_delay_seconds_count (\S+)$/m.exec(next)?.[1])).toBeGreaterThan(count);
  });
});
