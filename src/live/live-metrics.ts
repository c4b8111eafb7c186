// The live hub in /metrics: how many clients follow how many topics, what is written to them (by message type),
// what waits in their queues, and the clients it had to drop or refuse. An operator sees the parents' side of the
// service here: a growing queue or slow-consumer count says the sockets, not the ingest, are behind.
import type { Metrics } from '../pipeline/metrics';
import type { LiveHub } from './hub';
import { liveMessageTypes } from './messages';

export function registerLiveMetrics(metrics: Metrics, hub: LiveHub): void {
  // One pass over the connections per scrape for the queue gauges.
  let stats = hub.stats();
  metrics.beforeRender(() => {
    stats = hub.stats();
  });
  metrics.gauge(
    'busguard_live_connections',
    'Open live (WebSocket) sessions on this instance',
    () => stats.connections,
  );
  metrics.gauge('busguard_live_topics', 'Topics with at least one subscriber on this instance', () => stats.topics);
  metrics.gauge(
    'busguard_live_queued_messages',
    'Messages waiting for a client socket to drain (all sessions)',
    () => stats.queuedMessages,
  );
  metrics.gauge('busguard_live_queued_bytes', 'Characters of the queued messages', () => stats.queuedBytes);
  for (const type of [...liveMessageTypes, 'control'] as const)
    metrics.counterFrom(
      'busguard_live_messages_sent_total',
      'Messages written to client sockets, by type (control: authenticated, subscribed, errors)',
      () => hub.sentByType[type],
      { type },
    );
  metrics.counterFrom(
    'busguard_live_messages_conflated_total',
    'Queued positions and ETAs replaced by a newer one before a slow client read them',
    () => hub.counters.conflated,
  );
  metrics.counterFrom(
    'busguard_live_slow_consumers_closed_total',
    'Sessions closed because the client read too slowly (queue over its limit)',
    () => hub.counters.slowClosed,
  );
  metrics.counterFrom(
    'busguard_live_subscriptions_refused_total',
    'Sign-ins and subscriptions refused (bad token, a topic the caller may not follow, over the per-session limit)',
    () => hub.counters.refused,
  );
  metrics.counterFrom(
    'busguard_live_sessions_revoked_total',
    'Sessions ended because their token or user was revoked',
    () => hub.counters.revoked,
  );
}
