// `npm run gateway`: the stateless JT/T 808 gateway for a Workers deployment — today's TCP server (frames, replies,
// registration, limits) with no engine and no database; every fix goes to the Worker, and a terminal gets its
// 0x8001 result 0 only once the bus's object has committed it. Several gateways can sit behind one TCP load
// balancer: they share nothing.
//   WORKER_URL         the Worker's URL (https://busguard.example.workers.dev)
//   GATEWAY_TOKEN      the Worker's GATEWAY_TOKEN secret
//   JT808_PORT         TCP port (default 6808); HOST (default 0.0.0.0, for both ports); LOG_LEVEL (default info)
//   GATEWAY_HTTP_PORT  HTTP port for the load balancer and monitoring (default unset = no HTTP listener):
//                      GET /healthz is 200 {"status":"ok","workerLink":"up",…} while the link to the Worker is open
//                      and 503 (workerLink "down") while it is not; GET /metrics is the Prometheus text (link, calls
//                      to the Worker, the JT/T 808 server's counters). See ./http.ts.
//   METRICS_TOKEN      bearer token /metrics requires (at least 16 characters); unset = /metrics is open (keep the
//                      HTTP port on a private network then). /healthz never asks for it.
// Prints one JSON line {"msg":"gateway ready","jt808Port":…,"httpPort":…} once both listen (port 0 = any free port).
import { createLogger, type LogLevel } from '../../logging';
import { registerJt808Metrics, startJt808Server } from '../node/jt808-server';
import { type GatewayHttp, startGatewayHttp } from './http';
import { WorkerIngest } from './worker-ingest';

function portFrom(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`${name} must be a port number (0-65535)`);
  return port;
}

async function main() {
  const workerUrl = process.env.WORKER_URL;
  const token = process.env.GATEWAY_TOKEN;
  if (!workerUrl || !token) throw new Error('WORKER_URL and GATEWAY_TOKEN are required');
  const port = portFrom('JT808_PORT', process.env.JT808_PORT ?? '6808');
  const httpPort = process.env.GATEWAY_HTTP_PORT
    ? portFrom('GATEWAY_HTTP_PORT', process.env.GATEWAY_HTTP_PORT)
    : undefined;
  const metricsToken = process.env.METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16)
    throw new Error('METRICS_TOKEN must be at least 16 characters');
  const host = process.env.HOST ?? '0.0.0.0';
  const log = createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info' });

  const ingest = new WorkerIngest({ workerUrl, token, log });
  const server = await startJt808Server({ port, host, ingest, log });
  registerJt808Metrics(ingest.metrics, server);
  let http: GatewayHttp | undefined;
  if (httpPort !== undefined)
    http = await startGatewayHttp({ port: httpPort, host, ingest, jt808: server, metricsToken, log });
  console.log(JSON.stringify({ msg: 'gateway ready', jt808Port: server.port, httpPort: http?.port }));
  const stop = async () => {
    // The health check goes first: the load balancer stops sending while the terminals' connections close.
    await http?.close();
    await server.close();
    await ingest.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
