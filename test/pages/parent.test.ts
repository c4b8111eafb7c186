// Parent page in a real browser: signs in from the link's #token= fragment (then kept out of the address bar),
// follows the child's bus as it moves through the real ingest → engine → live path, sees a notice arrive, saves
// notice preferences, switches language; a parent's token cannot open another child's page.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, type World } from '../helpers/world';
import {
  ARTIFACTS,
  Driver,
  TZ,
  launchBrowser,
  lonAt,
  mapState,
  newPage,
  ok,
  type PagesServer,
  phone,
  startPagesServer,
  tokenFor,
  screenshot,
  untilSubscribed,
} from './helpers';
import { tripTopic } from '../../src/live/topics';
import { buildLineWorld, type LineWorld } from './line-world';

let srv: PagesServer;
let browser: Browser;
let w: World;
let token: string;
let guardianId: number;
let startMs: number;
/** The bus of the trip, driven on by the tests in order. */
let driver: Driver;
/** The planned trip of the 'Quay line' test. */
let quay: LineWorld | undefined;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  w = await buildWorld(t);
  const schoolId = w.a.schoolId;
  await ok(t.call('PATCH', `/api/v1/schools/${schoolId}`, { body: { timeZone: TZ } }), 200);
  startMs = Math.floor((Date.now() - 4 * 60_000) / 60_000) * 60_000;
  guardianId = (
    await buildLineWorld(t, {
      school: schoolId,
      route: 'Harbour line',
      stops: [
        ['Start', 0, 0],
        ['Middle', 1400, 3],
        ['School', 2800, 6],
      ],
      startMs,
      bus: { plate: 'PG-101', capacity: 40, device: 'pg-dev-1' },
      students: [['Xiao Ming', 1]],
      guardian: { name: 'Parent L', locale: 'en', noticePreferences: { approachMetres: 500 } },
    })
  ).guardianId!;
  token = await tokenFor(t, { name: 'Parent L', role: 'guardian', guardianId });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

