// The manager page's overview, search, filters in the address, CSV exports, the HTML report, the case owner/due
// editor and the layout from 320 px to 1920 px — in Chinese, in a real browser, on the whole stack. Figures are
// checked against what was put in the database; edits are checked in the database.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app';
import { insertPositions, insertViolations } from '../helpers/violations';
import {
  ARTIFACTS,
  TZ,
  launchBrowser,
  lonAt,
  newPage,
  ok,
  type PagesServer,
  startPagesServer,
  today,
  tokenFor,
  screenshot,
} from './helpers';

let srv: PagesServer;
let browser: Browser;
let token: string;
let deputyId: number;
let ids: Map<string, number>;
let schoolId: number;
let otherId: number;
let strangerId: number;
const plates = ['沪A1001', '沪A1002', '沪A1003'];

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  const school = await ok(
    t.call('POST', '/api/v1/schools', { body: { name: '阳光小学', lat: 31.2, lon: 121.5, timeZone: TZ } }),
  );
  schoolId = school.id;
  // Another school, whose bus and case must never show.
  const other = await ok(
    t.call('POST', '/api/v1/schools', { body: { name: '别校', lat: 31.2, lon: 121.6, timeZone: TZ } }),
  );
  otherId = other.id;
  await ok(t.call('POST', '/api/v1/buses', { body: { schoolId: other.id, plate: '沪Z9999', approvedCapacity: 30 } }));
  const route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        schoolId,
        name: '一号线',
        // Approved (Art. 30): trips are refused on an unapproved route.
        approvedBy: 'County education bureau',
        approvalNumber: 'XC-2026-001',
        approvedOn: '2026-01-05',
        path: {
          type: 'LineString',
          coordinates: [
            [lonAt(0), 31.2],
            [lonAt(2000), 31.2],
          ],
        },
        stops: [
          { name: '东门', lat: 31.2, lon: lonAt(0), scheduledTime: '07:00' },
          { name: '学校', lat: 31.2, lon: lonAt(2000), scheduledTime: '07:20' },
        ],
      },
    }),
  );
  const buses = [];
  for (const plate of plates)
    buses.push(
      await ok(
        t.call('POST', '/api/v1/buses', {
          body: {
            schoolId,
            plate,
            approvedCapacity: 30,
            signValidUntil: '2099-01-01',
            inspectionValidUntil: '2099-01-01',
          },
        }),
      ),
    );
  const device = await ok(
    t.call('POST', '/api/v1/devices', {
      body: { schoolId, busId: buses[0].id, protocol: 'json', identifier: '终端1001', secret: 'secret-123' },
    }),
  );
  const driver = await ok(
    t.call('POST', '/api/v1/drivers', {
      body: {
        schoolId,
        name: '王师傅',
        birthDate: '1980-01-01',
        licenceClass: 'A1',
        licenceFirstIssued: '2005-01-01',
        schoolBusEndorsement: true,
        qualificationCertNo: '资格001',
        qualificationCertExpiry: '2099-06-30',
      },
    }),
  );
  await ok(t.call('POST', '/api/v1/students', { body: { schoolId, name: '王小明', grade: '三年级' } }));
  // Today: bus 1 on the road and reporting, bus 2 on the road and silent (offline), bus 3 late.
  const now = Date.now();
  const trip = async (busId: number, plannedMs: number) =>
    ok(
      t.call('POST', '/api/v1/trips', {
        body: { routeId: route.id, busId, serviceDate: today(), plannedStartAt: new Date(plannedMs).toISOString() },
      }),
    );
  const t1 = await trip(buses[0].id, now - 20 * 60_000);
  const t2 = await trip(buses[1].id, now - 21 * 60_000);
  await trip(buses[2].id, now - 30 * 60_000);
  await t.database.query(`update trips set status = 'active', started_at = now() where id = any($1::int[])`, [
    [t1.id, t2.id],
  ]);
  await insertPositions(t.database, [
    { busId: buses[0].id, deviceId: device.id, timeMs: now - 20_000, lat: 31.2, lon: lonAt(300), speedKph: 30 },
  ]);
  const base = { schoolId, busId: buses[0].id, routeId: route.id, driverId: driver.id };
  const at = (ms: number) => new Date(ms).toISOString();
  ids = await insertViolations(t.database, [
    { ...base, episodeKey: 'speed', kind: 'overspeed', severity: 'critical', startedAt: at(now - 3600_000) },
    { ...base, episodeKey: 'speed-2', kind: 'overspeed', severity: 'major', startedAt: at(now - 2 * 86_400_000) },
    {
      ...base,
      episodeKey: 'late-case',
      kind: 'noAttendant',
      severity: 'major',
      status: 'acknowledged',
      startedAt: at(now - 5 * 86_400_000),
      dueAt: at(now - 86_400_000),
    },
    {
      ...base,
      busId: buses[1].id,
      driverId: null,
      episodeKey: 'sos',
      kind: 'emergency',
      severity: 'critical',
      startedAt: at(now - 300_000),
      evidence: { source: 'attendant', trigger: 'sos' },
    },
    {
      schoolId: other.id,
      episodeKey: 'other',
      kind: 'overspeed',
      severity: 'critical',
      startedAt: at(now - 600_000),
    },
  ]);
  token = await tokenFor(t, { name: '张主任', role: 'manager', schoolIds: [schoolId] });
  // A manager of the other school: never a possible owner of this school's cases.
  strangerId = (
    await ok(t.call('POST', '/api/v1/users', { body: { name: '外校主任', role: 'manager', schoolIds: [otherId] } }))
  ).id;
  deputyId = (
    await ok(t.call('POST', '/api/v1/users', { body: { name: '李副主任', role: 'manager', schoolIds: [schoolId] } }))
  ).id;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

