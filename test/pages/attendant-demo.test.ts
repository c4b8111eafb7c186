// The attendant page over a whole demo trip, in Chinese: the demo district, its simulator driving the buses through
// the real servers (JT/T 808, OsmAnd, JSON) and lanes, and one demo attendant's page in chromium. The page's current
// stop advances with the bus (from the lane's stop events, never ahead of them, in route order, to the school), and
// on the long stop list of a real route the onboard counter and the end-of-trip action stay on screen however far the
// attendant scrolls.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoResult } from '../../src/demo/seed';
import {
  ARTIFACTS,
  newPage,
  type PagesServer,
  phone,
  startDemoPages,
  demoWorldForAttempt,
  type DemoPages,
  screenshot,
  untilSubscribed,
} from './helpers';

let world: DemoPages;
let srv: PagesServer;
let browser: Browser;
let demo: DemoResult;

beforeAll(async () => {
  world = await startDemoPages();
  ({ srv, browser, demo } = world);
}, 180_000);

afterAll(() => world?.close());

/** Whether the element lies wholly inside the viewport (it can be seen and tapped without scrolling). */
const onScreen = (page: Page, testId: string) =>
  page.getByTestId(testId).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  });

describe('attendant page over a whole demo trip (zh-CN)', () => {
  it('the current stop advances with the bus; the counter and the end-of-trip action stay on screen', async () => {
    world = await demoWorldForAttempt(world);
    ({ srv, browser, demo } = world);
    const att = demo.tokens.find((t) => t.role === 'attendant')!;
    const [trip] = await srv.t.database.query<{ id: number; route_id: number }>(
      'select id, route_id from trips where attendant_id = $1 order by planned_start_at limit 1',
      [att.attendantId],
    );
    const stops = (
      await srv.t.database.query<{ id: number }>('select id from stops where route_id = $1 order by sequence', [
        trip!.route_id,
      ])
    ).map((s) => String(s.id));
    expect(stops.length).toBeGreaterThan(5);

    // What the lane published for this trip, with the wall time it did: the stop the page may show from then on
    // (arrived at a stop: that stop; departed from or missed a stop: the next one).
    const allowedAtMs = new Map<string, number>();
    const allow = (stopId: string | undefined) => {
      if (stopId !== undefined && !allowedAtMs.has(stopId)) allowedAtMs.set(stopId, Date.now());
    };
    srv.runner.lanes.onOutput((out) => {
      for (const e of out.events) {
        if (!('tripId' in e) || e.tripId !== trip!.id || !('stopId' in e)) continue;
        const i = stops.indexOf(String(e.stopId));
        if (e.type === 'stop.arrived' || e.type === 'trip.arrivedAtSchool') allow(stops[i]);
        else if (e.type === 'stop.departed' || e.type === 'stop.missed') allow(stops[i + 1]);
      }
    });

    const { context, page, console } = await newPage(browser, { ...phone, locale: 'zh-CN' });
    await page.goto(`${srv.url}/attendant#token=${att.token}`);
    await page.getByTestId('trips').getByRole('button').first().click();
    await page.getByTestId('onboard').waitFor();
    expect(new URL(page.url()).hash).toBe(`#/trip/${trip!.id}`);

    // A real route's stop list is long; wherever the attendant scrolls, the counter and "end trip" are on screen.
    const { scrollH, viewH } = await page.evaluate(() => ({
      scrollH: document.scrollingElement!.scrollHeight,
      viewH: window.innerHeight,
    }));
    expect(scrollH).toBeGreaterThan(2 * viewH);
    for (const y of [0, Math.round(scrollH / 2), scrollH]) {
      await page.evaluate((top) => window.scrollTo(0, top), y);
      await page.waitForTimeout(100);
      for (const id of ['onboard', 'current-stop', 'end-trip', 'sos', 'undo'])
        expect(await onScreen(page, id), `${id} on screen at scroll ${y}`).toBe(true);
    }
    await screenshot(page, { path: `${ARTIFACTS}/attendant-demo-scrolled.png` });
    await page.evaluate(() => window.scrollTo(0, 0));

    // Every change of the page's current stop, with the time it showed.
    await page.evaluate(() => {
      const seen: { stop: string; manual: string; text: string; atMs: number }[] = [];
      (window as unknown as { stopSeen: typeof seen }).stopSeen = seen;
      const look = () => {
        const el = document.querySelector('[data-testid="current-stop"]');
        if (!el) return;
        const stop = el.getAttribute('data-stop') ?? '';
        const manual = el.getAttribute('data-manual') ?? '';
        const last = seen[seen.length - 1];
        if (!last || last.stop !== stop || last.manual !== manual)
          seen.push({ stop, manual, text: el.textContent ?? '', atMs: Date.now() });
      };
      look();
      new MutationObserver(look).observe(document.getElementById('app')!, {
        childList: true,
        subtree: true,
        attributes: true,
      });
    });

    await untilSubscribed(srv, `trip:${trip!.id}`);
    await world.drive({ speedup: 200, durationS: 25 }, 500); // the last pushes reach the page

    const seen = await page.evaluate(
      () =>
        (window as unknown as { stopSeen: { stop: string; manual: string; text: string; atMs: number }[] }).stopSeen,
    );
    const followed = seen.filter((s) => s.manual === 'false');
    const trace = JSON.stringify(seen.map((s) => [stops.indexOf(s.stop), s.manual]));
    // It advanced along the route, stop after stop, to the school, following the bus by itself.
    expect(new Set(followed.map((s) => s.stop)).size, trace).toBeGreaterThanOrEqual(3);
    const order = followed.map((s) => stops.indexOf(s.stop));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(
      order.every((i, k) => k === 0 || i >= order[k - 1]!),
      trace,
    ).toBe(true);
    expect(order[order.length - 1], trace).toBe(stops.length - 1);
    expect(seen[seen.length - 1]!.manual).toBe('false');
    // Never ahead of the bus: each stop shown only once the lane had published the arrival there (or the departure
    // from the stop before).
    for (const s of followed) {
      const at = allowedAtMs.get(s.stop);
      expect(at, `stop ${stops.indexOf(s.stop)} shown without a lane event`).toBeDefined();
      expect(s.atMs).toBeGreaterThanOrEqual(at!);
    }
    // In Chinese: "follows the bus".
    for (const s of followed) expect(s.text).toContain('随车辆自动更新');
    await screenshot(page, { path: `${ARTIFACTS}/attendant-demo.png` });
    expect(console.errors).toEqual([]);
    await context.close();
  }, 240_000);
});
