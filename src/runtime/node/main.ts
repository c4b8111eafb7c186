// Node entry point: config → one process per data directory → ports free → the service (server.ts).
// Only what these checks need is loaded before them, so a second instance or a busy port fails at once, before
// the rest of the service is even loaded and long before the database is opened.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger } from '../../logging';
import { loadConfig } from './config';
import { type DataDirLock, lockDataDir } from './data-dir-lock';
import { assertPortsFree } from './ports';

async function main() {
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel });
  // The embedded database (PGlite) must have one writer: the lock is taken before it opens; a second instance on
  // the same DATA_DIR stops here, naming the first one's pid. (With DATABASE_URL, instances share PostgreSQL.)
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) {
    mkdirSync(config.dataDir, { recursive: true });
    lock = lockDataDir(resolve(config.dataDir));
  }
  await assertPortsFree(config.host, [
    { variable: 'PORT', port: config.port },
    { variable: 'OSMAND_PORT', port: config.osmandPort },
    { variable: 'JT808_PORT', port: config.jt808Port },
  ]);
  const { runServer } = await import('./server');
  await runServer(config, log, lock);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
