// The web pages on Workers: the HTML shells rendered by the Worker with the Node runtime's CSP and headers, their
// scripts, stylesheet, icons and service worker served as the Worker's static assets (wrangler.toml [assets],
// dist/worker-assets/ from scripts/build-worker-assets.ts), and the parent page running in chromium from them.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { launchBrowser, watchConsole } from '../pages/helpers';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';

let t: TestApp;
let worker: WranglerDev;
let browser: Browser | undefined;

beforeAll(async () => {
  t = await createTestApp(Date.now());
  worker = await startWranglerDev({ databaseUrl: t.database.url! });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
  await t?.close();
});

const get = (path: string, init?: RequestInit) => fetch(`${worker.url}${path}`, { redirect: 'manual', ...init });

describe('pages on Workers', () => {
  it('GET /parent answers the HTML shell with the CSP and security headers; its script and stylesheet are served from /assets/', async () => {
    const res = await get('/parent');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${worker.port}`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toContain('<body class="page-parent">');
    expect(html).toContain('<link rel="manifest" href="/parent.webmanifest">');
    const script = /<script type="module" src="(\/assets\/parent-[\w-]+\.js)"><\/script>/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="(\/assets\/app-[\w-]+\.css)">/.exec(html)?.[1];
    const mapWorker = /<meta name="bg-map-worker" content="(\/assets\/map-worker-[\w-]+\.js)">/.exec(html)?.[1];
    expect(script && style && mapWorker).toBeTruthy();

    const js = await get(script!);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await get(style!);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toContain('page-parent');
    expect((await get(mapWorker!)).headers.get('content-type')).toMatch(/javascript/);
  });

  it('every page renders its own entry; /, the web manifests, icons and the service worker are served as on Node', async () => {
    for (const page of ['attendant', 'manager', 'report']) {
      const res = await get(`/${page}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(`<body class="page-${page}">`);
      const script = new RegExp(`src="(/assets/${page}-[\\w-]+\\.js)"`).exec(html)?.[1];
      expect((await get(script!)).status).toBe(200);
    }
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(new URL(root.headers.get('location')!, worker.url).pathname).toBe('/manager');
    const manifest = await get('/attendant.webmanifest');
    expect(manifest.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    expect(await manifest.json()).toMatchObject({ start_url: expect.stringContaining('/attendant') });
    const icon = await get('/assets/icon-192.png');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/png');
    const sw = await get('/sw.js');
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toMatch(/javascript/);
    const body = await sw.text();
    expect(body).toMatch(/^self\.BG_SW=/);
    expect(body).toContain('"/parent"');
  });

  it('an unknown page, an unknown asset and the assets’ _headers file answer 404 with the API’s error envelope', async () => {
    for (const path of ['/nowhere', '/assets/parent-NOPE.js', '/_headers']) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('chromium renders the parent page’s sign-in form from the Worker, without console errors', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage();
    const { errors } = watchConsole(page);
    await page.goto(`${worker.url}/parent`);
    await page.locator('form input#token').waitFor({ timeout: 20_000 });
    expect(await page.locator('#signin-title').isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });
});
