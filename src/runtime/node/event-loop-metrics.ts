// The Node process's event-loop delay in /metrics: how long a ready callback (a request, a socket read, a fix's
// acknowledgement) waited for the loop. A long synchronous burst (a job, a big batch) shows here first, before it
// shows as a slow acknowledgement or a late live message. Quantiles are over the time since the previous scrape.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Metrics } from '../../pipeline/metrics';

/** Sampling resolution of the delay histogram (ms): delays are measured to about this precision. */
const RESOLUTION_MS = 10;
const QUANTILES = [0.5, 0.99, 1] as const;
const NS_PER_S = 1e9;

export function registerEventLoopMetrics(metrics: Metrics): { stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let snapshot = new Map<number, number>();
  metrics.beforeRender(() => {
    // The timer's own resolution is part of every sample: it is taken off, so an idle loop reads about 0.
    const offNs = RESOLUTION_MS * 1e6;
    snapshot = new Map(
      QUANTILES.map((q) => {
        const ns = histogram.count === 0 ? 0 : q === 1 ? histogram.max : histogram.percentile(q * 100);
        return [q, Math.max(0, ns - offNs) / NS_PER_S];
      }),
    );
    histogram.reset();
  });
  for (const q of QUANTILES)
    metrics.gauge(
      'busguard_event_loop_delay_seconds',
      'How long ready callbacks waited for the event loop, since the previous scrape (quantile 1 = the longest wait)',
      () => snapshot.get(q) ?? 0,
      { quantile: String(q) },
    );
  return { stop: () => histogram.disable() };
}
