// How the Node servers listen. A fleet connects in bursts (every device after a network outage or a server restart,
// a thousand phones opening their keep-alive connections at once): with Node's default accept queue of 511, the
// kernel drops the connections beyond it and each retries its SYN after 1, 3, 7, 15 s — positions held for seconds.
// The queue asked for here is cut to net.core.somaxconn by the kernel.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

/** Connections the kernel queues for accept() on each listening socket (bounded by net.core.somaxconn). */
export const LISTEN_BACKLOG = 4096;

/**
 * How long an idle keep-alive HTTP connection stays open. Devices post every few seconds (OsmAnd clients every 5–30
 * s): kept open past their interval, a report costs no new TCP connection (Node's default is 5 s).
 */
export const HTTP_KEEP_ALIVE_MS = 65_000;

/** Listens on host:port with the fleet-sized accept queue; resolves once listening. */
export function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Keep-alive settings for an HTTP server that devices post to (headers wait a little longer than the idle time). */
export function keepDevicesConnected(server: HttpServer): void {
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  server.headersTimeout = HTTP_KEEP_ALIVE_MS + 1_000;
}

/**
 * An HTTP server for a fetch handler (hono), as @hono/node-server's `serve` starts one, with the accept queue and
 * keep-alive above. Returned at once; `onListening` runs once it listens (a listen error is the server's 'error').
 */
export function serveHttp(
  fetch: (request: Request) => Response | Promise<Response>,
  opts: { port: number; host: string },
  onListening?: (address: AddressInfo) => void,
): HttpServer {
  const server = createAdaptorServer({ fetch, hostname: opts.host }) as HttpServer;
  keepDevicesConnected(server);
  server.listen({ port: opts.port, host: opts.host, backlog: LISTEN_BACKLOG }, () =>
    onListening?.(server.address() as AddressInfo),
  );
  return server;
}
