// The public hazard-report page in a real browser: a fresh browser with no account files a report with a photo;
// it becomes a case at the bus's school; the manager closes it with a note; the reporter's receipt page shows
// "closed" and the note.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIF_SECRET, jpegWithExif } from '../helpers/photos';
import { buildWorld, type World } from '../helpers/world';
import { ARTIFACTS, launchBrowser, newPage, ok, type PagesServer, startPagesServer, screenshot } from './helpers';

let srv: PagesServer;
let browser: Browser;
let w: World;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  w = await buildWorld(srv.t);
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

describe('the public report page', () => {
  it('a report with a photo becomes a case; once the manager closes it the receipt page shows it closed with the note', async () => {
    const { context, page, console } = await newPage(browser, phoneLike);
    await page.goto(`${srv.url}/report`);
    await expect.poll(() => page.getByRole('heading', { name: '校车安全隐患举报' }).count()).toBe(1);
    await page.getByLabel('您看到了什么？').selectOption('overCapacity');
    await page.getByLabel('车牌号（如看到）').fill('A-BUS-1');
    await page.getByLabel('地点（道路、路口、站点）').fill('学校门口');
    await page.getByLabel('情况描述').fill('一辆校车坐了大约四十个孩子，过道里也站着人。');
    await page
      .getByLabel('照片（最多 3 张，JPEG 或 PNG，每张不超过 5 MB）')
      .setInputFiles({ name: 'bus.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(jpegWithExif()) });
    await page.getByRole('button', { name: '提交举报' }).click();
    const receiptEl = page.locator('strong.receipt');
    await expect.poll(() => receiptEl.count()).toBe(1);
    const receipt = (await receiptEl.textContent())!.trim();
    expect(receipt).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
    await screenshot(page, { path: `${ARTIFACTS}/report-receipt.png` });

    // The case, at the bus's school, with the photo stripped of its EXIF block.
    const list = (await srv.t.call('GET', '/api/v1/violations?kind=hazardReport', { token: w.tokens.managerA })).body
      .items;
    const v = list.find((x: any) => x.evidence.receipt === receipt);
    expect(v).toMatchObject({ schoolId: w.a.schoolId, busId: w.a.buses[0].id, severity: 'critical', status: 'open' });
    expect(v.evidence).toMatchObject({ photos: 1, source: 'public', place: '学校门口' });
    const photo = await fetch(`${srv.url}/api/v1/violations/${v.id}/photos/1`, {
      headers: { authorization: `Bearer ${w.tokens.managerA}` },
    });
    const stored = (await photo.json()) as { contentType: string; data: string };
    expect(stored.contentType).toBe('image/jpeg');
    expect(Buffer.from(stored.data, 'base64').toString('latin1')).not.toContain(EXIF_SECRET);

    // The reporter follows it: received.
    await page.getByRole('link', { name: '查看处理进度' }).click();
    await expect.poll(() => page.locator('.report-status').textContent()).toBe('已收到，等待处理');

    // The manager closes it with a note.
    for (const [to, note] of [
      ['acknowledged', undefined],
      ['rectifying', undefined],
      ['closed', '已核实并整改：多出的学生改乘第二辆校车，驾驶人已约谈。'],
    ] as const)
      await ok(
        srv.t.call('POST', `/api/v1/violations/${v.id}/transitions`, { token: w.tokens.managerA, body: { to, note } }),
        200,
      );

    await page.reload();
    await expect.poll(() => page.locator('.report-status').textContent()).toBe('已办结');
    expect(await page.locator('.closing-note p').textContent()).toBe(
      '已核实并整改：多出的学生改乘第二辆校车，驾驶人已约谈。',
    );
    await screenshot(page, { path: `${ARTIFACTS}/report-closed.png` });
    // In English too.
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('.report-status').textContent()).toBe('Closed');
    expect(console.errors).toEqual([]);
    await context.close();
  });
});

const phoneLike = { viewport: { width: 390, height: 800 }, locale: 'zh-CN' };
