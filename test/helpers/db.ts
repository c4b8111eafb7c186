// A fresh, migrated database for one test file: in-memory PGlite by default, or a new database on the real
// server when TEST_DB_KIND=postgres (TEST_DATABASE_URL points at the server; the database is dropped after).
import postgres from 'postgres';
import type { Database } from '../../src/store/db';
import { applyMigrations } from '../../src/store/migrate';
import { createPgliteDatabase } from '../../src/store/pglite-db';
import { createPostgresDatabase } from '../../src/store/postgres-db';

export const testDbKind = process.env.TEST_DB_KIND === 'postgres' ? 'postgres' : 'pglite';

export interface TestDatabase extends Database {
  /** Connection URL when on the real server (for tests that open a second client or a server process). */
  url?: string;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDbKind === 'pglite') {
    const database = await createPgliteDatabase();
    await applyMigrations(database);
    return database;
  }
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DB_KIND=postgres needs TEST_DATABASE_URL');
  const name = `bg_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = createPostgresDatabase({ url: url.toString(), maxConnections: 5 });
  await applyMigrations(database);
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}
