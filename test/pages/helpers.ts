// Browser tests of the pages: the app + WebSocket on a real http.Server (127.0.0.1, port 0) with the pages
// registered, the real ingest → engine → live path, and Debian's chromium driven by playwright-core.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import type { Fix } from '../../src/core/fix';
import { localDate } from '../../src/core/time-zone';
import { createApp } from '../../src/http/app';
import type { PagesConfig } from '../../src/pages/shell';
import { createLiveHub, type LiveService } from '../../src/live/service';
import type { PushService } from '../../src/live/push/service';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { attachLive, type LiveAttachment } from '../../src/runtime/node/live-ws';
import { buildPageAssets, type PageAssets, registerPages } from '../../src/runtime/node/pages';
import { refreshDemoDay, seedDemo, type DemoResult } from '../../src/demo/seed';
import { simulate } from '../../src/demo/simulate';
import { startJt808Server } from '../../src/runtime/node/jt808-server';
import { startOsmandServer } from '../../src/runtime/node/osmand-server';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { demoSimOptions } from '../helpers/demo-sim';
import { middayZone } from '../helpers/world';

export const ARTIFACTS = 'test-artifacts/pages';
/** The schools of the page tests keep a zone where it is now around midday ("today" never rolls over). */
export const TZ = middayZone(Date.now());

let assets: Promise<PageAssets> | undefined;
export const pageAssets = () => (assets ??= buildPageAssets({ minify: true }));

export interface PagesServer {
  t: TestApp;
  url: string;
  ingest: PipelineIngest;
  runner: EngineRunner;
  live: LiveService;
  close(): Promise<void>;
}

