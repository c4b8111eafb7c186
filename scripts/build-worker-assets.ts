// Writes the web pages' assets for Cloudflare Workers to dist/worker-assets/ (wrangler.toml [assets]): the built
// scripts, stylesheet and icons under assets/ (so their URLs are /assets/<file>, as on Node), the service worker at
// sw.js and pages-manifest.json (entry → built file) from which the Worker renders the HTML shells
// (src/runtime/worker/pages.ts). Run before `wrangler dev` and `wrangler deploy`: npm run build:worker
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPageAssets, serviceWorkerScript } from '../src/runtime/node/pages';
import { WORKER_PAGES_MANIFEST } from '../src/runtime/worker/pages';

export const workerAssetsDir = resolve(import.meta.dirname, '../dist/worker-assets');

export async function buildWorkerAssets(outdir = workerAssetsDir): Promise<void> {
  const assets = await buildPageAssets();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'assets'), { recursive: true });
  for (const [name, file] of assets.files) if (name !== 'sw.js') writeFileSync(join(outdir, 'assets', name), file.body);
  if (assets.files.has('sw.js')) writeFileSync(join(outdir, 'sw.js'), serviceWorkerScript(assets));
  writeFileSync(join(outdir, WORKER_PAGES_MANIFEST.slice(1)), JSON.stringify(assets.entries, null, 2) + '\n');
  // Content-hashed files are immutable; the icons keep their names (a day), as on Node.
  writeFileSync(
    join(outdir, '_headers'),
    [
      '/assets/*',
      '  X-Content-Type-Options: nosniff',
      '  Cache-Control: public, max-age=31536000, immutable',
      '/assets/icon*',
      '  ! Cache-Control',
      '  Cache-Control: public, max-age=86400',
      '/sw.js',
      '  X-Content-Type-Options: nosniff',
      '  Cache-Control: no-cache',
      '',
    ].join('\n'),
  );
  console.log(`${assets.files.size} files → ${outdir}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await buildWorkerAssets();
