// `npm run gateway`: the stateless JT/T 808 gateway for a Workers deployment — today's TCP server (frames, replies,
// registration, limits) with no engine and no database; every fix goes to the Worker, and a terminal gets its
// 0x8001 result 0 only once the bus's object has committed it. Several gateways can sit behind one TCP load
// balancer: they share nothing.
//   WORKER_URL      the Worker's URL (https://busguard.example.workers.dev)
//   GATEWAY_TOKEN   the Worker's GATEWAY_TOKEN secret
//   JT808_PORT      TCP port (default 6808); HOST (default 0.0.0.0); LOG_LEVEL (default info)
import { createLogger, type LogLevel } from '../../logging';
import { startJt808Server } from '../node/jt808-server';
import { WorkerIngest } from './worker-ingest';

async function main() {
  const workerUrl = process.env.WORKER_URL;
  const token = process.env.GATEWAY_TOKEN;
  if (!workerUrl || !token) throw new Error('WORKER_URL and GATEWAY_TOKEN are required');
  const log = createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info' });
  const port = Number(process.env.JT808_PORT ?? 6808);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('JT808_PORT must be a port number');
  const ingest = new WorkerIngest({ workerUrl, token, log });
  const server = await startJt808Server({ port, host: process.env.HOST ?? '0.0.0.0', ingest, log });
  console.log(JSON.stringify({ msg: 'gateway ready', jt808Port: server.port }));
  const stop = async () => {
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
