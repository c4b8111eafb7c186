// JT/T 808 TCP server: sockets → frame splitter → session handler → ingest → replies.
//
// Per connection, frames are processed strictly in arrival order by one drain loop (a queue with one worker).
// Position, batch, driver-card and passenger-flow messages are acknowledged (0x8001 result 0) only after the
// ingest has committed them; when storage is unavailable they get result 1 and the terminal keeps its data.
// Consecutive frames already received are handed to the ingest as one submission (their acks still go out in
// frame order), which is what lets a terminal that pipelines its reports reach the database in batches.
//
// Registration and authentication need the registry: the handler's lookup is synchronous, so the device named
// by a 0x0100 / 0x0102 frame is resolved (asynchronously, through the ingest's cache) before that frame is
// handled, and the handler gets a lookup that closes over the resolved device. A registration issues a fresh
// auth code; its hash is stored before the 0x8100 carrying it is sent.
//
// Protection: connection limits (total and per remote address), an idle timeout, a garbage / bad-frame limit
// that closes the connection, a token bucket per connection (frames/s; excess frames are answered with result
// 1 and counted), a per-connection cap on frames waiting for the drain loop (reading pauses above it) and on
// unsent output (a peer that does not read is dropped).
//
// The parts: jt808/limits.ts (limits, connection gate, token bucket), jt808/connection.ts (one connection),
// jt808/protocol.ts (glue to the session handler), jt808/device-cache.ts (terminals resolved per connection),
// jt808/auth-code.ts (auth codes), jt808/stats.ts (counters and /metrics).
import net from 'node:net';
import type { Logger } from '../../logging';
import type { Ingest } from '../../pipeline/types';
import { Connection } from './jt808/connection';
import { ConnectionGate, DEFAULT_JT808_LIMITS, type Jt808ServerLimits } from './jt808/limits';
import { newJt808Stats, type Jt808ServerStats } from './jt808/stats';
import { listen } from './listen';

export { DEFAULT_JT808_LIMITS, type Jt808ServerLimits } from './jt808/limits';
export { registerJt808Metrics, type Jt808ServerStats } from './jt808/stats';
export { generateAuthCode, sha256Hex } from './jt808/auth-code';
export { peekMsgId } from './jt808/protocol';

export interface Jt808ServerOptions {
  /** 0 = any free port (see the returned `port`). */
  port: number;
  host?: string;
  ingest: Ingest;
  log: Logger;
  now?: () => number;
  limits?: Partial<Jt808ServerLimits>;
}

export interface Jt808Server {
  port: number;
  stats(): Jt808ServerStats;
  /** Stops listening, closes every connection and waits for in-flight ingest calls to settle. */
  close(): Promise<void>;
}

export async function startJt808Server(opts: Jt808ServerOptions): Promise<Jt808Server> {
  const limits: Jt808ServerLimits = { ...DEFAULT_JT808_LIMITS, ...opts.limits };
  const { ingest, log } = opts;
  const stats = newJt808Stats();
  const gate = new ConnectionGate(limits);
  const connections = new Set<Connection>();
  const warnedNonBcd = new Set<string>();
  const context = {
    limits,
    now: opts.now ?? Date.now,
    ingest,
    log,
    stats,
    warnNonBcdOnce(deviceId: string, phoneHex: string) {
      if (warnedNonBcd.has(deviceId)) return;
      if (warnedNonBcd.size >= 100_000) warnedNonBcd.clear();
      warnedNonBcd.add(deviceId);
      log.warn('jt808 terminal phone field is not BCD; keyed by its hex digits', { deviceId, phoneField: phoneHex });
    },
    onClosed(conn: Connection) {
      connections.delete(conn);
      gate.release(conn.address);
      stats.connectionsOpen = gate.openConnections;
    },
  };

  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (!gate.admit(address)) {
      stats.connectionsRefused++;
      ingest.countRejected('jt808', 'connection_limit');
      log.warn('jt808 connection refused: limit', {
        remote: address,
        open: connections.size,
        fromAddress: gate.fromAddress(address),
      });
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    stats.connectionsAccepted++;
    stats.connectionsOpen = gate.openConnections;
    const conn = new Connection(socket, address, context);
    connections.add(conn);
    log.debug('jt808 connection', { conn: conn.id, remote: conn.remote });
  });
  server.maxConnections = limits.maxConnections + 64; // our own check answers first; this is a backstop

  await listen(server, opts.port, opts.host ?? '0.0.0.0');
  server.on('error', (err) => log.error('jt808 server error', { error: err.message }));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info('jt808 listening', { host: opts.host ?? '0.0.0.0', port });

  let closing: Promise<void> | undefined;
  return {
    port,
    stats: () => ({ ...stats }),
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const drains = [...connections].map((c) => c.drainPromise).filter((p): p is Promise<void> => p !== undefined);
        for (const c of connections) c.close();
        await Promise.allSettled(drains);
        await closed;
        log.info('jt808 server closed', { port });
      })()),
  };
}
