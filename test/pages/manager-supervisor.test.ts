// The manager page for the education bureau (a supervisor over every school), read-only: the cases of both
// schools, a case where the only actions are a note and escalation (both land in the trail), a registry without
// New, Edit, Delete, route import or the children's and guardians' lists, inspections without the recording
// forms, and no alarm bar to acknowledge. The API refuses the writes the page leaves out.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertViolations } from '../helpers/violations';
import { buildWorld, type World } from '../helpers/world';
import {
  ARTIFACTS,
  launchBrowser,
  newPage,
  type PagesServer,
  startPagesServer,
  tokenFor,
  TZ,
  screenshot,
  untilSubscribed,
} from './helpers';
import { busTopic, schoolViolationsTopic } from '../../src/live/topics';
import { ok } from '../helpers/world';

let srv: PagesServer;
let browser: Browser;
let w: World;
let ids: Map<string, number>;
let bureau: string;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  w = await buildWorld(srv.t, { timeZone: TZ });
  bureau = await tokenFor(srv.t, { name: '区教育局督导', role: 'supervisor', allSchools: true });
  const t0 = Date.now() - 2 * 3600_000;
  ids = await insertViolations(srv.t.database, [
    {
      episodeKey: 'a-speed',
      kind: 'overspeed',
      severity: 'critical',
      schoolId: w.a.schoolId,
      busId: w.a.buses[0].id,
      startedAt: new Date(t0).toISOString(),
    },
    {
      episodeKey: 'a-sos',
      kind: 'emergency',
      severity: 'critical',
      schoolId: w.a.schoolId,
      busId: w.a.buses[1].id,
      startedAt: new Date(t0 + 60_000).toISOString(),
    },
    {
      episodeKey: 'b-cap',
      kind: 'overCapacity',
      severity: 'major',
      schoolId: w.b.schoolId,
      busId: w.b.buses[0].id,
      startedAt: new Date(t0 + 120_000).toISOString(),
    },
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

describe('manager page for the education bureau (supervisor)', () => {
  it('shows the cases of every school; on a case only a note and escalation, both in the trail', async () => {
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${bureau}`);
    await page.getByTestId('dashboard').locator('[data-stat]').first().waitFor();
    expect(await page.getByTestId('read-only').textContent()).toBe('Read-only: education bureau');
    // An open SOS, yet no alarm bar: the bureau cannot acknowledge it.
    expect(await page.getByTestId('alarm').count()).toBe(0);

    await page.getByRole('link', { name: 'Violations', exact: true }).click();
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const list = await page.getByTestId('violations').textContent();
    expect(list).toContain('A-BUS-1');
    expect(list).toContain('B-BUS-1');

    const id = ids.get('b-cap')!;
    await page.locator(`tr[data-id="${id}"] a`).click();
    const panel = page.getByTestId('case');
    await panel.waitFor();
    expect(await panel.locator('button').allTextContents()).toEqual(['Add note', 'Escalate']);
    expect(await page.getByTestId('case-edit').count()).toBe(0);

    await page.getByLabel('Note (optional)').fill('请限期整改');
    await panel.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => page.getByTestId('trail').textContent()).toContain('请限期整改');
    expect(await page.getByTestId('trail').textContent()).toContain('区教育局督导');

    // Escalating needs a reason in the note.
    await panel.getByRole('button', { name: 'Escalate' }).click();
    expect(await panel.getByRole('status').textContent()).toBe('Say in the note why the case is escalated.');
    await page.getByLabel('Note (optional)').fill('重点督办');
    await panel.getByRole('button', { name: 'Escalate' }).click();
    await page.getByTestId('case-escalated').waitFor();
    expect(await page.getByTestId('trail').textContent()).toContain('escalated (挂牌督办): 重点督办');
    expect(await panel.locator('button').allTextContents()).toEqual(['Add note']);

    const trail = await srv.t.call('GET', `/api/v1/violations/${id}/actions`, { token: bureau });
    expect(trail.body.items.map((a: { action: string }) => a.action)).toEqual(['note', 'escalate']);
    const v = await srv.t.call('GET', `/api/v1/violations/${id}`, { token: bureau });
    expect(v.body).toMatchObject({ status: 'open', escalated: true });
    await screenshot(page, { path: `${ARTIFACTS}/manager-supervisor-case.png` });
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('lists the registry and inspections with no controls to write them', async () => {
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${bureau}`);
    await page.getByTestId('dashboard').locator('[data-stat]').first().waitFor();

    await page.goto(`${srv.url}/manager#/registry/buses`);
    const table = page.locator('.reg-section table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(w.a.buses.length + w.b.buses.length);
    expect(await page.locator('main').getByRole('button', { name: /new/i }).count()).toBe(0);
    expect(await table.locator('button').count()).toBe(0);
    const tabs = await page.locator('nav.reg-tabs a').evaluateAll((as) => as.map((a) => a.getAttribute('data-list')));
    expect(tabs).toEqual(['buses', 'drivers', 'attendants', 'devices', 'routes', 'trips', 'schools']);
    expect(await page.getByTestId('export-buses').count()).toBe(1);
    expect(await page.getByTestId('export-students').count()).toBe(0);

    for (const list of ['drivers', 'devices', 'routes', 'trips', 'schools']) {
      await page.goto(`${srv.url}/manager#/registry/${list}`);
      await page.locator(`nav.reg-tabs a[data-list="${list}"][aria-current="page"]`).waitFor();
      await page.locator('.reg-section').waitFor();
      expect(await page.locator('.reg-section button').count(), list).toBe(0);
    }
    expect(await page.locator('#imp-file').count()).toBe(0); // (routes: no import)

    await page.goto(`${srv.url}/manager#/inspections`);
    await page.getByTestId('weekly-inspections').waitFor();
    expect(await page.getByTestId('inspection-form').count()).toBe(0);
    expect(await page.getByTestId('drill-form').count()).toBe(0);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('the API refuses the bureau the writes the page leaves out', async () => {
    const bus = w.a.buses[0].id;
    const call = (method: string, path: string, body?: unknown) =>
      srv.t.call(method, path, { token: bureau, body }).then((r) => r.status);
    expect(await call('DELETE', `/api/v1/buses/${bus}`)).toBe(403);
    expect(await call('DELETE', `/api/v1/drivers/${w.a.drivers[0].id}`)).toBe(403);
    expect(await call('PATCH', `/api/v1/violations/${ids.get('a-speed')}/case`, { dueAt: null })).toBe(403);
    expect(await call('POST', `/api/v1/violations/${ids.get('a-sos')}/transitions`, { to: 'acknowledged' })).toBe(403);
  });

  it('follows every school’s violations live, past the first ten schools, and the buses after them', async () => {
    // 48 more schools: the bureau's page follows more topics than a parent may (50), and more than a session may ask
    // for at once (32 unanswered): the page asks a few at a time.
    for (let i = 1; i <= 48; i++)
      await ok(
        srv.t.call('POST', '/api/v1/schools', { body: { name: `第${i}小学`, lat: 31.2, lon: 121.5, timeZone: TZ } }),
      );
    const schools = await srv.t.database.query<{ id: number }>('select id from schools order by id');
    const buses = await srv.t.database.query<{ id: number }>('select id from buses order by id');
    expect(schools.length + buses.length).toBeGreaterThan(50);
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${bureau}`);
    await page.locator('.conn.live').waitFor();
    for (const s of schools) await untilSubscribed(srv, schoolViolationsTopic(s.id));
    for (const b of buses) await untilSubscribed(srv, busTopic(b.id));
    // A violation of the last school reaches the bureau's page.
    const last = schools.at(-1)!.id;
    srv.live.hub.publish(schoolViolationsTopic(last), 'violation', {
      event: 'violation.opened',
      kind: 'overspeed',
      schoolId: last,
      busId: null,
    });
    await page
      .locator('.toast')
      .filter({ hasText: /超速|Overspeed/ })
      .waitFor();
    expect(console.errors).toEqual([]);
    await context.close();
  });
});
