// Accessibility of the three pages in a real browser: axe-core (WCAG 2.x A/AA rules) reports no serious or
// critical violation on the parent, attendant and manager pages (in Chinese, with the SOS alarm and the sweep
// panel open), and the keyboard focus ring has at least 3:1 contrast against what surrounds it.
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, ok, type PagesServer, phone, startPagesServer, tokenFor } from './helpers';
import { buildLineWorld } from './line-world';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let srv: PagesServer;
let browser: Browser;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  const startMs = Date.now() - 5 * 60_000;
  const w = await buildLineWorld(t, {
    school: '无障碍小学',
    route: '二号线',
    lengthM: 2000,
    stops: [
      ['北门', 0, 0],
      ['学校', 2000, 5],
    ],
    startMs,
    bus: { plate: '沪B2002', capacity: 20 },
    attendant: '周老师',
    students: [['陈小雨', 0]],
    guardian: { name: '陈妈妈' },
  });
  tokens.attendant = await tokenFor(t, { name: '周老师', role: 'attendant', attendantId: w.attendantId });
  tokens.manager = await tokenFor(t, { name: '赵主任', role: 'manager', schoolIds: [w.schoolId] });
  tokens.guardian = await tokenFor(t, { name: '陈妈妈', role: 'guardian', guardianId: w.guardianId });
  // An open SOS, so the manager page shows its alarm bar.
  await ok(t.call('POST', `/api/v1/trips/${w.tripId}/sos`, { token: tokens.attendant, body: { note: '测试' } }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical WCAG A/AA violations on the page as it is now. */
async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_PATH });
  const violations: AxeViolation[] = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<any> } }).axe.run(
      document,
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } },
    );
    return r.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} @ ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Contrast ratio (WCAG) of the focused element's outline against the nearest opaque background behind it. */
async function focusContrast(page: Page): Promise<number> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const style = getComputedStyle(el);
    if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return 0;
    let bg: number[] = [255, 255, 255];
    for (let p: HTMLElement | null = el.parentElement; p; p = p.parentElement) {
      const c = rgb(getComputedStyle(p).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3]! > 0.9)) {
        bg = c;
        break;
      }
    }
    const a = lum(rgb(style.outlineColor));
    const b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

async function tabTo(page: Page, selector: string) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`could not reach ${selector} by keyboard`);
}

describe('accessibility (axe-core, zh-CN)', () => {
  it('attendant page: no serious or critical violation (trip view, sweep panel); focus ring ≥ 3:1', async () => {
    const { context, page } = await newPage(browser, { ...phone, locale: 'zh-CN', bypassCSP: true });
    await page.goto(`${srv.url}/attendant#token=${tokens.attendant}`);
    await page
      .getByTestId('trips')
      .getByRole('button', { name: /二号线/ })
      .click();
    await page.getByTestId('onboard').waitFor();
    expect(await axe(page)).toEqual([]);
    await page.getByTestId('end-trip').click();
    await page.getByTestId('sweep-panel').waitFor();
    expect(await axe(page)).toEqual([]);
    await tabTo(page, '[data-testid="sweep-check"]');
    expect(await focusContrast(page)).toBeGreaterThanOrEqual(3);
    await context.close();
  });

  it('manager page: no serious or critical violation (overview, violations with the alarm, a case, compliance); focus ring ≥ 3:1', async () => {
    const { context, page } = await newPage(browser, {
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
      bypassCSP: true,
    });
    await page.goto(`${srv.url}/manager#token=${tokens.manager}`);
    await page.getByTestId('alarm').locator('li').first().waitFor();
    // The overview (home view): tiles, the alarm list, the cases table and the trend chart.
    await page.getByTestId('dash-trend').waitFor();
    await page.getByTestId('dash-alarms').waitFor();
    expect(await axe(page)).toEqual([]);
    await page.evaluate(() => (location.hash = '#/violations'));
    await page.getByTestId('violations').locator('tbody tr').first().waitFor();
    expect(await axe(page)).toEqual([]);
    // The alarm's link opens the SOS case.
    await page.getByTestId('alarm').getByRole('link').first().click();
    await page.getByTestId('case').waitFor();
    expect(await axe(page)).toEqual([]);
    // The ring on the light page and on the dark top bar.
    await tabTo(page, 'main a, main button');
    expect(await focusContrast(page)).toBeGreaterThanOrEqual(3);
    await tabTo(page, '.topbar a, .topbar button');
    expect(await focusContrast(page)).toBeGreaterThanOrEqual(3);
    await page.evaluate(() => (location.hash = '#/compliance'));
    await page.locator('main h2').first().waitFor();
    expect(await axe(page)).toEqual([]);
    await context.close();
  });

  it('manager registry: no serious or critical violation (lists, a form with a field error, the parent link, a route map)', async () => {
    const { context, page } = await newPage(browser, {
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
      bypassCSP: true,
    });
    await page.goto(`${srv.url}/manager#token=${tokens.manager}`);
    // The first view (the overview) loaded: a view still loading would draw over the next one.
    await page.locator('[data-testid="dashboard"][aria-busy="false"]').waitFor();
    const found: Record<string, string[]> = {};
    const check = async (name: string) => {
      const v = await axe(page);
      if (v.length) found[name] = v;
    };
    for (const list of ['buses', 'drivers', 'attendants', 'devices', 'students', 'guardians', 'routes', 'trips']) {
      await page.evaluate((l) => (location.hash = `#/registry/${l}`), list);
      await page.locator(`nav.reg-tabs a[data-list="${list}"][aria-current="page"]`).waitFor();
      await check(list);
      if (list === 'routes') {
        await page.getByRole('button', { name: '在地图上查看线路 二号线' }).click();
        await page.getByTestId('route-stops').waitFor();
        await check('route map');
        continue;
      }
      await page.locator('.reg-head button.primary').click();
      await page.getByTestId('reg-form').waitFor();
      await check(`${list}: new`);
    }
    await page.evaluate(() => (location.hash = '#/registry/buses'));
    await page.locator('nav.reg-tabs a[data-list="buses"][aria-current="page"]').waitFor();
    await page.locator('.reg-head button.primary').click();
    await page.locator('main').getByLabel('车牌').fill('沪B2003');
    await page.locator('main').getByLabel('核定载客').fill('0');
    await page.getByRole('button', { name: '保存' }).click();
    await page.locator('[data-field-error="approvedCapacity"]:not([hidden])').waitFor();
    await check('field error');
    await page.evaluate(() => (location.hash = '#/registry/guardians'));
    await page.getByRole('button', { name: '陈妈妈 的家长链接' }).click();
    await page.getByTestId('issue-parent-link').click();
    await page.getByTestId('parent-qr').waitFor();
    await check('parent link');
    expect(found).toEqual({});
    await context.close();
  });

  it('parent page: no serious or critical violation; focus ring ≥ 3:1', async () => {
    const { context, page } = await newPage(browser, { ...phone, locale: 'zh-CN', bypassCSP: true });
    await page.goto(`${srv.url}/parent#token=${tokens.guardian}`);
    await page.getByTestId('trip-status').waitFor();
    expect(await axe(page)).toEqual([]);
    await tabTo(page, 'main button, main a, main input, main select');
    expect(await focusContrast(page)).toBeGreaterThanOrEqual(3);
    await context.close();
  });
});
