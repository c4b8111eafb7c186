// The attendant at work, in Chinese, in a real browser against the whole Node stack: SOS from the page opens a
// critical emergency case and the manager page alarms (visual and audible) until someone acknowledges it; the
// current stop follows the bus as fixes are driven in (with a manual override); the sweep is refused mid-route,
// "child still aboard" is a separate confirmed action; undo reverses the last record; "all got off" empties the
// bus at school in one tap; touch targets are at least 44 px. The compensating record of an undo is idempotent (a
// resend changes nothing, a reload does not offer the undo again). A check-in after the trip started shows R9 failed
// as "checked in after the trip had started", beside the check-in time — not "had not checked in". "Child still
// aboard" at school opens a critical case and the manager page alarms (visual and audible) until acknowledged.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  Driver,
  launchBrowser,
  lonAt,
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
let attToken: string;
let mgrToken: string;
let tripId: number;
let stopIds: number[];
let startMs: number;
let schoolId: number;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  startMs = Math.floor((Date.now() - 4 * 60_000) / 60_000) * 60_000;
  const w = await buildLineWorld(t, {
    school: '安全小学',
    route: '河滨线',
    stops: [
      ['桥头', 0, 0],
      ['市场', 1400, 3],
      ['学校', 2800, 6],
    ],
    startMs,
    bus: { plate: '沪A-5566', capacity: 30, device: 'safety-dev-1' },
    attendant: '李老师',
    students: [['王小明', 0]],
  });
  stopIds = w.stopIds;
  tripId = w.tripId!;
  schoolId = w.schoolId;
  attToken = await tokenFor(t, { name: '李老师', role: 'attendant', attendantId: w.attendantId });
  mgrToken = await tokenFor(t, { name: '张主任', role: 'manager', schoolIds: [w.schoolId] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const zhPhone = { ...phone, locale: 'zh-CN' };
const CJK = /[\u4e00-\u9fff]/;

async function openTrip(page: Page) {
  await page.goto(`${srv.url}/attendant#token=${attToken}`);
  await page
    .getByTestId('trips')
    .getByRole('button', { name: /河滨线/ })
    .click();
  await page.getByTestId('onboard').waitFor();
}

const q = <T>(sql: string, params: unknown[] = []) => srv.t.database.query<T>(sql, params);

describe('attendant safety (zh-CN)', () => {
  it('SOS from the page opens a critical case; the manager page alarms until acknowledged', async () => {
    const mgr = await newPage(browser, { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await mgr.page.goto(`${srv.url}/manager#token=${mgrToken}`);
    await expect.poll(() => mgr.page.locator('.conn').getAttribute('class')).toContain('live');
    // A manager's first touch on the page lets it play sound.
    await mgr.page.mouse.click(5, 300);
    expect(await mgr.page.getByTestId('alarm').isHidden()).toBe(true);

    const att = await newPage(browser, {
      ...zhPhone,
      permissions: ['geolocation'],
      geolocation: { latitude: 31.2, longitude: lonAt(700) },
    });
    await openTrip(att.page);
    await att.page.getByTestId('sos').click();
    await att.page.getByTestId('sos-panel').waitFor();
    // The panel asks before anything is sent.
    expect(await q('select 1 from violations where trip_id = $1', [tripId])).toEqual([]);
    await att.page.getByLabel('情况说明（可选）').fill('学生晕倒');
    await att.page.getByTestId('sos-send').click();
    await att.page.getByTestId('sos-open').waitFor();
    expect(await att.page.getByTestId('message').textContent()).toMatch(/求助已于 .* 送达/);

    const rows = await q<{
      id: number;
      kind: string;
      severity: string;
      status: string;
      start_lat: number;
      start_lon: number;
      evidence: any;
    }>('select id, kind, severity, status, start_lat, start_lon, evidence from violations where trip_id = $1', [
      tripId,
    ]);
    expect(rows).toHaveLength(1);
    const sos = rows[0]!;
    expect(sos).toMatchObject({ kind: 'emergency', severity: 'critical', status: 'open' });
    expect(sos.start_lon).toBeCloseTo(lonAt(700), 6);
    expect(sos.evidence).toMatchObject({ note: '学生晕倒', positionSource: 'phone', trigger: 'sos' });

    // The manager page: a red bar and a repeating sound, in Chinese, that stays.
    const alarm = mgr.page.getByTestId('alarm');
    await alarm.locator(`li[data-id="${sos.id}"][data-kind="emergency"]`).waitFor();
    expect(await alarm.textContent()).toContain('沪A-5566');
    expect(await alarm.textContent()).toContain('紧急求助');
    expect(await alarm.getAttribute('data-sound')).toBe('on');
    const beeps0 = Number(await alarm.getAttribute('data-beeps'));
    await mgr.page.waitForTimeout(3500);
    expect(await alarm.isVisible()).toBe(true);
    expect(Number(await alarm.getAttribute('data-beeps'))).toBeGreaterThan(beeps0);
    await screenshot(mgr.page, { path: `${ARTIFACTS}/manager-sos-alarm.png` });
    // Another view, then a reload: still there.
    await mgr.page.goto(`${srv.url}/manager#/compliance`);
    await alarm.locator(`li[data-id="${sos.id}"]`).waitFor();
    await mgr.page.reload();
    await alarm.locator(`li[data-id="${sos.id}"]`).waitFor();

    // Acknowledged: the alarm stops; the case moved in the closed loop. (The bar's buttons take clicks once they
    // have stood still for half a second: a click sooner was aimed at what was there before.)
    await mgr.page.locator('[data-testid="alarm"][data-settled="true"]').waitFor();
    await alarm.getByRole('button', { name: '确认收到' }).click();
    await expect.poll(() => alarm.isHidden()).toBe(true);
    const [after] = await q<{ status: string }>('select status from violations where id = $1', [sos.id]);
    expect(after!.status).toBe('acknowledged');
    const beeps1 = Number(await alarm.getAttribute('data-beeps'));
    await mgr.page.waitForTimeout(2000);
    expect(Number(await alarm.getAttribute('data-beeps'))).toBe(beeps1);
    expect(att.console.errors).toEqual([]);
    expect(mgr.console.errors).toEqual([]);
    await att.context.close();
    await mgr.context.close();
  });

  it('the stop follows the bus; the sweep is refused mid-route; undo; all got off at school; sweep', async () => {
    const { context, page, console } = await newPage(browser, zhPhone);
    await openTrip(page);
    await page.getByTestId('check-in').click();
    await page.getByTestId('checks').locator('li').first().waitFor();
    const current = page.getByTestId('current-stop');

    // The bus waits at the first stop, then drives to the market and stops there.
    const driver = new Driver(srv, 'safety-dev-1', startMs + 30_000);
    await driver.drive(10, 0);
    await driver.drive(137, 36); // ~1370 m: inside the market stop's radius
    await driver.drive(20, 0);
    await expect.poll(() => current.getAttribute('data-stop')).toBe(String(stopIds[1]));
    expect(await current.getAttribute('data-manual')).toBe('false');
    expect(await current.textContent()).toContain('市场');
    expect(await current.textContent()).toContain('随车辆自动更新');

    // Two children board at the market (the records carry the market stop); one tap was a mistake: undo.
    await page.getByTestId('board-one').click();
    await page.getByTestId('board-one').click();
    await expect.poll(() => page.getByTestId('onboard').getAttribute('data-onboard')).toBe('2');
    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId('onboard').getAttribute('data-onboard')).toBe('1');
    expect(await page.getByTestId('undo').isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('queue').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    const recs = await q<{ stop_id: number; boarded: number; alighted: number; client_id: string }>(
      'select stop_id, boarded, alighted, client_id from boarding_records where trip_id = $1 order by recorded_at, client_id',
      [tripId],
    );
    expect(recs).toHaveLength(3);
    expect(recs.every((r) => r.stop_id === stopIds[1])).toBe(true);
    expect(recs.reduce((n, r) => n + r.boarded - r.alighted, 0)).toBe(1);
    expect(recs.filter((r) => r.client_id.endsWith('-undo'))).toHaveLength(1);
    // The undo is idempotent: the same compensating record sent again (a retry of the queue) changes nothing, and
    // after a reload the page does not offer to undo it a second time.
    const api = (path: string, body?: unknown) =>
      fetch(`${srv.url}/api/v1/trips/${tripId}/${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${attToken}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
    const state = await (await api('boarding')).json();
    const undoRec = state.records.find((r: { clientId: string }) => r.clientId.endsWith('-undo'));
    const { type, clientId, recordedAt, stopId, boarded, alighted } = undoRec;
    const resent = await api('boarding', { records: [{ type, clientId, recordedAt, stopId, boarded, alighted }] });
    expect(resent.status, await resent.clone().text()).toBeLessThan(300);
    expect((await (await api('boarding')).json()).counts.onboard).toBe(1);
    expect(await q('select 1 from boarding_records where trip_id = $1', [tripId])).toHaveLength(3);
    await page.reload();
    await page.getByTestId('onboard').waitFor();
    await expect.poll(() => page.getByTestId('onboard').getAttribute('data-onboard')).toBe('1');
    expect(await page.getByTestId('undo').isDisabled()).toBe(true);

    // Mid-route the sweep is refused, in Chinese; "child still aboard" is a separate, confirmed action.
    await page.getByTestId('end-trip').click();
    await page.getByTestId('sweep-early').waitFor();
    expect(await page.getByTestId('sweep-empty').isDisabled()).toBe(true);
    await page.getByTestId('sweep-check').check();
    await page.getByTestId('sweep-empty').click();
    await expect.poll(() => page.getByTestId('message').textContent()).toContain('还不能清车');
    expect(await q('select 1 from trip_sweeps where trip_id = $1', [tripId])).toEqual([]);
    await page.getByTestId('end-trip').click();
    await page.getByTestId('still-aboard').click();
    await page.getByTestId('still-aboard-panel').waitFor();
    expect(await q("select 1 from violations where trip_id = $1 and kind = 'childLeftOnBoard'", [tripId])).toEqual([]);
    await page.getByRole('button', { name: '返回' }).click();
    await page.getByRole('button', { name: '取消' }).click();

    // Manual override, then the bus leaves the market: the page follows it again (next: the school).
    await page.getByRole('button', { name: '到达此站：桥头' }).click();
    expect(await current.getAttribute('data-manual')).toBe('true');
    await driver.drive(15, 36); // ~1520 m: departed
    await expect.poll(() => current.getAttribute('data-stop')).toBe(String(stopIds[2]));
    expect(await current.getAttribute('data-manual')).toBe('false');

    // At school: everyone off in one tap, then the sweep.
    await driver.drive(128, 36); // ~2800 m
    await driver.drive(20, 0);
    await page.getByTestId('all-off').click();
    await expect.poll(() => page.getByTestId('onboard').getAttribute('data-onboard')).toBe('0');
    await expect.poll(() => page.getByTestId('queue').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    await page.getByTestId('end-trip').click();
    expect(await page.getByTestId('sweep-early').count()).toBe(0);
    await page.getByTestId('sweep-check').check();
    await page.getByTestId('sweep-empty').click();
    await page
      .getByTestId('sweep')
      .getByText(/确认车内无人/)
      .waitFor();
    const [trip] = await q<{ status: string }>('select status from trips where id = $1', [tripId]);
    expect(trip!.status).toBe('completed');

    // Touch targets: every visible button at least 44 × 44 px; the page is in Chinese.
    const small = await page.evaluate(
      () =>
        [...document.querySelectorAll('main button, .action-bar button')]
          .map((b) => b.getBoundingClientRect())
          .filter((r) => r.width > 0 && (r.width < 44 || r.height < 44)).length,
    );
    expect(small).toBe(0);
    const text = await page.locator('main').innerText();
    expect(text).toMatch(CJK);
    expect(text).not.toMatch(/sweep_too_early|not_checked_in|\[object Object\]/);
    await screenshot(page, { path: `${ARTIFACTS}/attendant-safety.png`, fullPage: true });
    // The refused sweep is the one expected error (the browser logs the 409).
    expect(console.errors.filter((e) => !/409 \(Conflict\) @ .*\/sweep$/.test(e))).toEqual([]);
    await context.close();
  });

  it('a check-in after the trip started: R9 reads "checked in after the start", beside the check-in time', async () => {
    const start = Math.floor((Date.now() - 3 * 60_000) / 60_000) * 60_000;
    const w = await buildLineWorld(srv.t, {
      school: schoolId,
      route: '山前线',
      stops: [
        ['山脚', 0, 0],
        ['学校', 2800, 6],
      ],
      startMs: start,
      bus: { plate: '沪A-7788', capacity: 30, device: 'safety-dev-2' },
      attendant: '周老师',
    });
    const token = await tokenFor(srv.t, { name: '周老师', role: 'attendant', attendantId: w.attendantId });
    // The bus leaves before the attendant checked in: the trip starts, R9 fails (not checked in).
    const driver = new Driver(srv, 'safety-dev-2', start + 30_000);
    await driver.drive(10, 0);
    await driver.drive(40, 36);
    await expect
      .poll(async () => (await q<{ status: string }>('select status from trips where id = $1', [w.tripId]))[0]?.status)
      .toBe('active');
    const [noAtt] = await q<{ evidence: { reason: string } }>(
      "select evidence from violations where trip_id = $1 and kind = 'noAttendant'",
      [w.tripId],
    );
    expect(noAtt!.evidence.reason).toBe('not_checked_in');

    const { context, page, console } = await newPage(browser, zhPhone);
    await page.goto(`${srv.url}/attendant#token=${token}`);
    await page
      .getByTestId('trips')
      .getByRole('button', { name: /山前线/ })
      .click();
    await page.getByTestId('check-in').click();
    const r9 = page.getByTestId('checks').locator('li[data-check="attendant"]');
    await r9.waitFor();
    expect(await page.locator('#ci-title').textContent()).toMatch(/^已于 .+ 签到$/);
    expect(await r9.getAttribute('class')).toBe('fail');
    const text = (await r9.textContent())!;
    expect(text).toContain('R9');
    expect(text).toContain('在行程开始后才签到');
    expect(text).not.toMatch(/尚未签到|not_checked_in/);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('"child still aboard" at school opens a critical case; the manager page alarms until acknowledged', async () => {
    const start = Math.floor((Date.now() - 6 * 60_000) / 60_000) * 60_000;
    const w = await buildLineWorld(srv.t, {
      school: schoolId,
      route: '湖畔线',
      stops: [
        ['湖边', 0, 0],
        ['学校', 2800, 6],
      ],
      startMs: start,
      bus: { plate: '沪A-9900', capacity: 30, device: 'safety-dev-3' },
      attendant: '吴老师',
      students: [['赵小亮', 0]],
    });
    const token = await tokenFor(srv.t, { name: '吴老师', role: 'attendant', attendantId: w.attendantId });
    const mgr = await newPage(browser, { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await mgr.page.goto(`${srv.url}/manager#token=${mgrToken}`);
    await expect.poll(() => mgr.page.locator('.conn').getAttribute('class')).toContain('live');
    await mgr.page.mouse.click(5, 300);
    const alarm = mgr.page.getByTestId('alarm');
    expect(await alarm.isHidden()).toBe(true);

    // The attendant checks in, a child boards, the bus reaches the school; the child is still aboard.
    const att = await newPage(browser, zhPhone);
    await att.page.goto(`${srv.url}/attendant#token=${token}`);
    await att.page
      .getByTestId('trips')
      .getByRole('button', { name: /湖畔线/ })
      .click();
    await att.page.getByTestId('check-in').click();
    await att.page.getByTestId('checks').locator('li').first().waitFor();
    await att.page.getByTestId('board-one').click();
    await expect.poll(() => att.page.getByTestId('queue').getAttribute('data-pending'), { timeout: 10_000 }).toBe('0');
    const driver = new Driver(srv, 'safety-dev-3', start + 30_000);
    await driver.drive(10, 0);
    await driver.drive(280, 36);
    await driver.drive(20, 0);
    await expect.poll(() => att.page.getByTestId('current-stop').getAttribute('data-stop')).toBe(String(w.stopIds[1]));
    await att.page.getByTestId('end-trip').click();
    await att.page.getByTestId('still-aboard').click();
    await att.page.getByTestId('still-aboard-confirm').click();
    await expect.poll(() => att.page.getByTestId('message').textContent()).toMatch(/[\u4e00-\u9fff]/);
    const [left] = await q<{ id: number; severity: string; status: string }>(
      "select id, severity, status from violations where trip_id = $1 and kind = 'childLeftOnBoard'",
      [w.tripId],
    );
    expect(left).toMatchObject({ severity: 'critical', status: 'open' });

    // The manager page: the red bar with a repeating sound, in Chinese, through another view and a reload.
    await alarm.locator(`li[data-id="${left!.id}"][data-kind="childLeftOnBoard"]`).waitFor();
    expect(await alarm.textContent()).toContain('沪A-9900');
    expect(await alarm.textContent()).toContain('疑似有学生滞留车内');
    expect(await alarm.getAttribute('data-sound')).toBe('on');
    const beeps0 = Number(await alarm.getAttribute('data-beeps'));
    await mgr.page.waitForTimeout(3500);
    expect(await alarm.isVisible()).toBe(true);
    expect(Number(await alarm.getAttribute('data-beeps'))).toBeGreaterThan(beeps0);
    await mgr.page.goto(`${srv.url}/manager#/fleet`);
    await alarm.locator(`li[data-id="${left!.id}"]`).waitFor();
    await mgr.page.reload();
    await alarm.locator(`li[data-id="${left!.id}"]`).waitFor();

    // Acknowledged: the bar goes and the sound stops.
    await mgr.page.locator('[data-testid="alarm"][data-settled="true"]').waitFor();
    await alarm.getByRole('button', { name: '确认收到' }).click();
    await expect.poll(() => alarm.isHidden()).toBe(true);
    const [after] = await q<{ status: string }>('select status from violations where id = $1', [left!.id]);
    expect(after!.status).toBe('acknowledged');
    const beeps1 = Number(await alarm.getAttribute('data-beeps'));
    await mgr.page.waitForTimeout(2000);
    expect(Number(await alarm.getAttribute('data-beeps'))).toBe(beeps1);
    expect(att.console.errors).toEqual([]);
    expect(mgr.console.errors).toEqual([]);
    await att.context.close();
    await mgr.context.close();
  });
});
