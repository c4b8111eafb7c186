// The manager page's registry in a real browser. In Chinese, a manager creates a bus (a capacity of 0 is refused
// with the reason next to the field, in Chinese), edits and deletes it, creates a driver, a student at a stop and
// the student's guardian, and opens the guardian's parent link (its QR code read back from the pixels): the parent
// page signs in as that guardian and shows the child. In English, a route file is previewed on the map before
// import, a trip is planned at a school-local time, and a JSON feed gets its device token. On a 320 px wide phone
// every registry list and form fits the width and every control is at least 44 px. In Chinese again: an attendant
// is created, edited and deleted; a JT/T 808 terminal is registered by its phone number (a wrong one refused under
// the field) and an OsmAnd phone gets an issued id and its Traccar Client QR code; the school's form (edit only)
// sets the language of the school's reports. Optional fields a manager empties in a driver's and a bus's edit form
// are cleared (sent as null) and stay empty after a reload; a field left as it was is kept.
import type { Browser, Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import decodeQR from 'qr/decode.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
let schoolId: number;
let route: any;

beforeAll(async () => {
  [srv, browser] = await Promise.all([startPagesServer(), launchBrowser()]);
  const t = srv.t;
  const school = await ok(
    t.call('POST', '/api/v1/schools', { body: { name: '登记小学', lat: 31.2, lon: 121.5, timeZone: TZ } }),
  );
  schoolId = school.id;
  route = await ok(
    t.call('POST', '/api/v1/routes', {
      body: {
        schoolId,
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
  await ok(t.call('POST', '/api/v1/buses', { body: { schoolId, plate: '沪A1001', approvedCapacity: 30 } }));
  token = await tokenFor(t, { name: '钱主任', role: 'manager', schoolIds: [schoolId] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

const q = <T>(sql: string, params: unknown[] = []) => srv.t.database.query<T>(sql, params);

/** The text of an image's QR code, decoded from its pixels in the page. */
async function qrText(page: Page, testid: string): Promise<string> {
  const pixels = await page.getByTestId(testid).evaluate(async (img: HTMLImageElement) => {
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
  return decodeQR({ width: pixels.width, height: pixels.height, data: new Uint8Array(pixels.data) });
}

/**
 * Opens the manager page and waits until its first view (the overview) has loaded: a view still loading when the
 * manager moves on draws over the next one (the page's router does not drop stale views).
 */
async function openManager(page: Page) {
  await page.goto(`${srv.url}/manager#token=${token}`);
  await page.locator('[data-testid="dashboard"][aria-busy="false"]').waitFor();
}

/** The manager page's registry (基础数据). */
async function openRegistry(page: Page) {
  await openManager(page);
  await page.getByRole('link', { name: '基础数据' }).click();
}

/** A desktop page in Chinese, on the registry. */
async function registryPage() {
  const opened = await newPage(browser, { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  await openRegistry(opened.page);
  return opened;
}

const tab = (page: Page, name: string) => page.locator('nav.reg-tabs').getByRole('link', { name, exact: true }).click();

describe('manager registry', () => {
  it('in Chinese: a bus (capacity 0 refused next to the field), edited and deleted; a driver, a student and a guardian whose link opens the parent page', async () => {
    const { context, page, console } = await registryPage();
    await page.getByRole('button', { name: '新增车辆' }).click();
    await page.locator('main').getByLabel('车牌').fill('沪C3003');
    await page.locator('main').getByLabel('核定载客').fill('0');
    await page.getByRole('button', { name: '保存' }).click();
    // The server's details, in Chinese, under the field they are about.
    const capErr = page.locator('[data-field-error="approvedCapacity"]');
    await expect.poll(() => capErr.textContent()).toBe('不能小于 1。');
    expect(await capErr.isVisible()).toBe(true);
    const capacity = page.locator('main').getByLabel('核定载客');
    expect(await capacity.getAttribute('aria-invalid')).toBe('true');
    expect((await capacity.getAttribute('aria-describedby'))!.split(' ')).toContain(await capErr.getAttribute('id'));
    expect(await capErr.evaluate((el) => el.parentElement!.querySelector('input')!.name)).toBe('approvedCapacity');
    expect(await page.getByTestId('form-msg').textContent()).toBe('请更正标出的字段。');
    await screenshot(page, { path: `${ARTIFACTS}/registry-field-error-zh.png` });
    expect(await q('select 1 from buses where plate = $1', ['沪C3003'])).toHaveLength(0);

    await capacity.fill('32');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    expect(await capErr.isVisible()).toBe(false);
    const [bus] = await q<{ id: number; approved_capacity: number }>(
      'select id, approved_capacity from buses where plate = $1',
      ['沪C3003'],
    );
    expect(bus!.approved_capacity).toBe(32);

    // Edit from the list.
    await page.getByRole('button', { name: '编辑车辆 沪C3003' }).click();
    await page.locator('main').getByLabel('核定载客').fill('40');
    await page.locator('main').getByLabel('状态').selectOption('maintenance');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已保存').waitFor();
    expect(
      await q<{ approved_capacity: number; status: string }>(
        'select approved_capacity, status from buses where id = $1',
        [bus!.id],
      ),
    ).toEqual([{ approved_capacity: 40, status: 'maintenance' }]);
    await expect.poll(() => page.locator(`tr[data-id="${bus!.id}"]`).textContent()).toContain('维修中');

    // Delete, asked once more.
    await page.getByRole('button', { name: '删除车辆 沪C3003' }).click();
    await page.getByText('确定删除车辆 沪C3003？').waitFor();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => page.locator(`tr[data-id="${bus!.id}"]`).count()).toBe(0);
    // The other bus stays listed (and in the page's bus list the other views use).
    expect(await page.getByRole('button', { name: '编辑车辆 沪A1001' }).count()).toBe(1);
    expect(await q('select 1 from buses where id = $1', [bus!.id])).toHaveLength(0);

    // A driver.
    await tab(page, '驾驶人');
    await page.getByRole('button', { name: '新增驾驶人' }).click();
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => page.locator('[data-field-error="birthDate"]').textContent()).toBe('必填。');
    await page.locator('main').getByLabel('姓名').fill('孙师傅');
    await page.locator('main').getByLabel('出生日期').fill('1979-03-04');
    await page.locator('main').getByLabel('初次领证日期').fill('2001-06-01');
    await page.locator('main').getByLabel('准驾车型').selectOption('A3');
    await page.locator('main').getByLabel('校车驾驶资格').check();
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    expect(await q('select licence_class, school_bus_endorsement from drivers where name = $1', ['孙师傅'])).toEqual([
      { licence_class: 'A3', school_bus_endorsement: true },
    ]);

    // A student at the east gate of route 1.
    await tab(page, '学生');
    await page.getByRole('button', { name: '新增学生' }).click();
    await page.locator('main').getByLabel('姓名').fill('刘小明');
    await page.locator('main').getByLabel('年级 / 班级').fill('三年级');
    await page.locator('main').getByLabel('一号线 的乘车站点').selectOption(String(route.stops[0].id));
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    const [student] = await q<{ id: number }>('select id from students where name = $1', ['刘小明']);
    expect(await q('select route_id, stop_id from student_stops where student_id = $1', [student!.id])).toEqual([
      { route_id: route.id, stop_id: route.stops[0].id },
    ]);
    await expect.poll(() => page.locator(`tr[data-id="${student!.id}"]`).textContent()).toContain('一号线：东门');

    // The guardian, with the child.
    await tab(page, '家长');
    await page.getByRole('button', { name: '新增家长' }).click();
    await page.locator('main').getByLabel('姓名').fill('刘妈妈');
    await page.locator('main').getByLabel('刘小明（三年级）').check();
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    const [guardian] = await q<{ id: number }>('select id from guardians where name = $1', ['刘妈妈']);
    expect(await q('select student_id from guardian_students where guardian_id = $1', [guardian!.id])).toEqual([
      { student_id: student!.id },
    ]);
    await expect.poll(() => page.locator(`tr[data-id="${guardian!.id}"]`).textContent()).toContain('刘小明');

    // The parent link: a QR code of the link, and the link itself opens the parent page as this guardian.
    await page.getByRole('button', { name: '刘妈妈 的家长链接' }).click();
    await page.getByTestId('issue-parent-link').click();
    const url = await page.getByTestId('parent-link-url').inputValue();
    expect(url).toMatch(new RegExp(`^${srv.url}/parent#token=bg_`));
    expect(await qrText(page, 'parent-qr')).toBe(url);
    await screenshot(page, { path: `${ARTIFACTS}/registry-parent-link-zh.png`, fullPage: true });
    const [parent] = await Promise.all([context.waitForEvent('page'), page.getByTestId('open-parent-link').click()]);
    await parent.waitForLoadState();
    await expect.poll(() => parent.evaluate(() => document.body.innerText), { timeout: 15_000 }).toContain('刘小明');
    expect(parent.url()).not.toContain('token=');
    const me = await parent.evaluate(async () => {
      const tok = localStorage.getItem('bg.token.parent');
      return (await fetch('/api/v1/me', { headers: { authorization: `Bearer ${tok}` } })).json();
    });
    expect(me).toMatchObject({ role: 'guardian', guardianId: guardian!.id });
    await screenshot(parent, { path: `${ARTIFACTS}/registry-parent-page.png` });
    // The one refused save (capacity 0) is the only failed request.
    expect(console.errors.filter((e) => !/status of 400 .*\/api\/v1\/buses$/.test(e))).toEqual([]);
    await context.close();
  });

  it('in English: previews a route file on the map before importing it, plans a trip, issues a device token', async () => {
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await openManager(page);
    await page.getByRole('link', { name: 'Registry' }).click();
    await page.locator('nav.reg-tabs').getByRole('link', { name: 'Routes', exact: true }).click();
    const geojson = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { name: 'Line 2' },
          geometry: {
            type: 'LineString',
            coordinates: [
              [lonAt(0), 31.21],
              [lonAt(1000), 31.21],
              [lonAt(3000), 31.21],
            ],
          },
        },
        {
          type: 'Feature',
          properties: { name: 'West gate' },
          geometry: { type: 'Point', coordinates: [lonAt(0), 31.21] },
        },
        {
          type: 'Feature',
          properties: { name: 'School' },
          geometry: { type: 'Point', coordinates: [lonAt(3000), 31.21] },
        },
      ],
    };
    await page
      .locator('main')
      .getByLabel('GeoJSON or GTFS zip')
      .setInputFiles({
        name: 'line-2.geojson',
        mimeType: 'application/geo+json',
        buffer: Buffer.from(JSON.stringify(geojson)),
      });
    await page.getByTestId('preview-route').click();
    const preview = page.getByTestId('import-preview');
    await preview.getByRole('region', { name: 'Map of route Line 2' }).waitFor();
    expect(await preview.locator('[data-testid="route-stops"] tbody tr').allTextContents()).toEqual([
      '1West gate—',
      '2School—',
    ]);
    expect(await q("select 1 from routes where name = 'Line 2'")).toHaveLength(0);
    await screenshot(page, { path: `${ARTIFACTS}/registry-route-preview.png`, fullPage: true });
    await page.getByTestId('import-route').click();
    await page.getByText('Imported route Line 2 with 2 stops.').waitFor();
    const [imported] = await q<{ id: number }>("select id from routes where name = 'Line 2'");
    await page.locator(`tr[data-id="${imported!.id}"]`).waitFor();
    // An imported route is not approved yet (no trips on it): the manager records its approval.
    expect(await page.locator(`tr[data-id="${imported!.id}"]`).textContent()).toContain('Not approved: no trips');
    await page.getByRole('button', { name: 'Edit route Line 2' }).click();
    await page.locator('main').getByLabel('Approved by').fill('County education bureau');
    await page.locator('main').getByLabel('Approval number').fill('XC-2026-017');
    await page.locator('main').getByLabel('Approved on').fill('2026-09-01');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator(`tr[data-id="${imported!.id}"]`).textContent())
      .toContain('No. XC-2026-017, 2026-09-01');
    expect(
      await q("select approved_by, approval_number from routes where id = $1 and approved_on = '2026-09-01'", [
        imported!.id,
      ]),
    ).toEqual([{ approved_by: 'County education bureau', approval_number: 'XC-2026-017' }]);

    // A GTFS feed: without a route the page lists the feed's routes to choose from; with one, the preview.
    await page
      .getByLabel('GeoJSON or GTFS zip')
      .setInputFiles(fileURLToPath(new URL('../fixtures/gtfs/cairns_gtfs.zip', import.meta.url)));
    await page.getByTestId('preview-route').click();
    await expect
      .poll(() => page.getByTestId('import-msg').textContent())
      .toMatch(/^The feed has \d+ routes: choose one/);
    expect(await page.locator('#imp-gtfs-list option[value="121-423"]').count()).toBe(1);
    await page.locator('main').getByLabel('GTFS route_id (zip only)').fill('121-423');
    await page.getByTestId('preview-route').click();
    await preview.getByTestId('route-stops').waitFor();
    expect(await preview.locator('[data-testid="route-stops"] tbody tr').count()).toBeGreaterThan(5);
    expect(await page.getByTestId('import-route').isEnabled()).toBe(true);
    expect(await q('select 1 from routes where school_id = $1', [schoolId])).toHaveLength(2);

    // A trip at 07:35 school time tomorrow on the new route.
    await page.locator('nav.reg-tabs').getByRole('link', { name: 'Trips', exact: true }).click();
    await page.getByRole('button', { name: 'New trip' }).click();
    await page.locator('main').getByLabel('Route').selectOption(String(imported!.id));
    await page.locator('main').getByLabel('Bus').selectOption({ label: '沪A1001' });
    await page.locator('main').getByLabel('Driver').selectOption({ index: 0 });
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(Date.now() + 86_400_000);
    await page.locator('main').getByLabel('Date').fill(day);
    await page.locator('main').getByLabel('Planned start').fill('07:35');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('form-msg').getByText('Created').waitFor();
    const [trip] = await q<{ planned_start_at: Date; service_date: string; school_id: number }>(
      "select planned_start_at, to_char(service_date, 'YYYY-MM-DD') as service_date, school_id from trips where route_id = $1",
      [imported!.id],
    );
    expect(trip!.service_date).toBe(day);
    expect(trip!.school_id).toBe(schoolId);
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: TZ,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    expect(local.format(new Date(trip!.planned_start_at))).toBe('07:35');

    // A partner JSON feed and its token.
    await page.locator('nav.reg-tabs').getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('button', { name: 'New device' }).click();
    await page.locator('main').getByLabel('Protocol').selectOption('json');
    await page.locator('main').getByLabel('Label').fill('Partner feed');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('form-msg').getByText('Created').waitFor();
    await page.getByRole('button', { name: 'Token for device Partner feed' }).click();
    await page.getByRole('button', { name: 'Device token' }).first().click();
    const devToken = await page.getByTestId('device-token').inputValue();
    const me = await srv.t.call('GET', '/api/v1/me', { token: devToken });
    expect(me.body).toMatchObject({ role: 'device' });
    // The one refused request: the GTFS preview without a route (answered with the feed's routes).
    expect(console.errors.filter((e) => !/status of 400 .*\/routes\/import\/gtfs\?[^ ]*preview=true$/.test(e))).toEqual(
      [],
    );
    await context.close();
  });

  it('fits a 320 px wide phone: no list or form is wider than the screen, every control is at least 44 px', async () => {
    const { context, page, console } = await newPage(browser, {
      viewport: { width: 320, height: 640 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    await openManager(page);
    const lists = ['buses', 'drivers', 'attendants', 'devices', 'students', 'guardians', 'routes', 'trips'];
    const problems: string[] = [];
    for (const list of lists) {
      await page.evaluate((l) => (location.hash = `#/registry/${l}`), list);
      await page.locator(`nav.reg-tabs a[data-list="${list}"][aria-current="page"]`).waitFor();
      const newButton = page.locator('.reg-head button.primary');
      await newButton.click();
      if (list !== 'routes') await page.getByTestId('reg-form').waitFor();
      const found = await page.evaluate(() => {
        const out: string[] = [];
        const main = document.querySelector('main')!;
        if (main.scrollWidth > main.clientWidth + 1) out.push(`main ${main.scrollWidth} > ${main.clientWidth}`);
        for (const el of main.querySelectorAll<HTMLElement>('button, a, input, select, label.check')) {
          const r = el.getBoundingClientRect();
          if (!r.width && !r.height) continue; // hidden
          if (el instanceof HTMLInputElement && el.type === 'checkbox') continue; // its label is the target
          if (el.closest('.table-scroll') && r.right > window.innerWidth) continue; // scrolled into view on demand
          if (r.height < 44)
            out.push(
              `${el.tagName.toLowerCase()} «${el.textContent?.trim() || el.id}» ${Math.round(r.height)} px high`,
            );
          if (r.right > window.innerWidth + 1)
            out.push(`${el.tagName.toLowerCase()} «${el.textContent?.trim() || el.id}» past the right edge`);
        }
        return out;
      });
      problems.push(...found.map((p) => `${list}: ${p}`));
      await screenshot(page, { path: `${ARTIFACTS}/registry-320-${list}.png`, fullPage: true });
    }
    expect(problems).toEqual([]);
    expect(console.errors).toEqual([]);
    await context.close();
  });

  it('in Chinese: an attendant created, edited and deleted; a JT/T 808 terminal by its phone number and an OsmAnd phone with its QR code', async () => {
    const { context, page, console } = await registryPage();
    const main = page.locator('main');

    // An attendant: created, edited, deleted (asked once more).
    await tab(page, '照管人员');
    await page.getByRole('button', { name: '新增照管人员' }).click();
    await main.getByLabel('姓名').fill('吴阿姨');
    await main.getByLabel('电话').fill('13800001111');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    const [att] = await q<{ id: number; phone: string; school_id: number }>(
      'select id, phone, school_id from attendants where name = $1',
      ['吴阿姨'],
    );
    expect(att).toMatchObject({ phone: '13800001111', school_id: schoolId });
    await expect.poll(() => page.locator(`tr[data-id="${att!.id}"]`).count()).toBe(1);
    await page.getByRole('button', { name: '编辑照管人员 吴阿姨' }).click();
    await main.getByLabel('培训有效期至').fill('2027-08-31');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已保存').waitFor();
    expect(
      await q("select to_char(training_valid_until, 'YYYY-MM-DD') as d from attendants where id = $1", [att!.id]),
    ).toEqual([{ d: '2027-08-31' }]);
    await expect.poll(() => page.locator(`tr[data-id="${att!.id}"]`).textContent()).toContain('2027-08-31');
    await page.getByRole('button', { name: '删除照管人员 吴阿姨' }).click();
    await page.getByText('确定删除照管人员 吴阿姨？').waitFor();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => page.locator(`tr[data-id="${att!.id}"]`).count()).toBe(0);
    expect(await q('select 1 from attendants where id = $1', [att!.id])).toHaveLength(0);

    // A JT/T 808 terminal (the form's default protocol) on bus 沪A1001: a name instead of its phone number is
    // refused under the field, in Chinese; the phone number is taken (stored without its zero padding).
    await tab(page, '车载设备');
    await page.getByRole('button', { name: '新增设备' }).click();
    expect(await main.getByLabel('协议').inputValue()).toBe('jt808');
    await main.getByLabel('设备标识').fill('一号车终端');
    await main.getByLabel('车辆', { exact: true }).selectOption({ label: '沪A1001' });
    await page.getByRole('button', { name: '保存' }).click();
    const idErr = page.locator('[data-field-error="identifier"]');
    await expect.poll(() => idErr.textContent()).toBe('不是有效的值。');
    expect(await idErr.isVisible()).toBe(true);
    expect(await main.getByLabel('设备标识').getAttribute('aria-invalid')).toBe('true');
    expect(await q("select 1 from devices where protocol = 'jt808'")).toHaveLength(0);
    await main.getByLabel('设备标识').fill('013912345678');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    const [bus] = await q<{ id: number }>('select id from buses where plate = $1', ['沪A1001']);
    expect(await q("select identifier, bus_id from devices where protocol = 'jt808'")).toEqual([
      { identifier: '13912345678', bus_id: bus!.id },
    ]);
    await expect.poll(() => main.locator('tr[data-id]').filter({ hasText: '13912345678' }).count()).toBe(1);

    // An OsmAnd phone: no id typed, one is issued; its Traccar Client settings as a QR code.
    await page.getByRole('button', { name: '新增设备' }).click();
    await main.getByLabel('协议').selectOption('osmand');
    await main.getByLabel('备注名').fill('二号车手机');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已创建').waitFor();
    const [phoneDev] = await q<{ identifier: string }>(
      "select identifier from devices where protocol = 'osmand' and label = $1",
      ['二号车手机'],
    );
    expect(phoneDev!.identifier.length).toBeGreaterThanOrEqual(16);
    await page.getByRole('button', { name: `${phoneDev!.identifier} 的手机设置` }).click();
    await expect.poll(() => page.getByTestId('device-identifier').textContent()).toBe(phoneDev!.identifier);
    const serverUrl = await page.getByTestId('device-server-url').textContent();
    expect(await qrText(page, 'device-qr')).toBe(`${serverUrl}/?id=${phoneDev!.identifier}`);
    await screenshot(page, { path: `${ARTIFACTS}/registry-devices-zh.png`, fullPage: true });
    // The one refused save (the terminal's name for its phone number) is the only failed request.
    expect(console.errors.filter((e) => !/status of 400 .*\/api\/v1\/devices$/.test(e))).toEqual([]);
    await context.close();
  });

  it('in Chinese: the school’s report language set to English in the school form (no new or delete there)', async () => {
    const { context, page, console } = await registryPage();
    const main = page.locator('main');
    await tab(page, '学校');
    const row = main.locator(`tr[data-id="${schoolId}"]`);
    await expect.poll(() => row.textContent()).toContain('中文');
    // Schools are made and removed by an administrator: the list has neither a New nor a Delete button.
    expect(await page.locator('.reg-head button.primary').count()).toBe(0);
    expect(await row.getByRole('button', { name: '删除' }).count()).toBe(0);
    await page.getByRole('button', { name: '编辑学校 登记小学' }).click();
    const language = main.getByLabel('报表语言');
    expect(await language.inputValue()).toBe('zh-CN');
    await language.selectOption({ label: '英文' });
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('form-msg').getByText('已保存').waitFor();
    expect(await q('select language from schools where id = $1', [schoolId])).toEqual([{ language: 'en' }]);
    await expect.poll(() => row.textContent()).toContain('英文');
    expect(console.errors).toEqual([]);
    await ok(srv.t.call('PATCH', `/api/v1/schools/${schoolId}`, { body: { language: 'zh-CN' } }), 200);
    await context.close();
  });

  it('in Chinese: optional fields emptied in the edit forms are cleared (a driver’s phone, licence and certificate, a bus’s inspection date and seats) and stay empty after a reload', async () => {
    const t = srv.t;
    const driver = await ok(
      t.call('POST', '/api/v1/drivers', {
        body: {
          schoolId,
          name: '清空师傅',
          phone: '13900002222',
          birthDate: '1978-05-06',
          licenceClass: 'A1',
          licenceFirstIssued: '2000-01-01',
          licenceValidUntil: '2030-12-31',
          qualificationCertNo: 'QC-CLEAR-9',
          cardId: 'CARD-KEEP-9',
        },
      }),
    );
    const bus = await ok(
      t.call('POST', '/api/v1/buses', {
        body: { schoolId, plate: '沪D4004', approvedCapacity: 30, seats: 30, inspectionValidUntil: '2027-03-31' },
      }),
    );
    const { context, page, console } = await registryPage();
    const main = page.locator('main');
    const save = async () => {
      await page.getByTestId('form-msg').evaluate((el) => (el.textContent = ''));
      await page.getByRole('button', { name: '保存' }).click();
      await page.getByTestId('form-msg').getByText('已保存').waitFor();
    };

    await tab(page, '驾驶人');
    await page.getByRole('button', { name: '编辑驾驶人 清空师傅' }).click();
    expect(await main.getByLabel('电话').inputValue()).toBe('13900002222');
    await main.getByLabel('电话').fill('');
    await main.getByLabel('驾驶证有效期至').fill('');
    await main.getByLabel('从业资格证号').fill('');
    await save();
    const driverRow = () =>
      q(
        "select phone, to_char(licence_valid_until, 'YYYY-MM-DD') as licence, qualification_cert_no as cert, card_id as card from drivers where id = $1",
        [driver.id],
      );
    // Emptied fields are cleared; a field left as it was (the card) is kept.
    expect(await driverRow()).toEqual([{ phone: null, licence: null, cert: null, card: 'CARD-KEEP-9' }]);
    // In the same form: a field empty when it opened, filled and saved, then emptied again, is cleared again.
    const certExpiry = async () =>
      (
        await q<{ d: string | null }>(
          "select to_char(qualification_cert_expiry, 'YYYY-MM-DD') as d from drivers where id = $1",
          [driver.id],
        )
      )[0]!.d;
    await main.getByLabel('从业资格证有效期至').fill('2028-02-29');
    await save();
    expect(await certExpiry()).toBe('2028-02-29');
    await main.getByLabel('从业资格证有效期至').fill('');
    await save();
    expect(await certExpiry()).toBeNull();

    await tab(page, '车辆');
    await page.getByRole('button', { name: '编辑车辆 沪D4004' }).click();
    await main.getByLabel('年检有效期至').fill('');
    await main.getByLabel('座位数').fill('');
    await save();
    expect(
      await q("select seats, to_char(inspection_valid_until, 'YYYY-MM-DD') as d from buses where id = $1", [bus.id]),
    ).toEqual([{ seats: null, d: null }]);

    // After a reload the lists and the forms show the fields empty.
    await openRegistry(page);
    const busCells = main.locator(`tr[data-id="${bus.id}"] td`);
    await expect
      .poll(() => busCells.allTextContents())
      .toEqual(['沪D4004', '30', '—', '—', '运营中', expect.any(String)]);
    await page.getByRole('button', { name: '编辑车辆 沪D4004' }).click();
    expect(await main.getByLabel('年检有效期至').inputValue()).toBe('');
    expect(await main.getByLabel('座位数').inputValue()).toBe('');
    await tab(page, '驾驶人');
    const driverCells = main.locator(`tr[data-id="${driver.id}"] td`);
    await expect
      .poll(() => driverCells.allTextContents())
      .toEqual(['清空师傅', '—', 'A1', '—', '—', expect.any(String)]);
    await page.getByRole('button', { name: '编辑驾驶人 清空师傅' }).click();
    expect(await main.getByLabel('电话').inputValue()).toBe('');
    expect(await main.getByLabel('驾驶证有效期至').inputValue()).toBe('');
    expect(await main.getByLabel('从业资格证号').inputValue()).toBe('');
    expect(await main.getByLabel('卡号').inputValue()).toBe('CARD-KEEP-9');
    expect(console.errors).toEqual([]);
    await context.close();
  });
});