describe('parent page', () => {
  it('shows the bus moving on the map, the ETA and a notice arriving; saves preferences; no console errors', async () => {
    const { context, page, console } = await newPage(browser, phone);
    const res = await page.goto(`${srv.url}/parent#token=${token}`);
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:\/\//);
    await page.getByTestId('trip-status').filter({ hasText: 'Not started yet' }).waitFor();
    // The token left the address bar for localStorage.
    expect(page.url()).toBe(`${srv.url}/parent`);
    expect(await page.evaluate(() => localStorage.getItem('bg.token.parent'))).toBe(token);
    await expect.poll(() => page.locator('.conn').textContent()).toBe('Live');
    await page.getByRole('heading', { name: 'Bus PG-101 · Harbour line' }).waitFor();

    driver = new Driver(srv, 'pg-dev-1', startMs + 30_000);
    await driver.drive(10, 0);
    await driver.drive(20, 36);
    const map = page.getByTestId('map');
    await expect.poll(async () => Number(await map.getAttribute('data-bus-lon'))).toBeGreaterThan(lonAt(150));
    const firstLon = Number(await map.getAttribute('data-bus-lon'));
    await expect.poll(() => page.getByTestId('trip-status').textContent()).toBe('On the way');
    // The map draws the bus (its marker and plate on the bus layer) where the last fix put it, in view.
    await expect
      .poll(async () => (await mapState(page))?.rendered['bg-bus']?.map((f) => f.properties.label))
      .toEqual(['PG-101']);

    await driver.drive(75, 36); // ~950 m: 450 m before the child's stop (the guardian asked for 500 m)
    await expect.poll(async () => Number(await map.getAttribute('data-bus-lon'))).toBeGreaterThan(firstLon + 0.005);
    const notice = page.getByTestId('notices').locator('li[data-kind="approaching"]');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toMatch(/approaching the Middle stop/);
    expect(await page.getByTestId('notices').locator('li[data-kind="trip.started"]').count()).toBe(1);
    expect(await page.getByTestId('eta').textContent()).toMatch(/^(\d+ min|Arriving now)$/);
    expect(await page.getByTestId('eta-detail').textContent()).toMatch(/at Middle around/);
    await screenshot(page, { path: `${ARTIFACTS}/parent.png`, fullPage: true });

    // Preferences: 7 minutes instead of 500 m, on the guardian's own record.
    await page.getByLabel('minutes before').check();
    await page.locator('#pref-min').fill('7');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('prefs-result').filter({ hasText: 'Saved.' }).waitFor();
    const [g] = await srv.t.database.query<{ notice_preferences: unknown }>(
      'select notice_preferences from guardians where id = $1',
      [guardianId],
    );
    expect(g!.notice_preferences).toEqual({ approachMinutes: 7 });

    // zh-CN, kept on this phone.
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '通知' }).waitFor();
    expect(await page.getByTestId('notices').locator('li[data-kind="approaching"]').textContent()).toMatch(/Middle/);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await screenshot(page, { path: `${ARTIFACTS}/parent-zh.png`, fullPage: true });
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('says "passed" only after the bus has left the child’s stop, not while it is there', async () => {
    const { context, page, console } = await newPage(browser, phone);
    await page.goto(`${srv.url}/parent#token=${token}`);
    await page.getByTestId('trip-status').filter({ hasText: 'On the way' }).waitFor();
    // Every headline the page shows from now on.
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="eta"]')!;
      const seen: string[] = [el.textContent ?? ''];
      (window as unknown as { etaSeen: string[] }).etaSeen = seen;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    // The first test left the bus 450 m before the child's stop (Middle, 1400 m).
    expect(driver.xM).toBeCloseTo(950, 0);
    await driver.drive(42, 36); // ~1370 m: inside the stop's 50 m radius
    await driver.drive(20, 0); // dwelling at the stop
    const eta = page.getByTestId('eta');
    await expect.poll(() => eta.textContent()).toBe('The bus is at your stop');
    await driver.drive(15, 36); // ~1520 m: beyond radius + margin, departed
    await expect.poll(() => eta.textContent()).toBe('The bus has passed your stop');
    const seen = await page.evaluate(() => (window as unknown as { etaSeen: string[] }).etaSeen);
    const firstPassed = seen.indexOf('The bus has passed your stop');
    expect(seen.indexOf('The bus is at your stop')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('The bus is at your stop')).toBeLessThan(firstPassed);
    // Never "passed" before the departure: once it shows, it stays.
    expect(seen.slice(firstPassed).every((x) => x === 'The bus has passed your stop')).toBe(true);
    // The arrival notice is stored, then published: it may land after the ETA that says "passed".
    await expect
      .poll(() =>
        page
          .getByTestId('notices')
          .locator('li')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
      )
      .toContain('stop.arrived');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('shows the trip under way on the first position the lane placed on it, before the trip.started message', async () => {
    // The live side publishes a position at once and a new trip's trip.started once its route profile is loaded; on
    // a busy server the parent sees the bus move first. That position carries the trip's id: the trip runs.
    const t = srv.t;
    // Built once (a retry reuses it).
    quay ??= await buildLineWorld(t, {
      school: w.a.schoolId,
      route: 'Quay line',
      stops: [
        ['Quay', 0, 0],
        ['Market', 1400, 3],
        ['School gate', 2800, 6],
      ],
      startMs: Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000,
      bus: { plate: 'PG-102', capacity: 40 },
      students: [['Xiao Hong', 1]],
      guardian: { name: 'Parent Q', locale: 'en' },
    });
    const line = quay;
    const parent = await tokenFor(t, { name: 'Parent Q', role: 'guardian', guardianId: line.guardianId! });
    const { context, page, console } = await newPage(browser, phone);
    await page.goto(`${srv.url}/parent#token=${parent}`);
    await page.getByTestId('trip-status').filter({ hasText: 'Not started yet' }).waitFor();
    await untilSubscribed(srv, tripTopic(line.tripId!));
    const position = {
      busId: line.busId,
      lat: 31.2,
      lon: lonAt(300),
      speedKph: 30,
      headingDeg: 90,
      timeMs: Date.now(),
    };
    // A position of the bus on no trip (before the start) leaves it "not started".
    srv.live.hub.publish(tripTopic(line.tripId!), 'position', { ...position, tripId: null });
    await expect.poll(async () => Number(await page.getByTestId('map').getAttribute('data-bus-lon'))).toBe(lonAt(300));
    expect(await page.getByTestId('trip-status').textContent()).toMatch(/^Not started yet/);
    srv.live.hub.publish(tripTopic(line.tripId!), 'position', { ...position, tripId: line.tripId });
    await expect.poll(() => page.getByTestId('trip-status').textContent()).toBe('On the way');
    expect(await page.getByTestId('eta-detail').textContent()).toMatch(/^next stop · at Market around/);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it("cannot open another child's page, and the API refuses that child's data", async () => {
    const { context, page, console } = await newPage(browser, phone);
    const other = w.a.students[0];
    await page.goto(`${srv.url}/parent?student=${other.id}#token=${token}`);
    await page.getByTestId('fatal').filter({ hasText: 'not linked to your account' }).waitFor();
    expect(await page.locator('body').textContent()).not.toContain(other.name);
    expect(await page.locator('.child-tabs a').allTextContents()).toEqual(['Xiao Ming']);
    for (const path of [
      `/api/v1/students/${other.id}`,
      `/api/v1/trips/${w.a.trips[0].id}/position`,
      `/api/v1/trips/${w.a.trips[0].id}/eta`,
      `/api/v1/routes/${w.a.routes[0].id}`,
    ]) {
      const r = await srv.t.call('GET', path, { token });
      expect(r.status, path).toBe(403);
    }
    // Another guardian's PATCH changes only their own record.
    const before = await srv.t.database.query<{ notice_preferences: unknown }>(
      'select notice_preferences from guardians where id = $1',
      [w.a.guardians[0].id],
    );
    await ok(srv.t.call('PATCH', '/api/v1/me/notice-preferences', { token, body: { approachMetres: 800 } }), 200);
    expect(
      await srv.t.database.query('select notice_preferences from guardians where id = $1', [w.a.guardians[0].id]),
    ).toEqual(before);
    expect(
      (await srv.t.call('PATCH', '/api/v1/me/notice-preferences', { token, body: { approachMetres: 10 } })).status,
    ).toBe(400);
    expect(
      (
        await srv.t.call('PATCH', '/api/v1/me/notice-preferences', {
          token: w.tokens.managerA,
          body: { approachMinutes: 5 },
        })
      ).status,
    ).toBe(403);
    expect(console.errors).toEqual([]);
    await context.close();
  });
});
