// The Workers build: it bundles (wrangler dry run), and on the real PostgreSQL pass it serves the same API from
// workerd (wrangler dev) through the Hyperdrive binding.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerAssets, workerAssetsDir } from '../../scripts/build-worker-assets';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db';

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

// wrangler.toml's [assets] directory (the built pages, `npm run build:worker`) must exist for wrangler to start.
beforeAll(async () => {
  if (!existsSync(join(workerAssetsDir, 'pages-manifest.json'))) await buildWorkerAssets();
}, 120_000);
let worker: WranglerDev | undefined;
let database: TestDatabase | undefined;
afterAll(async () => {
  await worker?.dispose();
  await database?.close();
});

describe('Workers runtime', () => {
  it('bundles with wrangler (dry run) without the embedded database or Node-only runtime code', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'busguard-worker-'));
    try {
      const r = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const bundle = readFileSync(join(outdir, 'index.js'), 'utf8');
      expect(bundle).toContain('/api/v1/openapi.json');
      expect(bundle).not.toMatch(/PGlite|@electric-sql/);
      expect(bundle).not.toContain('node-cron');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 150_000);

  it.skipIf(testDbKind !== 'postgres')(
    'serves the API from workerd against PostgreSQL through Hyperdrive',
    async () => {
      database = await createTestDatabase();
      await ensureAdmin(database.db, 'worker-admin-token-0123456789');
      // wrangler dev as the Workers suite starts it (scripts/workers/wrangler-dev.ts): a free port, started again
      // on another should the port be taken before wrangler binds it, and the whole process group stopped after.
      worker = await startWranglerDev({ databaseUrl: database.url! });
      const base = worker.url;
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status, worker.output()).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'postgres' });
      const created = await fetch(`${base}/api/v1/schools`, {
        method: 'POST',
        headers: { authorization: 'Bearer worker-admin-token-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Worker School' }),
      });
      expect(created.status).toBe(201);
      const denied = await fetch(`${base}/api/v1/schools`, { headers: { authorization: 'Bearer wrong' } });
      expect(denied.status).toBe(401);
      const rows = await database.query<{ name: string }>('select name from schools');
      expect(rows.map((r) => r.name)).toEqual(['Worker School']);
    },
    180_000,
  );
});
