// Manager page in a real browser (desktop): filters violations, opens one by keyboard, replays its track,
// acknowledges, rectifies and closes it (checked in the database); fleet, compliance, reports and a registry edit
// render without console errors. Another school's violations never show.
import type { Browser } from 'playwright-core';
import decodeQR from 'qr/decode.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPositions, insertViolations } from '../helpers/violations';
import { buildWorld, type World } from '../helpers/world';
import {
  ARTIFACTS,
  launchBrowser,
  mapState,
  newPage,
  type PagesServer,
  startPagesServer,
  TZ,
  screenshot,
} from './helpers';

let srv: PagesServer;
let browser: Browser;
let w: World;
let ids: Map<string, number>;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  w = await buildWorld(srv.t, { timeZone: TZ });
  const a = w.a;
  const t0 = Date.now() - 3 * 3600_000;
  const bus = a.buses[0];
  const lon0 = a.routes[0].path.coordinates[0][0];
  await insertPositions(
    srv.t.database,
    Array.from({ length: 60 }, (_, i) => ({
      busId: bus.id,
      deviceId: a.devices[0].id,
      timeMs: t0 + i * 5000,
      lat: 31.2,
      lon: lon0 + i * 0.0003,
      speedKph: 30 + i,
    })),
  );
  ids = await insertViolations(srv.t.database, [
    {
      episodeKey: 'speed-1',
      kind: 'overspeed',
      severity: 'critical',
      schoolId: a.schoolId,
      busId: bus.id,
      routeId: a.routes[0].id,
      startedAt: new Date(t0 + 100_000).toISOString(),
      endedAt: new Date(t0 + 200_000).toISOString(),
      startLat: 31.2,
      startLon: lon0 + 0.006,
      evidence: { peakKph: 81, limitKph: 40 },
    },
    {
      episodeKey: 'cap-1',
      kind: 'overCapacity',
      severity: 'major',
      schoolId: a.schoolId,
      busId: a.buses[1].id,
      startedAt: new Date(t0 + 300_000).toISOString(),
    },
    {
      episodeKey: 'late-1',
      kind: 'deviceOffline',
      severity: 'minor',
      status: 'acknowledged',
      schoolId: a.schoolId,
      busId: bus.id,
      startedAt: new Date(t0 - 86_400_000 * 3).toISOString(),
      dueAt: new Date(Date.now() - 86_400_000).toISOString(),
    },
    {
      episodeKey: 'b-1',
      kind: 'overspeed',
      severity: 'critical',
      schoolId: w.b.schoolId,
      busId: w.b.buses[0].id,
      startedAt: new Date(t0).toISOString(),
    },
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

describe('manager page', () => {
  it('filters violations, opens one by keyboard, replays the track, acknowledges and closes the case', async () => {
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${w.tokens.managerA}`);
    // The overview is the home view; the list is one section away.
    await page.getByTestId('dashboard').locator('[data-stat]').first().waitFor();
    await page.getByRole('link', { name: 'Violations', exact: true }).click();
    const rows = page.getByTestId('violations').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await page.getByTestId('violations').textContent()).not.toContain('B-BUS');
    // Overdue marker and severity colour.
    const late = page.locator(`tr[data-id="${ids.get('late-1')}"]`);
    expect(await late.locator('[data-overdue]').count()).toBe(1);
    expect(
      await page
        .locator(`tr[data-id="${ids.get('speed-1')}"] .sev`)
        .evaluate((el) => getComputedStyle(el).backgroundColor),
    ).toBe('rgb(179, 38, 30)');

    await page.getByLabel('Overdue only').check();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Overdue only').uncheck();
    // The unfiltered list is back before the next filter: otherwise the overdue-only list (also "1 shown") could pass
    // for the critical one (a red run read its row).
    await expect.poll(() => rows.count()).toBeGreaterThan(1);
    await page.getByLabel('Severity').selectOption('critical');
    await expect.poll(() => page.getByTestId('violations-summary').textContent()).toBe('1 shown');
    await expect.poll(() => rows.first().getAttribute('data-id')).toBe(String(ids.get('speed-1')));
    await screenshot(page, { path: `${ARTIFACTS}/manager-violations.png` });

    // Keyboard: focus the case link and press Enter.
    await rows.first().getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('case').waitFor();
    // the track, and the violation's stretch of it, drawn on the map
    await expect
      .poll(async () => {
        const st = await mapState(page, [], '.map');
        return [st?.rendered['bg-track']?.length ?? 0, st?.rendered['bg-track-episode']?.length ?? 0].map((n) => n > 0);
      })
      .toEqual([true, true]);
    const before = await page.getByTestId('replay-at').textContent();
    await page.getByTestId('replay-play').click();
    await expect.poll(() => page.getByTestId('replay-at').textContent()).not.toBe(before);

    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('[data-testid="case-status"][data-status="acknowledged"]').waitFor();
    await page.getByLabel('Note (optional)').fill('Driver briefed on the school-zone limit');
    await page.getByRole('button', { name: 'Start rectifying' }).click();
    await page.locator('[data-testid="case-status"][data-status="rectifying"]').waitFor();
    await page.getByRole('button', { name: 'Close case' }).click();
    await page.locator('[data-testid="case-status"][data-status="closed"]').waitFor();
    expect(await page.getByTestId('trail').locator('li').count()).toBe(3);
    await screenshot(page, { path: `${ARTIFACTS}/manager-violation.png` });
    const [v] = await srv.t.database.query<{ status: string; owner_user_id: number | null }>(
      'select status, owner_user_id from violations where id = $1',
      [ids.get('speed-1')],
    );
    expect(v!.status).toBe('closed');
    expect(v!.owner_user_id).not.toBeNull();
    const trail = await srv.t.database.query<{ to_status: string; note: string | null }>(
      'select to_status, note from case_actions where violation_id = $1 order by id',
      [ids.get('speed-1')],
    );
    expect(trail.map((r) => r.to_status)).toEqual(['acknowledged', 'rectifying', 'closed']);
    expect(trail[1]!.note).toContain('Driver briefed');

    // Back to the list: the closed case left the active filter.
    await page.getByRole('link', { name: '← All violations' }).click();
    await expect
      .poll(() => page.getByTestId('violations-summary').textContent())
      .toBe('No violations match these filters.');
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('shows the fleet, compliance expiries and a report with charts, and edits a bus', async () => {
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${w.tokens.managerA}`);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await expect.poll(() => page.locator('table tbody tr').count()).toBe(2);
    await expect
      .poll(async () => Object.keys((await mapState(page, [], '.map'))?.buses ?? {}))
      .toContain(String(w.a.buses[0].id));

    await page.getByRole('link', { name: 'Compliance' }).click();
    await page.getByText(/expired, \d+ missing/).waitFor();

    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByTestId('report-title').waitFor();
    expect(await page.locator('svg.bars').count()).toBeGreaterThan(0);
    await screenshot(page, { path: `${ARTIFACTS}/manager-report.png`, fullPage: true });

    await page.getByRole('link', { name: 'Registry' }).click();
    await page.getByRole('button', { name: `Edit bus ${w.a.buses[1].plate}` }).click();
    await page.getByLabel('Approved capacity').fill('36');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const [bus] = await srv.t.database.query<{ approved_capacity: number }>(
      'select approved_capacity from buses where id = $1',
      [w.a.buses[1].id],
    );
    expect(bus!.approved_capacity).toBe(36);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('shows the Traccar Client settings of an OsmAnd device as a QR code', async () => {
    const device = await srv.t.call('POST', '/api/v1/devices', {
      body: { schoolId: w.a.schoolId, busId: w.a.buses[1].id, protocol: 'osmand', label: 'Phone on bus 2' },
    });
    expect(device.status).toBe(201);
    const identifier: string = device.body.identifier;
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${w.tokens.managerA}`);
    await page.getByRole('link', { name: 'Registry' }).click();
    await page.locator('nav.reg-tabs').getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('button', { name: `Phone setup for ${identifier}` }).click();
    await expect.poll(() => page.getByTestId('device-identifier').textContent()).toBe(identifier);
    const serverUrl = await page.getByTestId('device-server-url').textContent();
    expect(serverUrl).toBe('http://127.0.0.1:5055');
    // The QR code itself, read back from the rendered image's pixels.
    const pixels = await page.getByTestId('device-qr').evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return { width: data.width, height: data.height, data: Array.from(data.data) };
    });
    expect(decodeQR({ width: pixels.width, height: pixels.height, data: new Uint8Array(pixels.data) })).toBe(
      `${serverUrl}/?id=${identifier}`,
    );
    await screenshot(page, { path: `${ARTIFACTS}/manager-phone-setup.png` });
    expect(console.errors).toEqual([]);
    await context.close();
  });
});
