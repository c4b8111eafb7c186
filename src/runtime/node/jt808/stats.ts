// The JT/T 808 server's counters and their /metrics names.
import type { Metrics } from '../../../pipeline/metrics';

export interface Jt808ServerStats {
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  closedIdle: number;
  closedGarbage: number;
  closedSlowReader: number;
  bytesIn: number;
  framesIn: number;
  badFrames: number;
  garbageBytes: number;
  rateLimitedFrames: number;
  /** Times a connection's reading was paused because its frames waited for storage. */
  readPauses: number;
  fixesAcked: number;
  fixesRefusedStorage: number;
  registrations: number;
  authentications: number;
  unknownTerminals: number;
}

export function newJt808Stats(): Jt808ServerStats {
  return {
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    closedIdle: 0,
    closedGarbage: 0,
    closedSlowReader: 0,
    bytesIn: 0,
    framesIn: 0,
    badFrames: 0,
    garbageBytes: 0,
    rateLimitedFrames: 0,
    readPauses: 0,
    fixesAcked: 0,
    fixesRefusedStorage: 0,
    registrations: 0,
    authentications: 0,
    unknownTerminals: 0,
  };
}

/** Exposes the server's counters on /metrics. */
export function registerJt808Metrics(metrics: Metrics, server: { stats(): Jt808ServerStats }): void {
  metrics.gauge('busguard_jt808_connections_open', 'Open JT/T 808 connections', () => server.stats().connectionsOpen);
  const counters: [keyof Jt808ServerStats, string][] = [
    ['connectionsAccepted', 'JT/T 808 connections accepted'],
    ['connectionsRefused', 'JT/T 808 connections refused by the limits'],
    ['closedIdle', 'JT/T 808 connections closed for idleness'],
    ['closedGarbage', 'JT/T 808 connections closed for garbage or repeated bad frames'],
    ['closedSlowReader', 'JT/T 808 connections closed because they did not read their replies'],
    ['framesIn', 'JT/T 808 frames received'],
    ['badFrames', 'JT/T 808 frames refused (checksum, escape, header)'],
    ['rateLimitedFrames', 'JT/T 808 frames refused by the per-connection rate limit'],
    ['fixesAcked', 'JT/T 808 positions acknowledged after commit'],
    ['fixesRefusedStorage', 'JT/T 808 positions answered with result 1 (storage unavailable)'],
    ['unknownTerminals', 'JT/T 808 registrations or logins from terminals not in the registry'],
  ];
  for (const [field, help] of counters) {
    const snake = field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    metrics.counterFrom(`busguard_jt808_${snake}_total`, help, () => server.stats()[field]);
  }
}
