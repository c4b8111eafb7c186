// Attendant page in a real browser (phone): checks in, records boardings while the network is cut (offline, then
// with the batch endpoint unreachable across a reload), and after the network is back every record is in the
// database exactly once; onboard count turns red over capacity; the end-of-trip sweep ends the trip.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  Driver,
  launchBrowser,
  newPage,
  type PagesServer,
  phone,
  startPagesServer,
  tokenFor,
  screenshot,
} from './helpers';
import { buildLineWorld } from './line-world';

let srv: PagesServer;
let browser: Browser;
let token: string;
let tripId: number;
let students: { id: number; name: string }[];
let startMs: number;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  startMs = Date.now() - 10 * 60_000;
  const w = await buildLineWorld(t, {
    school: 'Attendant School',
    route: 'River line',
    stops: [
      ['Bridge', 0, 0],
      ['Market', 1400, 3],
      ['School', 2800, 6],
    ],
    startMs,
    bus: { plate: 'AT-303', capacity: 3, device: 'at-dev-1' },
    driver: 'Driver Wang',
    attendant: 'Attendant Li',
    students: [
      ['Lin Lin', 0],
      ['Zhang Wei', 1],
    ],
  });
  students = w.studentIds.map((id, i) => ({ id, name: ['Lin Lin', 'Zhang Wei'][i]! }));
  tripId = w.tripId!;
  token = await tokenFor(t, { name: 'Attendant Li', role: 'attendant', attendantId: w.attendantId });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const OFFLINE_NOISE = /ERR_INTERNET_DISCONNECTED|ERR_FAILED|ERR_NETWORK_CHANGED/;

describe('attendant page', () => {
  it('queues boardings offline and across a reload, sends each exactly once, shows over capacity, sweeps', async () => {
    const { context, page, console } = await newPage(browser, phone);
    await page.goto(`${srv.url}/attendant#token=${token}`);
    await page
      .getByTestId('trips')
      .getByRole('button', { name: /River line/ })
      .click();
    await page.getByTestId('check-in').click();
    const checks = page.getByTestId('checks');
    await checks.locator('li').first().waitFor();
    expect(await checks.locator('li').count()).toBe(3);
    expect(await checks.locator('li[data-check="busLicence"]').getAttribute('class')).toBe('pass');
    const queue = page.getByTestId('queue');
    const onboard = page.getByTestId('onboard');

    // The network goes away: two head counts at the first stop and one child by name.
    await context.setOffline(true);
    await page.getByTestId('board-one').click();
    await page.getByTestId('board-one').click();
    await page.getByRole('tab', { name: 'Students' }).click();
    await page.getByRole('button', { name: 'Lin Lin boards' }).click();
    await expect.poll(() => queue.getAttribute('data-pending')).toBe('3');
    expect(await onboard.getAttribute('data-onboard')).toBe('3');
    expect(await onboard.getAttribute('data-over')).toBe('false');
    expect(await srv.t.database.query('select 1 from boarding_records where trip_id = $1', [tripId])).toEqual([]);

    // Back on the network, but the batch endpoint is unreachable (a dead zone behind a captive proxy): one more
    // child boards (over capacity, red) and the page is reloaded — the queue survives on the phone.
    let blocked = 0;
    await page.route('**/api/v1/trips/*/boarding', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      blocked++;
      return route.abort('internetdisconnected');
    });
    await context.setOffline(false);
    await page.getByRole('tab', { name: 'Stops' }).click();
    await page.getByTestId('board-one').click();
    await expect.poll(() => queue.getAttribute('data-pending')).toBe('4');
    expect(await onboard.getAttribute('data-over')).toBe('true');
    expect(await onboard.textContent()).toContain('OVER CAPACITY');
    await screenshot(page, { path: `${ARTIFACTS}/attendant-over-capacity.png`, fullPage: true });
    await page.reload();
    await expect.poll(() => page.getByTestId('queue').getAttribute('data-pending')).toBe('4');
    expect(await page.getByTestId('onboard').getAttribute('data-onboard')).toBe('4');
    expect(blocked).toBeGreaterThan(0);

    // The network is back for real: everything is sent, once.
    await page.unroute('**/api/v1/trips/*/boarding');
    await page.getByRole('button', { name: 'Send now' }).click();
    await expect.poll(() => page.getByTestId('queue').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    const rows = await srv.t.database.query<{
      client_id: string;
      kind: string;
      student_id: number | null;
      boarded: number;
    }>('select client_id, kind, student_id, boarded from boarding_records where trip_id = $1 order by recorded_at', [
      tripId,
    ]);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.client_id)).size).toBe(4);
    expect(rows.filter((r) => r.kind === 'student').map((r) => r.student_id)).toEqual([students[0]!.id]);
    expect(rows.reduce((n, r) => n + r.boarded, 0)).toBe(4);
    await expect.poll(() => page.getByTestId('onboard').getAttribute('data-onboard')).toBe('4');
    const [over] = await srv.t.database.query<{ n: number }>(
      "select count(*)::int as n from violations where trip_id = $1 and kind = 'overCapacity'",
      [tripId],
    );
    expect(over!.n).toBe(1);

    // The bus drives to school (the page's current stop follows it); everyone gets off; the sweep confirms the
    // bus is empty and ends the trip.
    const bus = new Driver(srv, 'at-dev-1', startMs + 30_000);
    await bus.drive(10, 0);
    await bus.drive(280, 36);
    await bus.drive(20, 0);
    await expect.poll(() => page.getByTestId('current-stop').textContent()).toContain('School');
    for (let i = 0; i < 3; i++) await page.getByTestId('off-one').click();
    await page.getByRole('tab', { name: 'Students' }).click();
    await page.getByRole('button', { name: /Lin Lin is on board/ }).click();
    await expect.poll(() => page.getByTestId('queue').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    await expect.poll(() => page.getByTestId('onboard').getAttribute('data-onboard')).toBe('0');
    await page.getByTestId('end-trip').click();
    await page.getByLabel('I walked to the back of the bus and checked every seat').check();
    await page.getByTestId('sweep-empty').click();
    await page
      .getByTestId('sweep')
      .getByText(/Confirmed empty at/)
      .waitFor();
    const [trip] = await srv.t.database.query<{ status: string }>('select status from trips where id = $1', [tripId]);
    expect(trip!.status).toBe('completed');
    const [total] = await srv.t.database.query<{ n: number }>(
      'select count(*)::int as n from boarding_records where trip_id = $1',
      [tripId],
    );
    expect(total!.n).toBe(8);
    await screenshot(page, { path: `${ARTIFACTS}/attendant.png`, fullPage: true });
    expect(console.errors.filter((e) => !OFFLINE_NOISE.test(e))).toEqual([]);
    await context.close();
  });
});
