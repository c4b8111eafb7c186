// The web pages on Workers: /parent, /attendant, /manager, /report as HTML shells rendered here (same markup, CSP
// and headers as on Node: src/pages/shell.ts), their scripts, stylesheet, icons and service worker served as
// static assets (wrangler.toml [assets], built by scripts/build-worker-assets.ts into dist/worker-assets/). The
// built file names come from the assets' pages-manifest.json, read once per isolate through the ASSETS binding.
import {
  installablePages,
  type PageName,
  pageCsp,
  pageHtml,
  pageManifest,
  pageNames,
  type PagesConfig,
  pageSecurityHeaders,
} from '../../pages/shell';
import type { WorkerEnv } from './env';

/** Where the build puts the entry → built-file manifest among the static assets. */
export const WORKER_PAGES_MANIFEST = '/pages-manifest.json';

let entries: Promise<Record<string, string>> | undefined;

async function readEntries(env: WorkerEnv, url: string): Promise<Record<string, string>> {
  const res = await env.ASSETS!.fetch(new Request(new URL(WORKER_PAGES_MANIFEST, url)));
  if (!res.ok) throw new Error(`the pages' assets are not built (${WORKER_PAGES_MANIFEST}: ${res.status})`);
  return (await res.json()) as Record<string, string>;
}

const isPage = (p: string): p is PageName => (pageNames as readonly string[]).includes(p);
const isInstallable = (p: string): p is (typeof installablePages)[number] =>
  (installablePages as readonly string[]).includes(p);

/** The page's response, or undefined when the request is not for a page (the API answers it). */
export async function workerPage(request: Request, env: WorkerEnv): Promise<Response | undefined> {
  if (!env.ASSETS || (request.method !== 'GET' && request.method !== 'HEAD')) return undefined;
  const url = new URL(request.url);
  const path = url.pathname.slice(1);
  if (path === '') return Response.redirect(new URL('/manager', url).toString(), 302);
  const manifestOf = path.endsWith('.webmanifest') ? path.slice(0, -'.webmanifest'.length) : '';
  if (isInstallable(manifestOf))
    return new Response(JSON.stringify(pageManifest(manifestOf)), {
      headers: { 'content-type': 'application/manifest+json; charset=utf-8', 'cache-control': 'no-cache' },
    });
  if (!isPage(path)) return undefined;
  const config: PagesConfig = {
    mapStyleUrl: env.MAP_STYLE_URL,
    tileUrl: env.TILE_URL,
    tileAttribution: env.TILE_ATTRIBUTION,
  };
  entries ??= readEntries(env, request.url).catch((err) => {
    entries = undefined;
    throw err;
  });
  const built = await entries;
  const html = pageHtml(
    path,
    {
      script: built[`${path}.js`]!,
      style: built['app.css']!,
      mapWorker: path === 'parent' || path === 'manager' ? built['map-worker.js'] : undefined,
    },
    config,
  );
  return new Response(request.method === 'HEAD' ? null : html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': pageCsp(request.headers.get('host') ?? undefined, config),
      ...pageSecurityHeaders,
      'cache-control': 'no-cache',
    },
  });
}
