// The JT/T 808 gateway's small HTTP listener (GATEWAY_HTTP_PORT), for the load balancer in front and the operator:
//   GET /healthz  200 {"status":"ok","workerLink":"up",…} while the WebSocket link to the Worker is open; 503 with
//                 the same shape ("status":"unavailable","workerLink":"down") while it is not, so a load balancer
//                 drains a gateway that cannot store anything. Also: open terminal connections, calls in flight,
//                 since when the link is in its state, how often it was lost.
//   GET /metrics  the Prometheus text of the ingest's registry: the link (busguard_gateway_*), the refused inputs
//                 and the JT/T 808 server's counters (registered on it by main.ts, as Node does). With a metrics token
//                 only for `Authorization: Bearer <token>` (compared in constant time), 401 otherwise.
// HEAD is GET without the body; another method on these paths is 405, another path 404, both in the API's error
// envelope. Nothing here reads a request body.
import http from 'node:http';
import { bearerMatches } from '../../auth/tokens';
import { type ErrorCode, envelope } from '../../http/errors';
import type { Logger } from '../../logging';
import type { Metrics } from '../../pipeline/metrics';
import type { Jt808ServerStats } from '../node/jt808-server';
import type { WorkerLinkState } from './worker-ingest';

export interface GatewayHttpOptions {
  /** 0 = any free port (see the returned `port`). */
  port: number;
  host?: string;
  /** the gateway's ingest (WorkerIngest): its metrics registry and the state of its link */
  ingest: { readonly metrics: Metrics; link(): WorkerLinkState };
  jt808: { stats(): Jt808ServerStats };
  /** unset = /metrics is open (keep the port on a private network then) */
  metricsToken?: string;
  log: Logger;
  now?: () => number;
}

export interface GatewayHttp {
  port: number;
  /** Stops listening and closes the open connections. */
  close(): Promise<void>;
}

export interface GatewayHealth {
  status: 'ok' | 'unavailable';
  workerLink: 'up' | 'down';
  /** when the link last went up or down (ISO 8601) */
  workerLinkSince: string;
  workerLinkDrops: number;
  callsInFlight: number;
  terminalConnections: number;
  uptimeS: number;
}

const PATHS = new Set(['/healthz', '/metrics']);

export async function startGatewayHttp(opts: GatewayHttpOptions): Promise<GatewayHttp> {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const startedMs = now();
  const idPrefix = Math.random().toString(36).slice(2, 8);
  let requests = 0;

  const health = (): GatewayHealth => {
    const link = opts.ingest.link();
    return {
      status: link.up ? 'ok' : 'unavailable',
      workerLink: link.up ? 'up' : 'down',
      workerLinkSince: new Date(link.sinceMs).toISOString(),
      workerLinkDrops: link.drops,
      callsInFlight: link.callsInFlight,
      terminalConnections: opts.jt808.stats().connectionsOpen,
      uptimeS: Math.floor((now() - startedMs) / 1000),
    };
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const given = req.headers['x-request-id'];
    const requestId =
      typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : `${idPrefix}-${(++requests).toString(36)}`;
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      const bytes = Buffer.from(body);
      res.writeHead(status, {
        'content-type': type,
        'content-length': String(bytes.length),
        'cache-control': 'no-store',
        'x-request-id': requestId,
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    };
    const json = (status: number, body: unknown, headers?: Record<string, string>) =>
      send(status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
    const error = (status: number, code: ErrorCode, message: string, headers?: Record<string, string>) =>
      json(status, envelope(code, message, requestId), headers);

    try {
      const path = new URL(req.url ?? '/', 'http://gateway').pathname;
      if (!PATHS.has(path)) return error(404, 'not_found', `${path} not found (the gateway serves /healthz, /metrics)`);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return error(405, 'method_not_allowed', `${path} takes GET or HEAD`, { allow: 'GET, HEAD' });
      if (path === '/healthz') {
        const h = health();
        return json(h.workerLink === 'up' ? 200 : 503, h, h.workerLink === 'up' ? {} : { 'retry-after': '1' });
      }
      if (opts.metricsToken !== undefined && !bearerMatches(req.headers.authorization, opts.metricsToken))
        return error(401, 'unauthorized', '/metrics needs the METRICS_TOKEN bearer token', {
          'www-authenticate': 'Bearer',
        });
      return send(200, 'text/plain; version=0.0.4; charset=utf-8', opts.ingest.metrics.render());
    } catch (err) {
      log.error('gateway http: unhandled', { requestId, error: String(err), stack: (err as Error).stack });
      if (!res.headersSent) error(500, 'internal', 'Internal error');
      else res.destroy();
    }
  };

  const server = http.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error('gateway http server error', { error: err.message }));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info('gateway http listening', { host: opts.host ?? '0.0.0.0', port, metricsToken: !!opts.metricsToken });

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
