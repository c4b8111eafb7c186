// The database handle every repository takes. Both drivers (embedded PGlite, postgres) produce it.
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; repositories accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface QueryOptions {
  prepare?: boolean;
}

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /**
   * Runs a raw SQL text with positional parameters ($1, $2 …), bypassing drizzle (bulk paths). `prepare`: keep the
   * statement prepared on each connection (postgres; for a fixed text run many times a second: one round trip
   * and no parse per run instead of two and a parse). PGlite ignores it.
   */
  query<T = Record<string, unknown>>(text: string, params?: unknown[], opts?: QueryOptions): Promise<T[]>;
  close(): Promise<void>;
}

export { schema };
