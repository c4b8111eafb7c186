// The manager page in Chinese: both dictionaries have the same keys (and so do the attendant's), and in zh-CN
// mode no view shows English words, raw codes (camelCase keys, dotted dictionary keys), `[object Object]`,
// `undefined` or epoch milliseconds — scanned on the rendered text of every view in a real browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en as attEn, zh as attZh } from '../../src/pages/attendant/strings';
import { en, zh } from '../../src/pages/manager/strings';
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
  tokenFor,
  screenshot,
} from './helpers';

let srv: PagesServer;
let browser: Browser;
let token: string;
let ids: Map<string, number>;
let reportId: number;
/** Words that are names or formats, the same in both languages. */
const ALLOWED = new Set([
  'English',
  'SOS',
  'CSV',
  'JSON',
  'GeoJSON',
  'GTFS',
  'Traccar',
  'Client',
  'route_id',
  'YYYY',
  'Www',
  'json',
  'osmand',
  'jt808',
  'QR',
  'HTML',
  'OsmAnd',
]);

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  const school = await ok(
    t.call('POST', '/api/v1/schools', { body: { name: '实验小学', lat: 31.2, lon: 121.5, timeZone: TZ } }),
  );
  const route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        // Approved (Art. 30): trips are refused on an unapproved route.
        approvedBy: 'County education bureau',
        approvalNumber: 'XC-2026-001',
        approvedOn: '2026-01-05',
        schoolId: school.id,
        name: '一号线',
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
  const bus = await ok(
    t.call('POST', '/api/v1/buses', {
      body: {
        schoolId: school.id,
        plate: '沪A1001',
        approvedCapacity: 30,
        signValidUntil: '2099-01-01',
        inspectionValidUntil: '2020-01-01',
      },
    }),
  );
  const device = await ok(
    t.call('POST', '/api/v1/devices', {
      body: { schoolId: school.id, busId: bus.id, protocol: 'json', identifier: '终端1001', secret: 'secret-123' },
    }),
  );
  const driver = await ok(
    t.call('POST', '/api/v1/drivers', {
      body: {
        schoolId: school.id,
        name: '王师傅',
        birthDate: '1980-01-01',
        licenceClass: 'A1',
        licenceFirstIssued: '2005-01-01',
        schoolBusEndorsement: true,
        qualificationCertNo: '资格001',
        qualificationCertExpiry: '2021-06-30',
      },
    }),
  );
  const attendant = await ok(t.call('POST', '/api/v1/attendants', { body: { schoolId: school.id, name: '李阿姨' } }));
  const student = await ok(
    t.call('POST', '/api/v1/students', {
      body: {
        schoolId: school.id,
        name: '周小红',
        grade: '二年级',
        stops: [{ routeId: route.id, stopId: route.stops[0].id }],
      },
    }),
  );
  await ok(
    t.call('POST', '/api/v1/guardians', { body: { schoolId: school.id, name: '周爸爸', studentIds: [student.id] } }),
  );
  await ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId: route.id,
        busId: bus.id,
        driverId: driver.id,
        attendantId: attendant.id,
        serviceDate: new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(Date.now()),
        plannedStartAt: new Date().toISOString(),
      },
    }),
  );
  const t0 = Date.now() - 2 * 3600_000;
  await insertPositions(
    t.database,
    Array.from({ length: 30 }, (_, i) => ({
      busId: bus.id,
      deviceId: device.id,
      timeMs: t0 + i * 5000,
      lat: 31.2,
      lon: lonAt(i * 40),
      speedKph: 30 + i,
    })),
  );
  const base = { schoolId: school.id, busId: bus.id, routeId: route.id, driverId: driver.id };
  ids = await insertViolations(t.database, [
    {
      ...base,
      episodeKey: 'speed',
      kind: 'overspeed',
      severity: 'critical',
      startedAt: new Date(t0 + 60_000).toISOString(),
      endedAt: new Date(t0 + 100_000).toISOString(),
      startLat: 31.2,
      startLon: lonAt(400),
      evidence: { peakKph: 61, limitKph: 40, lastMs: t0 + 100_000, episodeStatus: 'closed' },
    },
    {
      ...base,
      episodeKey: 'sos',
      kind: 'emergency',
      severity: 'critical',
      status: 'acknowledged',
      startedAt: new Date(t0 + 120_000).toISOString(),
      evidence: {
        source: 'attendant',
        trigger: 'sos',
        note: '学生晕倒',
        positionSource: 'phone',
        clientId: 'sos1-abc',
        byUserId: 3,
        lastMs: t0 + 120_000,
      },
    },
    {
      ...base,
      episodeKey: 'left',
      kind: 'childLeftOnBoard',
      severity: 'critical',
      status: 'rectifying',
      startedAt: new Date(t0 + 180_000).toISOString(),
      evidence: { reason: 'onboard_not_zero', onboard: 1, unit: 'persons', source: 'sweep', lastMs: t0 },
    },
    {
      ...base,
      episodeKey: 'noatt',
      kind: 'noAttendant',
      severity: 'major',
      startedAt: new Date(t0 + 200_000).toISOString(),
      dueAt: new Date(Date.now() - 86_400_000).toISOString(),
      evidence: { reason: 'not_checked_in', attendantId: 4 },
    },
  ]);
  token = await tokenFor(t, { name: '张主任', role: 'manager', schoolIds: [school.id] });
  // The seeded admin is a possible case owner (listed in the case's owner choice): a Chinese name, as data.
  await t.database.query(`update users set name = '周处长' where role = 'admin'`);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(Date.now());
  reportId = (await ok(t.call('POST', '/api/v1/reports', { body: { schoolId: school.id, period: today } }))).id;
  // A case with a trail (owner and due date set by the acknowledgement).
  await ok(
    t.call('POST', `/api/v1/violations/${ids.get('speed')}/transitions`, {
      token,
      body: { to: 'acknowledged', note: '已联系' },
    }),
    200,
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

/** What in the page's text is not Chinese: English words, codes, placeholders, epoch milliseconds. */
async function foreignText(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  const bad: string[] = [];
  for (const m of text.matchAll(/\[object Object\]|\bundefined\b|\bNaN\b|\b1[6-9]\d{11}\b/g)) bad.push(m[0]);
  for (const m of text.matchAll(/[A-Za-z][A-Za-z_]*(?:\.[A-Za-z_]+)*/g)) {
    const w = m[0];
    if (ALLOWED.has(w)) continue;
    if (w.length <= 2) continue; // A1, km… units and licence classes
    bad.push(w);
  }
  return [...new Set(bad)];
}

describe('manager page in Chinese', () => {
  it('has every key in both dictionaries (manager and attendant)', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    expect(Object.keys(attZh).sort()).toEqual(Object.keys(attEn).sort());
    for (const d of [en, zh, attEn, attZh]) for (const v of Object.values(d)) expect(v.trim()).not.toBe('');
  });

  it('serves the CSV with a UTF-8 byte-order mark (Excel on Chinese Windows)', async () => {
    const res = await fetch(`${srv.url}/api/v1/reports/${reportId}?format=csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain('实验小学');
  });

  it('shows no English word, raw code, [object Object] or epoch milliseconds on any view', async () => {
    const { context, page, console } = await newPage(browser, {
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
    });
    await page.goto(`${srv.url}/manager#token=${token}`);
    const views: [string, () => Promise<unknown>][] = [
      ['#/dashboard', () => page.getByTestId('dash-trend').waitFor()],
      ['#/search?q=沪', () => page.getByTestId('search-buses').locator('li').first().waitFor()],
      ['#/search?q=王', () => page.getByTestId('search-drivers').locator('li').first().waitFor()],
      [
        '#/violations?status=all&sort=severity',
        () => page.getByTestId('violations').locator('tbody tr').first().waitFor(),
      ],
      ['#/fleet', () => page.locator('table tbody tr').first().waitFor()],
      ['#/violations', () => page.getByTestId('violations').locator('tbody tr').first().waitFor()],
      [`#/violations/${ids.get('speed')}`, () => page.getByTestId('trail').locator('li').first().waitFor()],
      [
        `#/violations/${ids.get('noatt')}`,
        () => page.getByTestId('case-edit').locator('option').nth(2).waitFor({ state: 'attached' }),
      ],
      [`#/violations/${ids.get('sos')}`, () => page.getByTestId('case').waitFor()],
      [`#/violations/${ids.get('left')}`, () => page.getByTestId('case').waitFor()],
      ['#/compliance', () => page.getByTestId('compliance').waitFor()],
      [`#/reports/${reportId}`, () => page.getByTestId('report-title').waitFor()],
      ['#/registry', () => page.locator('table').first().waitFor()],
      // The registry's lists, a form with a field error, the parent link, a route on the map, a new trip.
      [
        '#/registry/buses',
        async () => {
          await page.locator('.reg-head button.primary').click();
          await page.locator('main').getByLabel('车牌').fill('沪A1002');
          await page.locator('main').getByLabel('核定载客').fill('0');
          await page.getByRole('button', { name: '保存' }).click();
          await page.locator('[data-field-error="approvedCapacity"]:not([hidden])').waitFor();
        },
      ],
      ['#/registry/drivers', () => page.locator('.reg-head button.primary').click()],
      ['#/registry/attendants', () => page.locator('.reg-head button.primary').click()],
      [
        '#/registry/devices',
        async () => {
          await page.locator('tr[data-id] td').first().waitFor();
          await page.locator('.reg-head button.primary').click();
        },
      ],
      [
        '#/registry/students',
        async () => {
          await page.getByRole('button', { name: '编辑学生 周小红' }).click();
          await page.locator('main').getByLabel('一号线 的乘车站点').waitFor();
        },
      ],
      [
        '#/registry/guardians',
        async () => {
          await page.getByRole('button', { name: '周爸爸 的家长链接' }).click();
          await page.getByTestId('issue-parent-link').click();
          await page.getByTestId('parent-qr').waitFor();
        },
      ],
      [
        '#/registry/routes',
        async () => {
          await page.getByRole('button', { name: '在地图上查看线路 一号线' }).click();
          await page.getByTestId('route-stops').waitFor();
        },
      ],
      [
        '#/registry/trips',
        async () => {
          await page.locator('tr[data-id]').first().waitFor();
          await page.locator('.reg-head button.primary').click();
          await page.getByTestId('reg-form').waitFor();
        },
      ],
      [
        '#/registry/schools',
        async () => {
          await page.getByRole('button', { name: '编辑学校 实验小学' }).click();
          await page.getByTestId('reg-form').waitFor();
        },
      ],
    ];
    const found: Record<string, string[]> = {};
    for (const [hash, ready] of views) {
      await page.evaluate((h) => (location.hash = h), hash);
      await ready();
      await expect.poll(() => page.locator('.loading').count()).toBe(0);
      const bad = await foreignText(page);
      if (bad.length) {
        const text = await page.evaluate(() => document.body.innerText);
        found[hash] = bad.map((w) => `${w} in «${text.split('\n').find((l) => l.includes(w))}»`);
      }
    }
    await screenshot(page, { path: `${ARTIFACTS}/manager-zh.png`, fullPage: true });
    expect(found).toEqual({});
    // The refused save (capacity 0) is the one failed request.
    expect(console.errors.filter((e) => !/status of 400 .*\/api\/v1\/buses$/.test(e))).toEqual([]);
    await context.close();
  });
});
