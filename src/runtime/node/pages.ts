// The web pages on the Node runtime: /parent, /attendant, /manager and their assets under /assets/.
//
// Assets are built from src/pages/ by esbuild (already installed with tsx) in memory when the server starts,
// so `npm start` on a fresh clone needs no build step and never serves stale files. File names carry a content
// hash: assets are cached as immutable, the HTML shells are not cached. Where esbuild is missing, the server
// serves what `npx tsx scripts/build-pages.ts` wrote to dist/pages/ (its manifest.json names the entries).
// Node-only (esbuild, the file system), so it stays out of the Workers bundle.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { iconPng } from './icons';
import {
  iconSvg,
  installablePages,
  pageManifest,
  type PageName,
  pageCsp,
  pageHtml,
  pageNames,
  type PagesConfig,
  pageSecurityHeaders,
} from '../../pages/shell';

export interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

export interface PageAssets {
  files: Map<string, Asset>;
  /** entry → built file name: parent.js → parent-ABC123.js, app.css → app-DEF456.css */
  entries: Record<string, string>;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const pagesSourceDir = join(root, 'src/pages');
export const pagesDistDir = join(root, 'dist/pages');

const types: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  json: 'application/json; charset=utf-8',
};

const asset = (name: string, body: Uint8Array): Asset => ({
  body,
  type: types[name.split('.').pop() ?? ''] ?? 'application/octet-stream',
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

/** Builds the pages' scripts and stylesheet with esbuild into memory. */
export async function buildPageAssets(opts: { minify?: boolean; sourcemap?: boolean } = {}): Promise<PageAssets> {
  const esbuild = await import('esbuild');
  const outdir = join(root, 'dist/pages');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: {
      parent: join(pagesSourceDir, 'parent/main.ts'),
      attendant: join(pagesSourceDir, 'attendant/main.ts'),
      manager: join(pagesSourceDir, 'manager/main.ts'),
      report: join(pagesSourceDir, 'report/main.ts'),
      app: join(pagesSourceDir, 'styles/app.css'),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['es2022', 'chrome100', 'safari15', 'firefox100'],
    platform: 'browser',
    minify: opts.minify ?? true,
    sourcemap: opts.sourcemap ? 'linked' : false,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outdir,
    write: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const files = new Map<string, Asset>();
  for (const f of result.outputFiles)
    files.set(relative(outdir, f.path).split('\\').join('/'), asset(relative(outdir, f.path), f.contents));
  const entries: Record<string, string> = {};
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    // (a dynamic import's chunk is an entry point to esbuild too: only our pages are entries here)
    if (!meta.entryPoint || !meta.entryPoint.startsWith('src/pages/')) continue;
    const name = relative(outdir, resolve(root, out)).split('\\').join('/');
    const base = meta.entryPoint.endsWith('.css') ? 'app.css' : `${meta.entryPoint.split('/').slice(-2)[0]}.js`;
    if (!name.endsWith('.map')) entries[base] = name;
  }
  // MapLibre's worker, served beside the bundles (a same-origin module worker: the CSP needs no blob: workers).
  const worker = readFileSync(
    createRequire(import.meta.url).resolve('maplibre-gl/dist/maplibre-gl-worker.mjs'),
    'utf8',
  ).replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  const workerBody = new TextEncoder().encode(worker);
  const workerName = `map-worker-${createHash('sha256').update(workerBody).digest('base64url').slice(0, 8)}.js`;
  files.set(workerName, asset(workerName, workerBody));
  entries['map-worker.js'] = workerName;
  files.set('icon.svg', asset('icon.svg', new TextEncoder().encode(iconSvg)));
  files.set('icon-192.png', asset('icon-192.png', iconPng(192)));
  files.set('icon-512.png', asset('icon-512.png', iconPng(512)));
  files.set('icon-maskable-512.png', asset('icon-maskable-512.png', iconPng(512, { maskable: true })));
  // The service worker: one classic script (no chunks), served at /sw.js with its precache list (registerPages).
  const sw = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(pagesSourceDir, 'sw/sw.ts')],
    bundle: true,
    format: 'iife',
    target: ['es2022', 'chrome100', 'safari15', 'firefox100'],
    platform: 'browser',
    minify: opts.minify ?? true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  files.set('sw.js', asset('sw.js', sw.outputFiles[0]!.contents));
  return { files, entries };
}

/** What the service worker precaches: the phone pages' shells and every built asset they may load. */
export function precacheList(assets: PageAssets): string[] {
  const names = [...assets.files.keys()].filter(
    (n) => n !== 'sw.js' && !n.endsWith('.map') && !(n.startsWith('manager-') && n.endsWith('.js')),
  );
  return [...installablePages.map((p) => `/${p}`), ...names.sort().map((n) => `/assets/${n}`)];
}

/** /sw.js: its configuration (a version naming this build, the precache list) and the worker's code. */
export function serviceWorkerScript(assets: PageAssets): string {
  const code = assets.files.get('sw.js');
  if (!code) throw new Error('the service worker was not built');
  const precache = precacheList(assets);
  const version = createHash('sha256')
    .update(JSON.stringify(precache))
    .update(code.body)
    .update(precache.map((n) => assets.files.get(n.replace('/assets/', ''))?.etag ?? '').join())
    .digest('base64url')
    .slice(0, 16);
  return `self.BG_SW=${JSON.stringify({ version, precache })};\n${new TextDecoder().decode(code.body)}`;
}

/** Reads a build written by scripts/build-pages.ts. */
export function readBuiltAssets(dir = pagesDistDir): PageAssets | undefined {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  const entries = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, string>;
  const files = new Map<string, Asset>();
  for (const name of readdirSync(dir))
    if (name !== 'manifest.json') files.set(name, asset(name, readFileSync(join(dir, name))));
  return { files, entries };
}

/** Built in memory with esbuild; else the files of dist/pages; else an error naming both. */
export async function loadPageAssets(): Promise<PageAssets> {
  try {
    return await buildPageAssets();
  } catch (err) {
    const built = readBuiltAssets();
    if (built) return built;
    throw new Error(
      `The web pages could not be built (${err instanceof Error ? err.message : String(err)}) and dist/pages has no build`,
      { cause: err },
    );
  }
}

/** Serves the pages and their assets on the app (call after createApp; the API routes stay as they are). */
export function registerPages(app: Hono<AppEnv>, assets: PageAssets, config: PagesConfig = {}) {
  const html = new Map<PageName, string>(
    pageNames.map((p) => [
      p,
      pageHtml(
        p,
        {
          script: assets.entries[`${p}.js`]!,
          style: assets.entries['app.css']!,
          mapWorker: p === 'parent' || p === 'manager' ? assets.entries['map-worker.js'] : undefined,
        },
        config,
      ),
    ]),
  );
  for (const page of pageNames) {
    app.get(`/${page}`, (c) => {
      c.header('content-security-policy', pageCsp(c.req.header('host'), config));
      for (const [k, v] of Object.entries(pageSecurityHeaders)) c.header(k, v);
      c.header('cache-control', 'no-cache');
      return c.html(html.get(page)!);
    });
  }
  app.get('/', (c) => c.redirect('/manager', 302));
  // Installable phone pages: the web app manifests and the service worker (scope /, never cached by HTTP so a
  // new build reaches phones at the next visit).
  for (const page of installablePages)
    app.get(`/${page}.webmanifest`, (c) => {
      c.header('content-type', 'application/manifest+json; charset=utf-8');
      c.header('cache-control', 'no-cache');
      return c.body(JSON.stringify(pageManifest(page)));
    });
  if (assets.files.has('sw.js')) {
    const sw = serviceWorkerScript(assets);
    app.get('/sw.js', (c) => {
      c.header('content-type', 'text/javascript; charset=utf-8');
      c.header('cache-control', 'no-cache');
      c.header('x-content-type-options', 'nosniff');
      return c.body(sw);
    });
  }
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const file = assets.files.get(name);
    if (!file) return c.text('Not found', 404);
    c.header('x-content-type-options', 'nosniff');
    c.header(
      'cache-control',
      name.startsWith('icon') ? 'public, max-age=86400' : 'public, max-age=31536000, immutable',
    );
    c.header('etag', file.etag);
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
    c.header('content-type', file.type);
    return c.body(file.body as Uint8Array<ArrayBuffer>);
  });
}
