// Cloudflare Workers entry: the same Hono app against PostgreSQL through a Hyperdrive binding.
// Migrations are applied from Node (npm start with DATABASE_URL, or drizzle-kit); live push, cron and the engine
// on Workers come later (Durable Objects per bus).
import { createApp } from '../../http/app';
import { createLogger } from '../../logging';
import type { Database } from '../../store/db';
import { createPostgresDatabase } from '../../store/postgres-db';

export interface Env {
  HYPERDRIVE: { connectionString: string };
  LOG_LEVEL?: 'debug' | 'info' | 'warn' | 'error';
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // Hyperdrive pools connections itself: one short-lived client per request.
    const database: Database = createPostgresDatabase({ url: env.HYPERDRIVE.connectionString, maxConnections: 5 });
    const app = createApp({ database, log: createLogger({ level: env.LOG_LEVEL ?? 'info' }), now: Date.now });
    try {
      return await app.fetch(request);
    } finally {
      ctx.waitUntil(database.close());
    }
  },
};
