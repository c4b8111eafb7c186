// The embedded database: PGlite, file-backed under a data directory, or in memory for tests.
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database, Db } from './db';
import { schema } from './db';

export interface PgliteOptions {
  /** Directory for the database files; undefined = in memory. */
  dataDir?: string;
}

export async function createPgliteDatabase(opts: PgliteOptions = {}): Promise<Database> {
  const client = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    query: async <T>(text: string, params: unknown[] = []) => (await client.query<T>(text, params)).rows,
    close: () => client.close(),
  };
}
