// The pre-trip check on the attendant page, in Chinese, in a real browser: a fault on the brakes is reported (a
// critical case opens) and check-in is refused in Chinese; after the repair "全部正常" passes and check-in starts
// the trip. The manager records the weekly inspection and a drill on the manager page.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  TZ,
  hhmm,
  launchBrowser,
  lonAt,
  newPage,
  ok,
  type PagesServer,
  phone,
  startPagesServer,
  today,
  tokenFor,
  screenshot,
} from './helpers';

let srv: PagesServer;
let browser: Browser;
let attToken: string;
let tripId: number;
let mgrToken: string;
let busId: number;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  const school = await ok(
    t.call('POST', '/api/v1/schools', { body: { name: '检查小学', lat: 31.2, lon: 121.5, timeZone: TZ } }),
  );
  const startMs = Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000;
  const route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        schoolId: school.id,
        name: '东环线',
        approvedBy: '区教育局',
        approvalNumber: '教校车〔2026〕3号',
        approvedOn: '2026-01-05',
        path: {
          type: 'LineString',
          coordinates: [
            [lonAt(0), 31.2],
            [lonAt(3000), 31.2],
          ],
        },
        stops: [
          { name: '东门', lat: 31.2, lon: lonAt(0), scheduledTime: hhmm(startMs) },
          { name: '学校', lat: 31.2, lon: lonAt(2800), scheduledTime: hhmm(startMs + 6 * 60_000) },
        ],
      },
    }),
  );
  const bus = await ok(
    t.call('POST', '/api/v1/buses', {
      body: {
        schoolId: school.id,
        plate: '沪B-7788',
        approvedCapacity: 30,
        signValidUntil: '2099-01-01',
        inspectionValidUntil: '2099-01-01',
      },
    }),
  );
  const attendant = await ok(
    t.call('POST', '/api/v1/attendants', {
      body: { schoolId: school.id, name: '周老师', trainingValidUntil: '2099-01-01' },
    }),
  );
  const trip = await ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId: route.id,
        busId: bus.id,
        attendantId: attendant.id,
        serviceDate: today(startMs),
        plannedStartAt: new Date(startMs).toISOString(),
      },
    }),
  );
  tripId = trip.id;
  busId = bus.id;
  mgrToken = await tokenFor(t, { name: '张主任', role: 'manager', schoolIds: [school.id] });
  attToken = await tokenFor(t, { name: '周老师', role: 'attendant', attendantId: attendant.id });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const q = <T>(sql: string, params: unknown[] = []) => srv.t.database.query<T>(sql, params);

async function openTrip(page: Page) {
  await page.goto(`${srv.url}/attendant#token=${attToken}`);
  await page
    .getByTestId('trips')
    .getByRole('button', { name: /东环线/ })
    .click();
  await page.getByTestId('pre-trip').waitFor();
}

