// A whole demo trip in the parent page: the demo district, its simulator driving the buses through the real
// servers (JT/T 808, OsmAnd, JSON) and lanes, and a guardian's page in chromium. The page never says "passed" before
// the lane published the departure from the child's stop, the live ETA list never empties while stops remain, and
// "N stops away" counts down from the child's stop's place on the route to "next stop".
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remainingStopIds } from '../../src/core/engine';
import type { DemoResult } from '../../src/demo/seed';
import {
  newPage,
  type PagesServer,
  phone,
  startDemoPages,
  demoWorldForAttempt,
  type DemoPages,
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

describe('parent page over a whole demo trip', () => {
  it('never says "passed" before the departure from the child’s stop; the ETA list never empties while stops remain', async () => {
    world = await demoWorldForAttempt(world);
    ({ srv, browser, demo } = world);
    const guardian = demo.tokens.find((t) => t.role === 'guardian')!;
    const [child] = await srv.t.database.query<{ student_id: number; stop_id: number; route_id: number }>(
      `select ss.student_id, ss.stop_id, ss.route_id from guardian_students gs
       join users u on u.guardian_id = gs.guardian_id
       join api_tokens k on k.user_id = u.id
       join student_stops ss on ss.student_id = gs.student_id
       where k.token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex') limit 1`,
      [guardian.token],
    );
    expect(child).toBeDefined();
    const [trip] = await srv.t.database.query<{ id: number; bus_id: number }>(
      'select id, bus_id from trips where route_id = $1 order by planned_start_at limit 1',
      [child!.route_id],
    );
    const stopId = String(child!.stop_id);

    // What the lane published, with the wall time it did.
    let departedAtMs: number | undefined;
    let arrivedAtMs: number | undefined;
    srv.runner.lanes.onOutput((out) => {
      for (const e of out.events) {
        if (e.type === 'stop.departed' && e.stopId === stopId && e.tripId === trip!.id) departedAtMs ??= Date.now();
        if (e.type === 'stop.arrived' && e.stopId === stopId && e.tripId === trip!.id) arrivedAtMs ??= Date.now();
      }
    });
    // The live ETA, polled while the simulator runs: empty only once no stop remains.
    const emptyWhileRemaining: string[] = [];
    let polls = 0;
    const poller = setInterval(() => {
      const lane = srv.runner.lanes.existing(trip!.bus_id);
      const eta = srv.live.etaOfTrip(trip!.id);
      if (!lane?.trip || lane.trip.tripId !== trip!.id || !lane.state || !eta) return;
      if (lane.state.trip.status !== 'active') return;
      polls++;
      const remaining = remainingStopIds(lane.trip.ctx.route.stops, lane.state.stops);
      if (remaining.length > 0 && eta.stops.length === 0) emptyWhileRemaining.push(remaining.join(','));
    }, 50);

    const { context, page, console } = await newPage(browser, phone);
    await page.goto(`${srv.url}/parent#token=${guardian.token}`);
    await page.getByTestId('eta').waitFor();
    // The page follows the trip before the bus sets off (under load its fetches and subscription come late, and the
    // countdown's first numbers would go by unseen).
    await untilSubscribed(srv, `trip:${trip!.id}`);
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="eta"]')!;
      const seen: { text: string; atMs: number }[] = [{ text: el.textContent ?? '', atMs: Date.now() }];
      (window as unknown as { etaSeen: typeof seen }).etaSeen = seen;
      new MutationObserver(() => seen.push({ text: el.textContent ?? '', atMs: Date.now() })).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
      // and every line under it ("N stops away · at … around …")
      const detail = document.querySelector('[data-testid="eta-detail"]')!;
      const details: string[] = [];
      (window as unknown as { detailSeen: string[] }).detailSeen = details;
      new MutationObserver(() => details.push(detail.textContent ?? '')).observe(detail, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });

    await world.drive({ speedup: 200, durationS: 25 }, 500); // the last pushes reach the page
    clearInterval(poller);

    expect(arrivedAtMs, 'the lane published the arrival at the child’s stop').toBeDefined();
    expect(departedAtMs, 'the lane published the departure from the child’s stop').toBeDefined();
    const seen = await page.evaluate(
      () => (window as unknown as { etaSeen: { text: string; atMs: number }[] }).etaSeen,
    );
    // The demo guardians read Chinese.
    const PASSED = ['The bus has passed your stop', '校车已驶过您的站点'];
    const AT_STOP = ['The bus is at your stop', '校车已到达您的站点'];
    const passed = seen.filter((s) => PASSED.includes(s.text));
    expect(passed.length, JSON.stringify(seen.map((s) => s.text))).toBeGreaterThan(0);
    expect(passed[0]!.atMs).toBeGreaterThanOrEqual(departedAtMs!);
    const firstPassed = seen.indexOf(passed[0]!);
    expect(seen.slice(0, firstPassed).some((s) => AT_STOP.includes(s.text))).toBe(true);
    // Once it says "passed" it does not go back to "at your stop" or a countdown (the trip's end may blank it).
    expect(seen.slice(firstPassed).every((s) => PASSED.includes(s.text) || s.text === '—')).toBe(true);
    // "N stops away" counts the stops to the child's (theirs included) from where the bus is: from the child's
    // stop's place on the route (one more while the bus has not reached the first stop) down to "next stop" (1).
    const [{ k: childIndex }] = (await srv.t.database.query<{ k: number }>(
      'select count(*)::int as k from stops where route_id = $1 and sequence < (select sequence from stops where id = $2)',
      [child!.route_id, child!.stop_id],
    )) as [{ k: number }];
    expect(childIndex).toBeGreaterThanOrEqual(2);
    const details = await page.evaluate(() => (window as unknown as { detailSeen: string[] }).detailSeen);
    const counts = details
      .map((d) => /^还有(\d+)站 · /.exec(d)?.[1] ?? (/^下一站就到 · /.test(d) ? '1' : null))
      .filter((c): c is string => c !== null)
      .map(Number);
    const order = [...new Set(counts)]; // each count in the order first shown
    expect(order, details.join(' | ')).toEqual([...order].sort((a, b) => b - a));
    expect(order).toContain(childIndex);
    expect(order[0]).toBeLessThanOrEqual(childIndex + 1);
    expect(order.at(-1)).toBe(1);
    expect(polls).toBeGreaterThan(20);
    expect(emptyWhileRemaining).toEqual([]);
    expect(console.errors).toEqual([]);
    await context.close();
  }, 240_000);
});