/** The whole Node stack on a fresh database, on the real clock (the browser's clock is real too). */
/** `push` makes the Web Push service on the test database (wired as server.ts does); without it the app's default. */
/** `pages` is the pages' configuration (map style, tiles), as config.ts reads it from the environment. */
export async function startPagesServer(
  opts: { push?: (t: TestApp) => PushService; pages?: PagesConfig } = {},
): Promise<PagesServer> {
  const t = await createTestApp(Date.now());
  const now = () => Date.now();
  // The test app's own request helper follows the real clock too.
  Object.defineProperty(t.clock, 'nowMs', { get: () => Date.now(), set: () => {} });
  const ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 1 } });
  const runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  runner.attach(ingest);
  const live = createLiveHub({ database: t.database, log: silentLogger, now });
  live.attach({ ingest, runner });
  const push = opts.push?.(t);
  if (push) live.notices.setOutbox(push);
  const app = createApp({ database: t.database, log: silentLogger, now, ingest, runner, live, push });
  registerPages(app, await pageAssets(), opts.pages ?? {});
  const server: Server = createServer(getRequestListener(app.fetch));
  const attachment: LiveAttachment = attachLive(server, live, { flushMs: 20 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    t,
    url: `http://127.0.0.1:${port}`,
    ingest,
    runner,
    live,
    close: async () => {
      await attachment.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runner.close();
      await ingest.close();
      await live.close();
      await t.close();
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // The maps are WebGL (MapLibre): SwiftShader draws them without a GPU.
    args: [
      '--no-sandbox',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Console errors and uncaught page errors, with the expected ones filtered by the caller. */
export function watchConsole(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { errors };
}

export const phone = { viewport: { width: 390, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export async function newPage(
  browser: Browser,
  opts: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page; console: { errors: string[] } }> {
  const context = await browser.newContext({ locale: 'en-US', ...opts });
  const page = await context.newPage();
  return { context, page, console: watchConsole(page) };
}

// ── a school with a route whose stops are today, in real time ─────────────────────────────────────────────
export const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);
export const LON0 = 121.5;
export const lonAt = (xM: number) => LON0 + xM / M_PER_DEG_LON;

/** HH:MM of an instant in the school's time zone. */
export function hhmm(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}
export const today = (ms = Date.now()) => localDate(TZ, ms);

export async function ok(p: Promise<{ status: number; body: any }>, status = 201) {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function tokenFor(t: TestApp, user: Record<string, unknown>): Promise<string> {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  return (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'pages test' } }))).token;
}

/** Drives a bus: one fix per simulated second, timestamps from startMs, five per submission. */
export class Driver {
  xM = 0;
  private s = 0;
  constructor(
    private readonly srv: PagesServer,
    private readonly identifier: string,
    private readonly startMs: number,
  ) {}
  async drive(seconds: number, kph: number) {
    const device = (await this.srv.ingest.lookupDevice('json', this.identifier))!;
    let batch: Fix[] = [];
    for (let i = 0; i < seconds; i++) {
      this.s++;
      this.xM += kph / 3.6;
      batch.push({
        deviceId: this.identifier,
        protocol: 'json',
        timeMs: this.startMs + this.s * 1000,
        lat: 31.2,
        lon: lonAt(this.xM),
        speedKph: kph,
        valid: true,
        alarms: [],
        attributes: {},
      });
      if (batch.length === 5 || i === seconds - 1) {
        await this.srv.ingest.submitFixes(device, batch, Date.now());
        batch = [];
      }
    }
    await this.srv.runner.idle();
    await this.srv.live.idle();
  }
}

// ── the map (MapLibre) ─────────────────────────────────────────────────────────────────────────────────────────
export interface LabelBox {
  layer: string;
  text: string;
  /** screen box, CSS pixels */
  box: [number, number, number, number];
  /** the symbol it belongs to (its icon and its text share it) */
  symbol: string;
}
export interface MapState {
  /** the camera: west, south, east, north */
  bounds: [number, number, number, number];
  size: [number, number];
  zoom: number;
  /** where each bus is drawn now, and the features MapLibre rendered on its layers */
  buses: Record<string, { lon: number; lat: number; headingDeg: number | null; x: number; y: number }>;
  rendered: Record<string, { properties: Record<string, unknown> }[]>;
  /** every box MapLibre's collision index holds (the labels and icons it placed) */
  placed: LabelBox[];
  /** screen position of the given points (lon, lat) */
  projected: [number, number][];
}

/**
 * What a page's map shows now (null while it is not drawn): the camera, the buses as drawn, the features on our
 * layers, and the boxes of the labels MapLibre placed (from its collision index, the boxes it keeps apart).
 */
export async function mapState(page: Page, points: [number, number][] = [], selector = '[data-testid="map"]') {
  return page.evaluate(
    ({ selector, points }) => {
      interface Gl {
        loaded(): boolean;
        getBounds(): { toArray(): [[number, number], [number, number]] };
        getZoom(): number;
        getCanvas(): HTMLCanvasElement;
        getContainer(): HTMLElement;
        getStyle(): { layers: { id: string }[] };
        project(p: [number, number]): { x: number; y: number };
        queryRenderedFeatures(
          g?: unknown,
          o?: { layers?: string[] },
        ): { layer: { id: string }; properties: Record<string, unknown> }[];
        style: {
          placement?: {
            collisionIndex: {
              grid: {
                boxKeys: { bucketInstanceId: number; featureIndex: number }[];
                bboxes: number[];
              };
            };
          };
        };
      }
      const el = document.querySelector(selector) as
        | (HTMLElement & {
            bgMap?: {
              gl: Gl | null;
              drawnBus(id: string): { lon: number; lat: number; headingDeg: number | null } | undefined;
              buses: Map<string, unknown>;
            };
          })
        | null;
      const view = el?.bgMap;
      const gl = view?.gl;
      if (!view || !gl || !gl.getStyle()?.layers.some((l) => l.id === 'bg-bus')) return null;
      const [[w, s], [e, n]] = gl.getBounds().toArray();
      const buses: Record<string, { lon: number; lat: number; headingDeg: number | null; x: number; y: number }> = {};
      for (const id of view.buses.keys()) {
        const b = view.drawnBus(id)!;
        const q = gl.project([b.lon, b.lat]);
        buses[id] = { ...b, x: q.x, y: q.y };
      }
      const labelLayers = [
        'bg-bus',
        'bg-my-stop-label',
        'bg-bus-label',
        'bg-stop-labels',
        'bg-place-labels',
        'bg-route-labels',
      ];
      const layers = [...labelLayers, 'bg-route', 'bg-stops', 'bg-places', 'bg-track', 'bg-track-episode'];
      const rendered: Record<string, { properties: Record<string, unknown> }[]> = {};
      for (const l of layers) rendered[l] = [];
      for (const f of gl.queryRenderedFeatures(undefined, { layers }))
        rendered[f.layer.id]!.push({ properties: f.properties });
      // The collision grid is offset by MapLibre's viewport padding (100 px) around the canvas.
      const grid = gl.style.placement?.collisionIndex.grid;
      const placed = [];
      for (let i = 0; grid && i < grid.boxKeys.length; i++) {
        const [x1, y1, x2, y2] = grid.bboxes.slice(i * 4, i * 4 + 4).map((v) => v - 100) as [
          number,
          number,
          number,
          number,
        ];
        const key = grid.boxKeys[i]!;
        const hit = gl.queryRenderedFeatures(
          [
            [(x1 + x2) / 2 - 1, (y1 + y2) / 2 - 1],
            [(x1 + x2) / 2 + 1, (y1 + y2) / 2 + 1],
          ],
          { layers: labelLayers },
        )[0];
        placed.push({
          layer: hit?.layer.id ?? '?',
          text: String(hit?.properties.name ?? hit?.properties.label ?? ''),
          box: [x1, y1, x2, y2] as [number, number, number, number],
          symbol: `${key.bucketInstanceId}/${key.featureIndex}`,
        });
      }
      const c = gl.getContainer();
      return {
        bounds: [w, s, e, n] as [number, number, number, number],
        size: [c.clientWidth, c.clientHeight] as [number, number],
        zoom: gl.getZoom(),
        buses,
        rendered,
        placed,
        projected: points.map((p) => {
          const q = gl.project(p);
          return [q.x, q.y] as [number, number];
        }),
      };
    },
    { selector, points },
  ) as Promise<MapState | null>;
}

/** Pairs of placed boxes of different symbols that overlap (by more than half a pixel), for a readable failure. */
export function overlappingLabels(placed: LabelBox[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < placed.length; i++)
    for (let j = i + 1; j < placed.length; j++) {
      const a = placed[i]!;
      const b = placed[j]!;
      if (a.symbol === b.symbol) continue;
      const dx = Math.min(a.box[2], b.box[2]) - Math.max(a.box[0], b.box[0]);
      const dy = Math.min(a.box[3], b.box[3]) - Math.max(a.box[1], b.box[1]);
      if (dx > 0.5 && dy > 0.5) out.push(`${a.layer} «${a.text}» × ${b.layer} «${b.text}»`);
    }
  return out;
}

/**
 * The demo district on the pages server, with the device ports the simulator drives (OsmAnd over HTTP, JT/T 808 over
 * TCP) and a browser: the world of the tests that watch a whole demo trip. `drive` runs the demo simulator over the
 * device ports, waits until the lanes and the live side have handled everything, then `settleMs` for the page.
 */
export interface DemoPages {
  srv: PagesServer;
  browser: Browser;
  demo: DemoResult;
  drive(o: { speedup: number; durationS: number }, settleMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDemoPages(): Promise<DemoPages> {
  const srv = await startPagesServer();
  const demo = await seedDemo(srv.t.database, { now: Date.now() });
  await refreshDemoDay(srv.t.database, { now: Date.now() });
  const deps = { database: srv.t.database, log: silentLogger, now: Date.now, ingest: srv.ingest, runner: srv.runner };
  const osmand = startOsmandServer(deps, { port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => (osmand.listening ? r() : osmand.once('listening', () => r())));
  const jt808 = await startJt808Server({ port: 0, host: '127.0.0.1', ingest: srv.ingest, log: silentLogger });
  const browser = await launchBrowser();
  return {
    srv,
    browser,
    demo,
    drive: async (o, settleMs) => {
      await simulate(
        demoSimOptions(demo, {
          apiUrl: srv.url,
          adminToken: ADMIN_TOKEN,
          jt808Port: jt808.port,
          osmandPort: (osmand.address() as AddressInfo).port,
          ...o,
        }),
      );
      await srv.runner.idle();
      await srv.live.idle();
      await new Promise((r) => setTimeout(r, settleMs));
    },
    close: async () => {
      await browser.close();
      await jt808.close();
      osmand.close();
      await srv.close();
    },
  };
}

const attempted = new WeakSet<DemoPages>();

/**
 * The demo world for this attempt of a whole-trip test: the same one the first time; on a retry a fresh demo
 * district, since the first attempt drove its trips to their end (a retry on it would watch buses that finished).
 */
export async function demoWorldForAttempt(world: DemoPages): Promise<DemoPages> {
  if (!attempted.has(world)) {
    attempted.add(world);
    return world;
  }
  await world.close();
  const fresh = await startDemoPages();
  attempted.add(fresh);
  return fresh;
}

/**
 * Resolves once a page on this server follows the topic. A page's elements are on screen before it has fetched its
 * trip and subscribed; a test that drives the bus and then asserts on every live change waits for this first.
 */
export async function untilSubscribed(srv: PagesServer, topic: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!srv.live.hub.hasSubscribers(topic)) {
    if (Date.now() > deadline) throw new Error(`no page subscribed to ${topic} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Saves a screenshot to the test artifacts. A picture is for people reading a run, not an assertion: when the
 * browser cannot take one (it happens under load: "Unable to capture screenshot"), the test goes on and says so.
 */
export async function screenshot(
  target: { screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown> },
  options: { path: string; fullPage?: boolean },
): Promise<void> {
  try {
    await target.screenshot(options);
  } catch (err) {
    console.warn(`screenshot ${options.path} not taken: ${String(err).split('\n')[0]}`);
  }
}
