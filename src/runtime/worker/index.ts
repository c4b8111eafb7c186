// Cloudflare Workers entry: the same Hono app against PostgreSQL through a Hyperdrive binding. Device input (JSON
// telemetry, OsmAnd) is handed to the bus's Durable Object (BusObject), which hosts the bus's lane. Migrations are
// applied from Node (npm start with DATABASE_URL, or drizzle-kit). What the app and the jobs publish on a school's
// violations topic goes to the school's object (SchoolTopicPublisher), as the bus objects' violations do.
import { createApp } from '../../http/app';
import type { AttendanceDeps } from '../../http/resources/attendance';
import { createLogger } from '../../logging';
import type { Database } from '../../store/db';
import { createPostgresDatabase } from '../../store/postgres-db';
import type { ExecutionContext } from './cf';
import type { WorkerEnv } from './env';
import { GATEWAY_PATH } from './gateway-protocol';
import { gatewaySession } from './gateway-session';
import { LIVE_PATH, liveSession } from './live-session';
import { ObjectIngest } from './object-ingest';
import { workerPage } from './pages';
import { runScheduled } from './scheduled';
import { SchoolTopicPublisher, schoolTopicHooks } from './school-topics';

export { BusObject } from './bus-object';
export type Env = WorkerEnv;

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const log = createLogger({ level: env.LOG_LEVEL ?? 'info' });
    if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      const path = new URL(request.url).pathname;
      if (path === LIVE_PATH) return liveSession(request, env, log);
      if (path === GATEWAY_PATH) return gatewaySession(request, env, log);
    }
    // The pages' HTML shells (their scripts and styles are static assets, served before the Worker runs).
    const page = await workerPage(request, env);
    if (page) return page;
    // Hyperdrive pools connections itself: one short-lived client per request.
    const database: Database = createPostgresDatabase({ url: env.HYPERDRIVE.connectionString, maxConnections: 5 });
    const ingest = new ObjectIngest(database, env.BUS, log, Date.now);
    const schoolTopics = new SchoolTopicPublisher(env.BUS, log, (send) => ctx.waitUntil(send));
    // The sweep route's child-left-on-board alert reaches the school's managers live (Node: the live hub).
    const deps: AttendanceDeps = {
      database,
      log,
      now: Date.now,
      ingest,
      attendance: { publishAlert: schoolTopicHooks(schoolTopics).publishAlert },
    };
    const app = createApp(deps);
    try {
      return await app.fetch(request);
    } finally {
      ctx.waitUntil(database.close());
    }
  },

  /** Cron Trigger: the schedule table's jobs due at this minute. */
  async scheduled(event: { scheduledTime: number }, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const database: Database = createPostgresDatabase({ url: env.HYPERDRIVE.connectionString, maxConnections: 2 });
    const log = createLogger({ level: env.LOG_LEVEL ?? 'info' });
    const run = runScheduled(
      { database, log, bus: env.BUS, defaultTimeZone: env.DEFAULT_TIME_ZONE },
      event.scheduledTime,
    )
      .then((outcomes) => {
        const failed = outcomes.filter((o) => o.status === 'failed');
        if (failed.length) log.error('scheduled jobs failed', { jobs: failed.map((o) => o.job) });
      })
      .finally(() => database.close());
    ctx.waitUntil(run);
    await run;
  },
};
