// The manager page's SOS / child-left-aboard alarm bar never moves a click: in a real browser on the whole stack,
// an alarm that arrives live (the attendant's SOS, pushed on the school's violations topic) while a manager is
// pressing a link, or just after they aimed at it, neither shifts the page under the pointer nor rebuilds the
// bar's own buttons under it; the first touch (which turns the alarm sound on) is a click that lands too.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser, newPage, type PagesServer, startPagesServer, tokenFor, screenshot } from './helpers';
import { buildLineWorld } from './line-world';

let srv: PagesServer;
let browser: Browser;
let attToken: string;
let mgrToken: string;
let tripId: number;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  const w = await buildLineWorld(t, {
    school: 'Hillside Primary',
    route: 'Line 7',
    lengthM: 2000,
    stops: [
      ['North Gate', 0, 0],
      ['School', 2000, 6],
    ],
    startMs: Date.now() - 5 * 60_000,
    bus: { plate: 'AL-7001', capacity: 20 },
    driver: 'Dan Driver',
    attendant: 'Ann Attendant',
  });
  tripId = w.tripId!;
  attToken = await tokenFor(t, { name: 'Ann Attendant', role: 'attendant', attendantId: w.attendantId });
  mgrToken = await tokenFor(t, { name: 'Mia Manager', role: 'manager', schoolIds: [w.schoolId] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

// Each test starts with no open alarm.
beforeEach(async () => {
  await srv.t.database.query(`update violations set status = 'closed' where status = 'open'`);
});

const statusOf = async (id: number) =>
  (await srv.t.database.query<{ status: string }>('select status from violations where id = $1', [id]))[0]!.status;

/** The attendant presses SOS: a new emergency case, pushed live to the school's managers (through the server). */
async function raiseSos(): Promise<number> {
  const res = await fetch(`${srv.url}/api/v1/trips/${tripId}/sos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${attToken}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { violationId: number }).violationId;
}

/** Raises an SOS and waits until the page has it: its live message came (the toast) and the alarms were re-read. */
async function sosArrives(page: Page): Promise<number> {
  const reread = page.waitForResponse((r) => r.url().includes('/api/v1/violations?kind=emergency'));
  const id = await raiseSos();
  await page.locator('.toast').waitFor();
  await reread;
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(150);
  return id;
}

/** The manager page, live, on the registry (a view the live violations leave alone). */
async function openRegistry(width = 1280, height = 800) {
  const r = await newPage(browser, { viewport: { width, height } });
  await r.page.goto(`${srv.url}/manager#token=${mgrToken}`);
  await r.page.locator('.conn.live').waitFor();
  await r.page.evaluate(() => (location.hash = '#/registry'));
  await r.page.getByTestId('export-buses').waitFor();
  return r;
}

const driversTab = (page: Page) => page.locator('nav.reg-tabs a[data-list="drivers"]');
const centre = async (l: Locator) => {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};

describe('manager alarm bar: clicks land while an alarm arrives or changes', () => {
  it('a link pressed while an SOS arrives live is clicked when released (the page does not move under the pointer)', async () => {
    const { context, page, console } = await openRegistry();
    // The sound is unlocked by a key: this test is about the live alarm, not the first touch.
    await page.keyboard.press('Shift');
    const tab = driversTab(page);
    const before = await tab.boundingBox();
    const at = await centre(tab);
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    const sos = await sosArrives(page);
    await page.mouse.up();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/registry/drivers');
    // The alarm is up once the button is released, and the link stayed where it was.
    const bar = page.getByTestId('alarm');
    await bar.locator(`li[data-id="${sos}"]`).waitFor();
    expect(await bar.isVisible()).toBe(true);
    // (The current tab is drawn bolder, so only its height and line are compared.)
    expect(await tab.boundingBox()).toMatchObject({ y: before!.y, height: before!.height });
    expect(await statusOf(sos)).toBe('open');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('a click aimed before an SOS arrived lands on what was aimed at, not on the alarm bar', async () => {
    const { context, page, console } = await openRegistry();
    await page.keyboard.press('Shift');
    const tab = driversTab(page);
    const before = await tab.boundingBox();
    const at = await centre(tab);
    await page.mouse.move(at.x, at.y);
    const sos = await sosArrives(page);
    const bar = page.getByTestId('alarm');
    await bar.locator(`li[data-id="${sos}"]`).waitFor();
    expect(await tab.boundingBox()).toEqual(before);
    // The manager clicks where the link was a moment ago.
    await page.mouse.click(at.x, at.y);
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/registry/drivers');
    // Nothing in the bar was hit: the SOS is still open, its alarm still up.
    expect(await statusOf(sos)).toBe('open');
    expect(await bar.isVisible()).toBe(true);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('the acknowledge button pressed while another SOS arrives acknowledges the alarm it was pressed on', async () => {
    const first = await raiseSos();
    const { context, page, console } = await openRegistry();
    await page.keyboard.press('Shift');
    const bar = page.getByTestId('alarm');
    const ack = bar.locator(`li[data-id="${first}"]`).getByRole('button', { name: 'Acknowledge' });
    await ack.waitFor();
    // A newer alarm goes on top: the row already shown and its button keep their place.
    const ackBox = await ack.boundingBox();
    const middle = await sosArrives(page);
    await bar.locator(`li[data-id="${middle}"]`).waitFor();
    expect(await bar.locator('li').evaluateAll((lis) => lis.map((li) => li.dataset.id))).toEqual([
      String(middle),
      String(first),
    ]);
    expect(await ack.boundingBox()).toEqual(ackBox);
    await page.waitForTimeout(800);
    const at = await centre(ack);
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    const second = await sosArrives(page);
    await page.mouse.up();
    await expect.poll(() => statusOf(first)).toBe('acknowledged');
    expect(await statusOf(second)).toBe('open');
    expect(await statusOf(middle)).toBe('open');
    // The bar now shows the two others, newest first.
    await expect
      .poll(() => bar.locator('li').evaluateAll((lis) => lis.map((li) => li.dataset.id)))
      .toEqual([String(second), String(middle)]);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('a press that lands on a bar button the instant it appears does not acknowledge; once settled, a click does', async () => {
    const { context, page, console } = await openRegistry();
    await page.keyboard.press('Shift');
    // In the page: the moment the new alarm's row is shown, a press and release on its button (what a manager who
    // was clicking the page below would do); the click's outcome is read back.
    const pressed = page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const bar = document.querySelector<HTMLElement>('[data-testid="alarm"]')!;
          const seen = new MutationObserver(() => {
            const btn = bar.querySelector<HTMLButtonElement>('li [data-testid="alarm-ack"]');
            if (bar.hidden || !btn) return;
            seen.disconnect();
            const at = { bubbles: true, cancelable: true, pointerId: 1, isPrimary: true, detail: 1 };
            btn.dispatchEvent(new PointerEvent('pointerdown', at));
            btn.dispatchEvent(new PointerEvent('pointerup', at));
            resolve(btn.dispatchEvent(new MouseEvent('click', at)));
          });
          seen.observe(bar, { subtree: true, childList: true, attributes: true });
        }),
    );
    const sos = await raiseSos();
    // The click was refused (cancelled), and nothing was sent.
    expect(await pressed).toBe(false);
    const bar = page.getByTestId('alarm');
    await page.locator('[data-testid="alarm"][data-settled="true"]').waitFor();
    expect(await statusOf(sos)).toBe('open');
    expect(await bar.isVisible()).toBe(true);
    await bar.locator(`li[data-id="${sos}"]`).getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => statusOf(sos)).toBe('acknowledged');
    await expect.poll(() => bar.isHidden()).toBe(true);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('by keyboard, acknowledge acts at once and the focus moves on to the next alarm', async () => {
    const older = await raiseSos();
    const newer = await raiseSos();
    const { context, page, console } = await openRegistry();
    const bar = page.getByTestId('alarm');
    await bar.locator(`li[data-id="${older}"]`).waitFor();
    // Keys are never held back, even the instant the bar appeared.
    await bar.locator(`li[data-id="${newer}"] [data-testid="alarm-ack"]`).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => statusOf(newer)).toBe('acknowledged');
    await expect
      .poll(() => bar.locator('li').evaluateAll((lis) => lis.map((li) => li.dataset.id)))
      .toEqual([String(older)]);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('li')?.dataset.id ?? null))
      .toBe(String(older));
    await page.keyboard.press('Enter');
    await expect.poll(() => statusOf(older)).toBe('acknowledged');
    await expect.poll(() => bar.isHidden()).toBe(true);
    // The last one gone, the focus is on the view.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('MAIN');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('the first touch on the page, which turns the alarm sound on, is a click that lands', async () => {
    const sos = await raiseSos();
    const { context, page, console } = await openRegistry();
    const bar = page.getByTestId('alarm');
    await bar.locator(`li[data-id="${sos}"]`).waitFor();
    // The browser keeps the sound off until the first touch: the bar offers a button for it.
    expect(await bar.getAttribute('data-sound')).toBe('blocked');
    await page.getByTestId('alarm-sound').waitFor();
    await page.waitForTimeout(800);
    const tab = driversTab(page);
    const before = await tab.boundingBox();
    const at = await centre(tab);
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    await expect.poll(() => bar.getAttribute('data-sound')).toBe('on');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await tab.boundingBox()).toEqual(before);
    await page.mouse.up();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/registry/drivers');
    await page.getByTestId('alarm-sound').waitFor({ state: 'hidden' });
    expect(await tab.boundingBox()).toMatchObject({ y: before!.y, height: before!.height });
    await screenshot(page, { path: `${ARTIFACTS}/manager-alarm.png` });
    expect(await statusOf(sos)).toBe('open');
    expect(console.errors).toEqual([]);
    await context.close();
  });
});

describe('manager alarm bar on a phone (320 px)', () => {
  it('covers nothing for good: no sideways scroll, the page’s end and focused controls clear it, no jump when it goes', async () => {
    const sos = await raiseSos();
    const { context, page, console } = await openRegistry(320, 640);
    const bar = page.getByTestId('alarm');
    await bar.locator(`li[data-id="${sos}"]`).waitFor();
    await page.keyboard.press('Shift');
    await page.getByTestId('alarm-sound').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(320);
    const barBox = (await bar.boundingBox())!;
    expect(barBox.y + barBox.height).toBeCloseTo(640, 0);
    expect(barBox.width).toBe(320);
    // At the very end of the page, the last of the view is above the bar.
    await page.evaluate(() => window.scrollTo(0, document.scrollingElement!.scrollHeight));
    const lastBottom = await page.evaluate(() => {
      const els = [...document.querySelectorAll('main *')].filter((e) => e.getClientRects().length);
      return Math.max(...els.map((e) => e.getBoundingClientRect().bottom));
    });
    expect(lastBottom).toBeLessThanOrEqual(barBox.y + 1);
    await screenshot(page, { path: `${ARTIFACTS}/manager-alarm-320.png` });
    // Tabbing through the view from the top: each focused control is scrolled clear of the bar.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('main').focus();
    const hidden: string[] = [];
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const r = el.getBoundingClientRect();
        return { inMain: !!el.closest('main'), bottom: r.bottom, what: `${el.tagName} ${el.textContent?.trim()}` };
      });
      if (f.inMain && f.bottom > barBox.y + 1) hidden.push(`${f.what} @ ${Math.round(f.bottom)}`);
    }
    expect(hidden).toEqual([]);
    // (The tabbing did reach controls that started under the bar.)
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);

    // Acknowledged while at the very end of the page: the bar goes, the page does not jump down; its room is
    // given back with the next view.
    await page.evaluate(() => window.scrollTo(0, document.scrollingElement!.scrollHeight));
    const lastButton = page.locator('main button').last();
    const end = await lastButton.boundingBox();
    await page.locator('[data-testid="alarm"][data-settled="true"]').waitFor();
    await bar.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => bar.isHidden()).toBe(true);
    expect(await lastButton.boundingBox()).toEqual(end);
    const space = () =>
      page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--alarm-space').trim());
    expect(await space()).toBe(`${Math.ceil(barBox.height)}px`);
    await page.evaluate(() => (location.hash = '#/registry/drivers'));
    await expect.poll(space).toBe('0px');
    expect(console.errors).toEqual([]);
    await context.close();
  });
});
