// The Workers build: it bundles (wrangler dry run), and on the real PostgreSQL pass it serves the same API from
// workerd (wrangler dev) through the Hyperdrive binding.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerAssets, workerAssetsDir } from '../../scripts/build-worker-assets';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db';

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

// wrangler.toml's [assets] directory (the built pages, `npm run build:worker`) must exist for wrangler to start.
beforeAll(async () => {
  if (!existsSync(join(workerAssetsDir, 'pages-manifest.json'))) await buildWorkerAssets();
}, 120_000);
let child: ChildProcess | undefined;
let database: TestDatabase | undefined;
afterAll(async () => {
  // wrangler dev runs workerd as a child of its own: end the whole process group, or workerd outlives the test.
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
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
      const url = new URL(database.url!);
      url.password = 'unused'; // trust auth here; Hyperdrive's local mode insists on a password in the URL
      const port = 33000 + Math.floor(Math.random() * 2000);
      child = spawn('node_modules/.bin/wrangler', ['dev', '--ip', '127.0.0.1', '--port', String(port)], {
        env: { ...env, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: url.toString() },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let log = '';
      child.stdout!.on('data', (d) => (log += d));
      child.stderr!.on('data', (d) => (log += d));
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      let ready: Response | undefined;
      while (Date.now() < deadline && !ready?.ok) {
        ready = await fetch(`${base}/readyz`).catch(() => undefined);
        if (!ready?.ok) await new Promise((r) => setTimeout(r, 500));
      }
      expect(ready?.ok, log).toBe(true);
      expect(await ready!.json()).toEqual({ status: 'ready', database: 'postgres' });
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
    90_000,
  );
});
