// The server's backends are terminated while connections are opening (a failover, a restart, an administrator):
// the driver's errors reach the caller of each query, and nothing is left as an unhandled rejection — which would
// stop the Node process (Node's default) and take every connected terminal and parent with it.
// Real server only: PGlite has no connections to kill.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/store/postgres-db';
import { testDbKind } from '../helpers/db';

const serverUrl = process.env.TEST_DATABASE_URL;
const name = `bg_kill_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

describe.runIf(testDbKind === 'postgres' && !!serverUrl)('backends killed while connections open', () => {
  let admin: postgres.Sql;
  let url: string;
  beforeAll(async () => {
    admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(serverUrl!);
    u.pathname = `/${name}`;
    url = u.toString();
  });
  afterAll(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('answers every query with its result or an error, and leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    // vitest's own listener stays; ours records what reached the process.
    process.on('unhandledRejection', onUnhandled);
    const kill = () =>
      admin.unsafe(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
    let answered = 0;
    const closing: Promise<void>[] = [];
    try {
      for (let round = 0; round < 25; round++) {
        const database = createPostgresDatabase({ url, maxConnections: 4, connectTimeoutS: 2 });
        const queries = Array.from({ length: 8 }, (_, i) =>
          database.query<{ n: number }>('select $1::int as n', [i]).then(
            (rows) => {
              expect(rows[0]!.n).toBe(i);
              answered++;
            },
            () => answered++,
          ),
        );
        // Terminate the new backends as they come up, for a moment (a few milliseconds later each round).
        const until = Date.now() + 5 + round * 2;
        while (Date.now() < until) await kill();
        await Promise.race([
          Promise.all(queries),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`round ${round}: a query never answered`)), 10_000),
          ),
        ]);
        // (closing can wait for its timeout on a connection killed while opening: all are closed together below)
        closing.push(database.close().catch(() => {}));
      }
      await Promise.all(closing);
      // Give a late rejection the time to surface.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(answered).toBe(25 * 8);
    expect(unhandled.map(String)).toEqual([]);
  }, 60_000);
});