async function open(width = 1280, height = 900, as = token) {
  const r = await newPage(browser, { viewport: { width, height }, locale: 'zh-CN' });
  await r.page.goto(`${srv.url}/manager#token=${as}`);
  await r.page.getByTestId('dash-trend').waitFor();
  return r;
}

const stat = (page: Page, id: string) => page.locator(`[data-stat="${id}"] .stat-n`).textContent();

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(path!) };
}

describe('manager overview, search, filters in the address, exports (zh-CN)', () => {
  it('opens on the overview: today’s fleet, alarms, open cases by kind and severity, the 14-day trend', async () => {
    const { context, page, console } = await open();
    await page.getByTestId('dash-trend').waitFor();
    expect(page.url()).toContain('#/dashboard');
    expect(await page.locator('#dash-title').textContent()).toBe('阳光小学 今日概览');
    expect(await stat(page, 'buses')).toBe('3');
    expect(await stat(page, 'trips')).toBe('3');
    expect(await stat(page, 'inService')).toBe('2');
    expect(await stat(page, 'late')).toBe('1');
    expect(await stat(page, 'offline')).toBe('1');
    expect(await page.locator('[data-stat="late"] + .stat-help').textContent()).toBe('车辆：沪A1003');
    expect(await page.locator('[data-stat="offline"] + .stat-help').textContent()).toBe('车辆：沪A1002');
    expect(await stat(page, 'active')).toBe('4');
    expect(await stat(page, 'overdue')).toBe('1');
    // The unacknowledged SOS, with its bus, linking to its case.
    const alarm = page.getByTestId('dash-alarms').locator('li');
    expect(await alarm.count()).toBe(1);
    expect(await alarm.textContent()).toContain('紧急求助（SOS） · 车辆 沪A1002');
    // Kind × severity.
    const speedRow = page.getByTestId('dash-cases').locator('tr[data-kind="overspeed"]');
    expect(await speedRow.locator('td[data-severity="critical"]').textContent()).toBe('1');
    expect(await speedRow.locator('td[data-severity="major"]').textContent()).toBe('1');
    expect(await speedRow.locator('td[data-severity="minor"]').textContent()).toBe('0');
    // Trend: 14 days, today last with the two cases opened today (both critical).
    const bars = page.locator('[data-testid="dash-trend"] rect.bar-opened');
    expect(await bars.count()).toBe(14);
    expect(await bars.last().getAttribute('data-opened')).toBe('2');
    expect(await bars.last().getAttribute('data-date')).toBe(today());
    expect(await page.getByTestId('dash-trend').getAttribute('aria-label')).toBe(
      '近 14 天趋势: 新增 4 件（其中严重 2 件），结案 0 件',
    );
    expect(await page.getByTestId('dashboard').textContent()).not.toContain('沪Z9999');
    await screenshot(page, { path: `${ARTIFACTS}/manager-dashboard.png`, fullPage: true });

    // A count opens the list filtered by kind and severity, in the address.
    await speedRow.locator('td[data-severity="critical"] a').click();
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-id')).toBe(String(ids.get('speed')));
    expect(new URL(page.url()).hash).toBe('#/violations?severity=critical&kind=overspeed');
    // Back returns to the overview.
    await page.goBack();
    await page.getByTestId('dash-trend').waitFor();
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('with several schools, picks the school in the address and narrows the list to it', async () => {
    const { context, page, console } = await open(1280, 900, ADMIN_TOKEN);
    expect(new URL(page.url()).hash).toBe(`#/dashboard?school=${schoolId}`);
    expect(await stat(page, 'active')).toBe('4');
    await page.getByLabel('学校').selectOption({ label: '别校' });
    await expect.poll(() => page.locator('#dash-title').textContent()).toBe('别校 今日概览');
    await expect.poll(() => stat(page, 'active')).toBe('1');
    expect(new URL(page.url()).hash).toBe(`#/dashboard?school=${otherId}`);
    await page.reload();
    await expect.poll(() => page.locator('#dash-title').textContent()).toBe('别校 今日概览');
    await page.goBack();
    await expect.poll(() => page.locator('#dash-title').textContent()).toBe('阳光小学 今日概览');
    await page.locator('[data-stat="overdue"]').click();
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(page.url()).hash).toBe(`#/violations?overdue=1&schoolId=${schoolId}`);
    expect(await page.getByTestId('subject-filters').textContent()).toBe('学校：阳光小学 ✕');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('keeps the list filters in the address: reload, back from a case and a shared link restore them', async () => {
    const { context, page, console } = await open();
    await page.getByRole('link', { name: '违规', exact: true }).click();
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByLabel('严重程度').selectOption('major');
    await page.getByLabel('排序').selectOption('severity');
    await expect.poll(() => rows.count()).toBe(2);
    expect(new URL(page.url()).hash).toBe('#/violations?severity=major&sort=severity');
    await page.getByLabel('仅显示逾期').check();
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(page.url()).hash).toBe('#/violations?severity=major&overdue=1&sort=severity');

    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByLabel('严重程度').inputValue()).toBe('major');
    expect(await page.getByLabel('排序').inputValue()).toBe('severity');
    expect(await page.getByLabel('仅显示逾期').isChecked()).toBe(true);
    expect(await rows.first().getAttribute('data-id')).toBe(String(ids.get('late-case')));

    // Into the case and back (link and browser button): the same filters.
    await rows.first().getByRole('link').click();
    await page.getByTestId('case').waitFor();
    await page.getByRole('link', { name: '← 全部违规' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByLabel('仅显示逾期').isChecked()).toBe(true);
    await rows.first().getByRole('link').click();
    await page.getByTestId('case').waitFor();
    await page.goBack();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByLabel('严重程度').inputValue()).toBe('major');

    // A shared link in a fresh tab (the token is kept on this device): every status, critical only.
    const other = await context.newPage();
    await other.goto(`${srv.url}/manager#/violations?status=all&severity=critical`);
    const otherRows = other.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => otherRows.count()).toBe(2);
    expect(await other.getByLabel('状态').inputValue()).toBe('');
    expect(await other.getByLabel('严重程度').inputValue()).toBe('critical');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('searches plates, drivers and students from the header and opens a driver’s cases', async () => {
    const { context, page, console } = await open();
    await page.getByTestId('dash-trend').waitFor();
    await page.getByRole('searchbox', { name: '搜索车牌或姓名' }).fill('A100');
    await page.getByRole('button', { name: '搜索', exact: true }).click();
    await page.getByTestId('search-buses').locator('li').first().waitFor();
    expect(await page.getByTestId('search-buses').locator('li').count()).toBe(3);
    expect(await page.getByTestId('search-buses').textContent()).not.toContain('沪Z9999');
    expect(new URL(page.url()).hash).toBe('#/search?q=A100');
    await page.getByRole('searchbox', { name: '搜索车牌或姓名' }).fill('王');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('search-drivers').locator('li').count()).toBe(1);
    expect(await page.getByTestId('search-students').textContent()).toContain('王小明 · 阳光小学 · 年级：三年级');
    expect(await page.getByTestId('search-buses').textContent()).toContain('无匹配项。');

    // A driver's cases: every status, narrowed to the driver, with a chip that lifts the narrowing.
    await page.getByRole('link', { name: '驾驶人 王师傅 的案件' }).click();
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const chip = page.getByTestId('subject-filters').getByRole('button');
    await expect.poll(() => chip.textContent()).toBe('驾驶人：王师傅 ✕');
    await page.reload();
    await expect.poll(() => rows.count()).toBe(3);
    await chip.click();
    await expect.poll(() => rows.count()).toBe(4);
    expect(new URL(page.url()).hash).toBe('#/violations?status=all');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('exports the filtered list and the registry lists as CSV with a UTF-8 BOM', async () => {
    const { context, page, console } = await open();
    await page.evaluate(() => (location.hash = '#/violations?severity=critical'));
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const list = await download(page, () => page.getByTestId('export-violations').click());
    expect(list.name).toMatch(/^violations-\d{4}-\d{2}-\d{2}\.csv$/);
    expect([...list.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = list.bytes.toString('utf8').slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('编号,学校,类型,等级,状态,车辆,驾驶人,发生时间,结束时间,峰值,限值,负责人,整改期限,逾期');
    expect(
      lines
        .slice(1)
        .map((l) => Number(l.split(',')[0]))
        .sort(),
    ).toEqual([ids.get('speed'), ids.get('sos')].sort());
    expect(lines.join('\n')).not.toContain('别校');

    await page.getByRole('link', { name: '基础数据' }).click();
    for (const [id, header, row] of [
      ['export-buses', '车牌,学校,核载人数', '沪A1003,阳光小学,30'],
      ['export-drivers', '姓名,学校,电话', '王师傅,阳光小学'],
      ['export-students', '姓名,学校,年级,学生卡号', '王小明,阳光小学,三年级'],
    ] as const) {
      const f = await download(page, () => page.getByTestId(id).click());
      expect([...f.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = f.bytes.toString('utf8');
      expect(text.startsWith(`\uFEFF${header}`)).toBe(true);
      expect(text).toContain(row);
      expect(text).not.toContain('沪Z9999');
    }
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('links the printable HTML report from the reports view, in the page’s language', async () => {
    // The school reports in English by default; the manager reads the page in Chinese, and so the download.
    await ok(srv.t.call('PATCH', `/api/v1/schools/${schoolId}`, { body: { language: 'en' } }), 200);
    const { context, page, console } = await open();
    await page.getByRole('link', { name: '报表' }).click();
    await page.getByRole('button', { name: '生成' }).click();
    await page.getByTestId('report-title').waitFor();
    const html = await download(page, () => page.getByTestId('report-html').click());
    expect(html.name).toMatch(/^report-.*\.html$/);
    const text = html.bytes.toString('utf8');
    expect(text).toMatch(/^<!doctype html>/i);
    expect(text).toContain('阳光小学');
    expect(text).toContain('<html lang="zh-CN">');
    expect(text).toContain('<svg');
    expect(console.errors).toEqual([]);
    await context.close();
    await ok(srv.t.call('PATCH', `/api/v1/schools/${schoolId}`, { body: { language: 'zh-CN' } }), 200);
  });

  it('edits a case’s owner and due date: checked in Chinese, saved, appended to the trail', async () => {
    const { context, page, console } = await open();
    await page.evaluate((id) => (location.hash = `#/violations/${id}`), ids.get('speed-2'));
    const form = page.getByTestId('case-edit');
    await form.waitFor();
    await expect.poll(() => form.getByLabel('负责人').locator('option').count()).toBeGreaterThan(2);
    const msg = form.locator('#case-edit-msg');
    // Nothing changed, then a due date in the past: refused on the page, in Chinese, nothing sent.
    await form.getByRole('button', { name: '保存负责人与期限' }).click();
    await expect.poll(() => msg.textContent()).toBe('没有修改。');
    await form.getByLabel('整改期限').fill('2020-01-01T08:00');
    await form.getByRole('button', { name: '保存负责人与期限' }).click();
    await expect.poll(() => msg.textContent()).toBe('整改期限不能早于当前时间。');
    expect(await form.getByLabel('整改期限').getAttribute('aria-invalid')).toBe('true');
    expect(
      await srv.t.database.query('select 1 from case_actions where violation_id = $1', [ids.get('speed-2')]),
    ).toEqual([]);

    // A user the server refuses as owner (the choice is forged here): its refusal, in Chinese.
    await form.getByLabel('整改期限').fill('');
    await form
      .getByLabel('负责人')
      .evaluate((sel: HTMLSelectElement, id) => sel.append(new Option('外校主任', String(id))), strangerId);
    await form.getByLabel('负责人').selectOption(String(strangerId));
    await form.getByRole('button', { name: '保存负责人与期限' }).click();
    await expect.poll(() => msg.textContent()).toBe('此人不能负责该案件（须为本校管理人员或系统管理员）。');
    expect(
      await srv.t.database.query('select 1 from case_actions where violation_id = $1', [ids.get('speed-2')]),
    ).toEqual([]);

    const year = new Date().getUTCFullYear() + 1;
    await form.getByLabel('负责人').selectOption({ label: '李副主任（管理人员）' });
    await form.getByLabel('整改期限').fill(`${year}-03-15T17:30`);
    await form.getByLabel('修改原因（可选，记入处置记录）').fill('转交李副主任');
    await form.getByRole('button', { name: '保存负责人与期限' }).click();
    await expect.poll(() => page.getByTestId('trail').locator('li').count()).toBe(1);
    const trail = await page.getByTestId('trail').textContent();
    expect(trail).toContain('修改负责人/整改期限');
    expect(trail).toContain('转交李副主任');
    // The new owner by name, in the trail and in the case panel, not by user id.
    expect(trail).toMatch(/负责人.*李副主任/);
    expect(trail).not.toContain(`#${deputyId}`);
    expect(await page.locator('#case-title + dl').textContent()).toContain('李副主任');
    const [v] = await srv.t.database.query<{ owner_user_id: number; due: string }>(
      `select owner_user_id, to_char(due_at at time zone $2, 'YYYY-MM-DD"T"HH24:MI') as due from violations where id = $1`,
      [ids.get('speed-2'), TZ],
    );
    expect(v!.owner_user_id).toBe(deputyId);
    // Typed in the school's time zone.
    expect(v!.due).toBe(`${year}-03-15T17:30`);
    const actions = await srv.t.database.query<{ action: string; note: string }>(
      'select action, note from case_actions where violation_id = $1',
      [ids.get('speed-2')],
    );
    expect(actions).toHaveLength(1);
    expect(actions[0]!.action).toBe('assign');
    expect(actions[0]!.note).toContain(`owner: none → ${deputyId}`);
    // The form shows what was saved.
    expect(await page.getByTestId('case-edit').getByLabel('整改期限').inputValue()).toBe(`${year}-03-15T17:30`);
    // The browser logs the refused request itself; nothing else.
    expect(console.errors.filter((e) => !/status of 400 .*\/case$/.test(e))).toEqual([]);
    expect(console.errors).toHaveLength(1);
    await context.close();
  });

  it('lays out every main view from 320 px to 1920 px without a horizontal page scroll', async () => {
    const views: [string, (p: Page) => Promise<unknown>][] = [
      ['#/dashboard', (p) => p.getByTestId('dash-trend').waitFor()],
      ['#/fleet', (p) => p.locator('main table tbody tr').first().waitFor()],
      ['#/violations', (p) => p.getByTestId('violations').locator('tbody tr').first().waitFor()],
      [`#/violations/${ids.get('speed')}`, (p) => p.getByTestId('case-edit').waitFor()],
      ['#/compliance', (p) => p.locator('main h2').first().waitFor()],
      ['#/reports', (p) => p.locator('#r-period').waitFor()],
      ['#/registry', (p) => p.getByTestId('export-buses').waitFor()],
      ['#/search?q=沪', (p) => p.getByTestId('search-buses').waitFor()],
    ];
    const overflow: Record<string, string> = {};
    for (const width of [320, 768, 1920]) {
      const { context, page, console } = await open(width, 800);
      await page.getByTestId('dash-trend').waitFor();
      // The header: the title on one line, no letter-per-line stacking.
      const h1 = await page.locator('.topbar h1').boundingBox();
      expect(h1!.height).toBeLessThan(40);
      expect(h1!.width).toBeGreaterThan(h1!.height * 2);
      for (const a of await page.locator('nav.sections a').all())
        expect((await a.boundingBox())!.height).toBeLessThan(50);
      for (const [hash, ready] of views) {
        await page.evaluate((h) => (location.hash = h), hash);
        await ready(page);
        await expect.poll(() => page.locator('.loading').count()).toBe(0);
        if (width === 320 && hash === '#/dashboard')
          await screenshot(page, { path: `${ARTIFACTS}/manager-dashboard-320.png`, fullPage: true });
        const sw = await page.evaluate(() => document.scrollingElement!.scrollWidth);
        if (sw > width)
          overflow[`${width} ${hash}`] = await page.evaluate(
            (w) =>
              [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > w)
                .slice(0, 5)
                .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
                .join(' | '),
            width,
          );
      }
      if (width === 320) await screenshot(page, { path: `${ARTIFACTS}/manager-320.png`, fullPage: true });
      expect(console.errors).toEqual([]);
      await context.close();
    }
    expect(overflow).toEqual({});
  });
});