describe('pre-trip check on the attendant page (zh-CN)', () => {
  it('a brake fault is reported and blocks check-in; after the repair the check passes and check-in starts the trip', async () => {
    const { page, console } = await newPage(browser, { ...phone, locale: 'zh-CN' });
    await openTrip(page);
    const panel = page.getByTestId('pre-trip');
    expect(await panel.getByRole('heading').textContent()).toBe('出车前检查');
    // Nothing marked yet: the submit button waits for all eleven items.
    expect(await page.getByTestId('pre-trip-submit').isDisabled()).toBe(true);
    expect(await panel.textContent()).toContain('还有 11 项未标记');
    await page.getByTestId('pre-trip-all-ok').click();
    await panel.locator('li[data-item="brakes"] button[data-mark="fault"]').click();
    await page.getByLabel('制动（刹车）的问题').fill('刹车踏板偏软');
    await page.getByTestId('pre-trip-by').selectOption('driver');
    await page.getByTestId('pre-trip-submit').click();
    const result = page.getByTestId('pre-trip-result');
    await expect.poll(() => result.getAttribute('data-passed')).toBe('false');
    expect(await result.textContent()).toContain('出车前检查不合格（制动（刹车））');
    const [v] = await q<{ kind: string; severity: string; evidence: any }>(
      'select kind, severity, evidence from violations where trip_id = $1',
      [tripId],
    );
    expect(v).toMatchObject({
      kind: 'preTripCheckFailed',
      severity: 'critical',
      evidence: { failedItems: ['brakes'], notes: { brakes: '刹车踏板偏软' }, performedBy: 'driver' },
    });
    await screenshot(page, { path: `${ARTIFACTS}/attendant-pre-trip-failed.png`, fullPage: true });

    // Check-in is refused, in Chinese, and nothing starts.
    await page.getByTestId('check-in').click();
    await expect
      .poll(() => page.getByTestId('message').textContent())
      .toBe('无法签到：出车前检查不合格，请修复后重新检查。');
    const [before] = await q<{ status: string }>('select status from trips where id = $1', [tripId]);
    expect(before!.status).toBe('planned');

    // Repaired: the form is fresh (the failed marks were cleared); all OK passes.
    expect(await page.getByTestId('pre-trip-submit').isDisabled()).toBe(true);
    await page.getByTestId('pre-trip-all-ok').click();
    await page.getByTestId('pre-trip-submit').click();
    await expect.poll(() => page.getByTestId('pre-trip-result').getAttribute('data-passed')).toBe('true');
    expect(await page.getByTestId('pre-trip-result').textContent()).toMatch(/出车前检查合格/);
    await page.getByTestId('check-in').click();
    await page.getByTestId('checks').waitFor();
    const [after] = await q<{ status: string; attendant_checked_in_at: Date | null }>(
      'select status, attendant_checked_in_at from trips where id = $1',
      [tripId],
    );
    expect(after!.attendant_checked_in_at).not.toBeNull();
    const checks = await q<{ passed: boolean; performed_by: string }>(
      'select passed, performed_by from pre_trip_checks where trip_id = $1 order by id',
      [tripId],
    );
    expect(checks).toEqual([
      { passed: false, performed_by: 'driver' },
      { passed: true, performed_by: 'driver' },
    ]);
    // Checked in: the pre-trip card is gone.
    expect(await page.getByTestId('pre-trip').count()).toBe(0);
    expect(console.errors.filter((e) => !/409/.test(e))).toEqual([]);
  });

  it('the manager records a weekly inspection with a fault and a drill on the manager page', async () => {
    const { page } = await newPage(browser, { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await page.goto(`${srv.url}/manager#token=${mgrToken}`);
    await page.getByRole('link', { name: '检查', exact: true }).click();
    const row = page.getByTestId('weekly-inspections').locator(`tr[data-bus="${busId}"]`);
    expect(await row.textContent()).toContain('本周未检');
    const form = page.getByTestId('inspection-form');
    await form.getByLabel('检查人').fill('车队长 李明');
    await form.locator('input[data-item="tyres"]').uncheck();
    await form.getByRole('button', { name: '保存' }).click();
    await expect
      .poll(() => page.getByTestId('weekly-inspections').locator(`tr[data-bus="${busId}"]`).textContent())
      .toContain('发现问题：轮胎');
    const [insp] = await q<{ passed: boolean; inspector: string; items: any }>(
      'select passed, inspector, items from bus_inspections where bus_id = $1',
      [busId],
    );
    expect(insp).toMatchObject({
      passed: false,
      inspector: '车队长 李明',
      items: { tyres: { ok: false }, brakes: { ok: true } },
    });
    const drill = page.getByTestId('drill-form');
    await drill.getByLabel('参加人数').fill('28');
    await drill.getByLabel('备注').fill('90 秒内全部撤离');
    await drill.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => page.getByTestId('drills').textContent()).toContain('参加人数 28');
    await screenshot(page, { path: `${ARTIFACTS}/manager-inspections.png`, fullPage: true });
  });
});
