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
