// The postgres (postgres-js) driver: a real server, or Hyperdrive on Workers.
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database, Db } from './db';
import { schema } from './db';

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
}

export function createPostgresDatabase(opts: PostgresOptions): Database {
  const client = postgres(opts.url, {
    max: opts.maxConnections ?? 10,
    onnotice: () => {},
    // Dates come back as Date objects through drizzle; keep bigint counts as numbers.
    types: { bigint: postgres.BigInt },
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    query: async <T>(text: string, params: unknown[] = []) => (await client.unsafe(text, params as never[])) as unknown as T[],
    close: () => client.end({ timeout: 5 }),
  };
}
