// The postgres (postgres-js) driver: a real server, or Hyperdrive on Workers.
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database, Db, QueryOptions } from './db';
import { parsePgArray, pgArrayTypes } from './pg-array';
import { schema } from './db';

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  /** A connection attempt gives up after this long (the server is down or unreachable): callers answer 503 at once. */
  connectTimeoutS?: number;
  /** The server cancels a statement running longer than this (milliseconds; 0 = no limit). */
  statementTimeoutMs?: number;
}

export function createPostgresDatabase(opts: PostgresOptions): Database {
  const client = postgres(opts.url, {
    max: opts.maxConnections ?? 10,
    onnotice: () => {},
    // While PostgreSQL is down, writes and /readyz answer within about 2 s instead of the driver's 30 s.
    connect_timeout: opts.connectTimeoutS ?? 2,
    connection: { statement_timeout: opts.statementTimeoutMs ?? 30_000 },
    // Dates come back as Date objects through drizzle; keep bigint counts as numbers.
    types: { bigint: postgres.BigInt, ...arrayTypes() },
    // No per-connection catalogue query for array types: the driver runs it in the background on every new
    // connection, and a connection killed during it (a failover, a restart) left that query's rejection unhandled —
    // which stops a Node process. Parameters never need it (arrays go out as literals, below); array results are
    // parsed by the types above.
    fetch_types: false,
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    query: async <T>(text: string, params: unknown[] = [], qopts?: QueryOptions) =>
      (await client.unsafe(text, params.map(arrayParam) as never[], {
        prepare: qopts?.prepare === true,
      })) as unknown as T[],
    close: () => client.end({ timeout: 5 }),
  };
}

/** Array result types, parsed without the driver's catalogue query. */
function arrayTypes(): Record<string, postgres.PostgresType> {
  const out: Record<string, postgres.PostgresType> = {};
  for (const [name, t] of Object.entries(pgArrayTypes)) {
    out[name] = {
      to: t.oids[0],
      from: [...t.oids],
      serialize: (v: unknown) => arrayParam(v),
      parse: (raw: string) => parsePgArray(raw, t.element),
    };
  }
  return out;
}

/**
 * postgres-js types a JS array parameter by its elements (a boolean[] goes out as boolean), which the server
 * refuses for `$1::bool[]`; sent as an array literal, the SQL cast decides the type.
 */
function arrayParam(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  // Bulk statements send 17 arrays of thousands of elements: an all-finite-number or all-boolean array is joined
  // natively (one flat string, no string per element; 'true'/'false' are valid boolean array elements).
  let numbers = true;
  let booleans = true;
  for (let i = 0; i < value.length && (numbers || booleans); i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) numbers = false;
    if (typeof v !== 'boolean') booleans = false;
  }
  if (numbers || booleans) return '{' + value.join(',') + '}';
  return '{' + value.map(arrayElement).join(',') + '}';
}

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (v instanceof Date) return '"' + v.toISOString() + '"';
  const t = String(v);
  return '"' + (NEEDS_ESCAPE.test(t) ? t.replace(ESCAPE_ALL, '\\$&') : t) + '"';
}

/** A backslash or double quote: escaped with a backslash inside an array literal's quoted element. */
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPE_ALL = /[\\"]/g;
