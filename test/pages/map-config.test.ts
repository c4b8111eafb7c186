// The maps' configuration in a real browser, against a second local server standing in for a map host:
// - MAP_STYLE_URL: the basemap style is drawn under our layers, the page's CSP allows its origin, and the
//   `pmtiles` protocol reads the style's pmtiles:// archive (range requests to the host);
// - an unreachable MAP_STYLE_URL falls back to the plain map (our layers still drawn);
// - TILE_URL: raster tiles are fetched from the template and TILE_ATTRIBUTION is shown.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PagesConfig } from '../../src/pages/shell';
import { iconPng } from '../../src/runtime/node/icons';
import { buildWorld } from '../helpers/world';
import { launchBrowser, mapState, newPage, startPagesServer } from './helpers';

let host: Server;
let base: string;
let browser: Browser;
const hits: { path: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  host = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'range, accept');
    if (req.method === 'OPTIONS') return res.writeHead(204).end();
    hits.push({ path, headers: req.headers });
    if (path === '/style.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          version: 8,
          name: 'test basemap',
          sources: { area: { type: 'vector', url: `pmtiles://${base}/area.pmtiles` } },
          layers: [
            { id: 'basemap-land', type: 'background', paint: { 'background-color': '#dfe8d2' } },
            { id: 'basemap-water', type: 'fill', source: 'area', 'source-layer': 'water' },
          ],
        }),
      );
    }
    if (/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(path)) {
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(iconPng(256));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  host?.closeAllConnections();
  await new Promise((r) => host?.close(r));
});

/** The manager's fleet view of a fresh world served with this configuration; what the map drew and the CSP. */
async function fleetWith(pages: PagesConfig) {
  const srv = await startPagesServer({ pages });
  try {
    const w = await buildWorld(srv.t);
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    const res = await page.goto(`${srv.url}/manager#token=${w.tokens.managerA}`);
    const csp = res!.headers()['content-security-policy']!;
    await page.getByRole('link', { name: 'Fleet' }).click();
    await expect
      .poll(async () => (await mapState(page, [], '.map'))?.rendered['bg-route']?.length ?? 0, { timeout: 15_000 })
      .toBeGreaterThan(0);
    const layers = await page
      .locator('.map')
      .evaluate((el) =>
        (el as HTMLElement & { bgMap: any }).bgMap.gl.getStyle().layers.map((l: { id: string }) => l.id),
      );
    const attribution = await page.locator('.maplibregl-ctrl-attrib').textContent();
    await context.close();
    return { csp, layers: layers as string[], attribution, errors: console.errors };
  } finally {
    await srv.close();
  }
}

describe('map configuration', () => {
  it('MAP_STYLE_URL: the basemap under our layers, its origin in the CSP, its pmtiles:// archive read', async () => {
    hits.length = 0;
    const r = await fleetWith({ mapStyleUrl: `${base}/style.json`, tileAttribution: 'Test basemap' });
    expect(r.csp).toContain(`connect-src 'self'`);
    expect(r.csp).toMatch(new RegExp(`connect-src [^;]*${base.replace(/[.:/]/g, '\\$&')}`));
    expect(r.layers.slice(0, 2)).toEqual(['basemap-land', 'basemap-water']);
    expect(r.layers).toContain('bg-route');
    expect(r.layers.indexOf('bg-route')).toBeGreaterThan(r.layers.indexOf('basemap-water'));
    expect(r.attribution).toContain('Test basemap');
    // the pmtiles protocol asked the host for the archive's header with a byte range
    const archive = hits.filter((h) => h.path === '/area.pmtiles');
    expect(archive.length).toBeGreaterThan(0);
    expect(archive[0]!.headers.range).toMatch(/^bytes=0-/);
    // the archive is missing on this host: that (and only that) is reported
    expect(r.errors.filter((e) => !/pmtiles|404|Not Found|area/i.test(e))).toEqual([]);
  }, 120_000);

  it('an unreachable MAP_STYLE_URL: the plain map, our layers still drawn', async () => {
    const r = await fleetWith({ mapStyleUrl: `${base}/missing-style.json` });
    expect(r.layers[0]).toBe('bg-background');
    expect(r.layers).toContain('bg-route');
    expect(r.errors.filter((e) => !/404|Not Found|missing-style/i.test(e))).toEqual([]);
  }, 120_000);

  it('TILE_URL: raster tiles from the template, with the attribution', async () => {
    hits.length = 0;
    const r = await fleetWith({ tileUrl: `${base}/tiles/{z}/{x}/{y}.png`, tileAttribution: 'Test tiles' });
    expect(r.layers.slice(0, 2)).toEqual(['bg-background', 'bg-raster']);
    expect(hits.filter((h) => h.path.startsWith('/tiles/')).length).toBeGreaterThan(0);
    expect(r.attribution).toContain('Test tiles');
    expect(r.csp).toMatch(new RegExp(`img-src [^;]*${base.replace(/[.:/]/g, '\\$&')}`));
    expect(r.errors).toEqual([]);
  }, 120_000);
});
