// Opens the configured database (PGlite under DATA_DIR, or postgres at DATABASE_URL) and migrates it.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from '../../store/db';
import { applyMigrations } from '../../store/migrate';
import { createPgliteDatabase } from '../../store/pglite-db';
import { createPostgresDatabase } from '../../store/postgres-db';

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  let database: Database;
  if (opts.databaseUrl) {
    database = createPostgresDatabase({ url: opts.databaseUrl });
  } else {
    const dir = resolve(opts.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    database = await createPgliteDatabase({ dataDir: dir });
  }
  await applyMigrations(database);
  return database;
}

/**
 * The handle the durable writers (positions, engine output) run their statements on: with the postgres driver a pool
 * of its own, sized to the writers' concurrency (four position statements and one engine statement at a time), so an
 * acknowledgement never waits for a connection held by reads, notices or jobs; PGlite is a single connection, shared.
 */
export function openWriterDatabase(opts: { databaseUrl?: string }, main: Database): Database {
  if (!opts.databaseUrl) return main;
  return createPostgresDatabase({ url: opts.databaseUrl, maxConnections: 5 });
}

/**
 * The handle request authentication runs on: with the postgres driver a pool of its own (two connections), so
 * sign-ins do not wait behind the position writer's statements; PGlite is a single connection, shared.
 */
export function openAuthDatabase(opts: { databaseUrl?: string }, main: Database): Database {
  if (!opts.databaseUrl) return main;
  return createPostgresDatabase({ url: opts.databaseUrl, maxConnections: 2 });
}
