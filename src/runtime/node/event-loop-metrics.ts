// The Node process's event-loop delay in /metrics: how long a ready callback (a request, a socket read, a fix's
// acknowledgement) waited for the loop. A long synchronous burst (a job, a big batch) shows here first, before it
// shows as a slow acknowledgement or a late live message. A summary: its quantiles are over the time since the previous
// scrape, its sum and count over the process's life.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Metrics } from '../../pipeline/metrics';

/** Sampling resolution of the delay histogram (ms): delays are measured to about this precision. */
const RESOLUTION_MS = 10;
const QUANTILES = [0.5, 0.99, 1] as const;
const NS_PER_S = 1e9;

export function registerEventLoopMetrics(metrics: Metrics): { stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // The timer's own resolution is part of every sample: it is taken off, so an idle loop reads about 0.
  const offNs = RESOLUTION_MS * 1e6;
  const delayS = (ns: number) => Math.max(0, ns - offNs) / NS_PER_S;
  let quantiles: [number, number][] = QUANTILES.map((q) => [q, 0]);
  let sumS = 0;
  let count = 0;
  metrics.beforeRender(() => {
    const n = histogram.count;
    quantiles = QUANTILES.map((q) => [
      q,
      n === 0 ? 0 : delayS(q === 1 ? histogram.max : histogram.percentile(q * 100)),
    ]);
    if (n > 0) {
      sumS += delayS(histogram.mean) * n;
      count += n;
    }
    histogram.reset();
  });
  metrics.summaryFrom(
    'busguard_event_loop_delay_seconds',
    'How long ready callbacks waited for the event loop: quantiles since the previous scrape (quantile 1 = the longest wait), sum and count since the start',
    () => ({ quantiles, sum: sumS, count }),
  );
  return { stop: () => histogram.disable() };
}
