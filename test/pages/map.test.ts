// The pages' map (MapLibre GL, WebGL in chromium through SwiftShader), on the demo district:
// - over a whole demo trip the parent's map keeps the bus and the child's stop in view, and no label overlaps
//   another (the boxes MapLibre placed), while the collision placement really hides some stop names;
// - a bus glides between two fixes and turns to the direction it moves in; the parent's "last position N min ago"
//   warning, shown for fixes minutes old, goes once a fix of now arrives;
// - the manager's fleet view shows the school's routes (named) and the buses;
// - on a phone one finger over the map scrolls the page (cooperative gestures), two move the map, a pinch zooms;
// - the map needs nothing remote: the service worker caches its bundle, worker and stylesheet.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoResult } from '../../src/demo/seed';
import {
  ARTIFACTS,
  Driver,
  hhmm,
  lonAt,
  type MapState,
  mapState,
  newPage,
  ok,
  overlappingLabels,
  type PagesServer,
  phone,
  today,
  tokenFor,
  TZ,
  startDemoPages,
  demoWorldForAttempt,
  type DemoPages,
  screenshot,
} from './helpers';

let world: DemoPages;
let srv: PagesServer;
let browser: Browser;
let demo: DemoResult;

beforeAll(async () => {
  world = await startDemoPages();
  ({ srv, browser, demo } = world);
}, 180_000);

afterAll(() => world?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inside = (st: MapState, [x, y]: [number, number]) => x >= 0 && y >= 0 && x <= st.size[0] && y <= st.size[1];
const within = (st: MapState, lon: number, lat: number) =>
  lon >= st.bounds[0] && lon <= st.bounds[2] && lat >= st.bounds[1] && lat <= st.bounds[3];

describe('the parent’s map over a whole demo trip', () => {
  it('keeps the bus and the child’s stop in view, and no label overlaps another', async () => {
    world = await demoWorldForAttempt(world);
    ({ srv, browser, demo } = world);
    const guardian = demo.tokens.find((t) => t.role === 'guardian')!;
    const [child] = await srv.t.database.query<{ stop_id: number; route_id: number }>(
      `select ss.stop_id, ss.route_id from guardian_students gs
       join users u on u.guardian_id = gs.guardian_id
       join api_tokens k on k.user_id = u.id
       join student_stops ss on ss.student_id = gs.student_id
       where k.token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex') limit 1`,
      [guardian.token],
    );
    // The child's stop has a Chinese name: MapLibre draws it with the phone's own fonts (no glyph server).
    const [stop] = await srv.t.database.query<{ lat: number; lon: number }>(
      `update stops set name = '北门站' where id = $1 returning lat, lon`,
      [child!.stop_id],
    );
    const [{ n: stopCount }] = (await srv.t.database.query<{ n: number }>(
      'select count(*)::int as n from stops where route_id = $1',
      [child!.route_id],
    )) as [{ n: number }];

    const { context, page, console } = await newPage(browser, phone);
    const remote: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(srv.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
        remote.push(r.url());
    });
    await page.goto(`${srv.url}/parent#token=${guardian.token}`);
    await page.getByTestId('eta').waitFor();
    await expect.poll(async () => (await mapState(page))?.rendered['bg-my-stop-label']?.length ?? 0).toBe(1);

    // Sample the map while the simulator drives the whole trip.
    const samples: { st: MapState; fix: [number, number] }[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        const fix = await page
          .getByTestId('map')
          .evaluate((el) => [Number(el.getAttribute('data-bus-lon')), Number(el.getAttribute('data-bus-lat'))]);
        const st = await mapState(page, [[stop!.lon, stop!.lat], fix as [number, number]]);
        if (st && Object.keys(st.buses).length && fix[0]) samples.push({ st, fix: fix as [number, number] });
        await sleep(150);
      }
    })();
    await world.drive({ speedup: 200, durationS: 25 }, 1500); // the last fix reaches the page and the bus glides there
    running = false;
    await sampler;
    const last = await mapState(page, [[stop!.lon, stop!.lat]]);
    await screenshot(page.getByTestId('map'), { path: `${ARTIFACTS}/map-parent-demo.png` });

    expect(samples.length).toBeGreaterThan(40);
    const out: string[] = [];
    const overlaps: string[] = [];
    const loose: string[] = [];
    let hidden = 0;
    const headings = new Set<number>();
    let busStart: [number, number] | undefined;
    let busFarthestM = 0;
    for (const [i, { st, fix }] of samples.entries()) {
      const bus = Object.values(st.buses)[0]!;
      busStart ??= [bus.lon, bus.lat];
      busFarthestM = Math.max(busFarthestM, Math.hypot(bus.lon - busStart[0], bus.lat - busStart[1]) * 111_000);
      if (bus.headingDeg != null) headings.add(Math.round(bus.headingDeg / 10));
      // the bus (where it is drawn and its latest fix) and the child's stop are on the map's screen
      if (!within(st, bus.lon, bus.lat)) out.push(`#${i} bus drawn at ${bus.lon},${bus.lat} outside ${st.bounds}`);
      if (!within(st, fix[0], fix[1])) out.push(`#${i} last fix ${fix} outside ${st.bounds}`);
      if (!within(st, stop!.lon, stop!.lat) || !inside(st, st.projected[0]!))
        out.push(`#${i} stop outside ${st.bounds}`);
      // framed on the two of them, not on the whole route: their span fills a good part of the map (or it is
      // as close as it goes)
      const [sx, sy] = st.projected[0]!;
      const { x: bx, y: by } = bus;
      const pad = Math.min(60, st.size[0] / 4, st.size[1] / 4);
      const fill = Math.max(Math.abs(bx - sx) / (st.size[0] - 2 * pad), Math.abs(by - sy) / (st.size[1] - 2 * pad));
      if (fill < 0.25 && st.zoom < 15) loose.push(`#${i} zoom ${st.zoom.toFixed(1)}, fill ${fill.toFixed(2)}`);
      for (const o of overlappingLabels(st.placed)) overlaps.push(`#${i} ${o}`);
      // names in view that MapLibre left out: it hides colliding labels rather than stacking them
      const stopsShown = st.rendered['bg-stop-labels']!.length + st.rendered['bg-my-stop-label']!.length;
      const dotsInView = new Set(st.rendered['bg-stops']!.map((f) => f.properties.id)).size;
      if (stopsShown < dotsInView) hidden++;
    }
    expect(out).toEqual([]);
    // (a zoom-in after the bus closed in on the stop may trail a fix or two at 200× speed on a loaded machine)
    expect(loose.length, loose.join('; ')).toBeLessThanOrEqual(Math.floor(samples.length / 10));
    const zooms = samples.map(({ st }) => st.zoom);
    expect(Math.max(...zooms) - Math.min(...zooms), 'the camera followed the bus').toBeGreaterThan(1);
    expect(overlaps).toEqual([]);
    // The labels were really placed: the bus's plate, the child's stop (in Chinese) in every sample, several stops.
    // The child's stop keeps its name on the map, except while the bus's marker stands on it (no room then).
    const unnamed = samples
      .filter(({ st }) => st.rendered['bg-my-stop-label']![0]?.properties.name !== '北门站')
      .map(({ st }) => {
        const bus = Object.values(st.buses)[0]!;
        return Math.hypot(bus.x - st.projected[0]![0], bus.y - st.projected[0]![1]);
      });
    // (or for a moment while tiles of a new zoom level load: MapLibre fades labels in again)
    expect(unnamed.filter((px) => px > 40).length).toBeLessThanOrEqual(Math.floor(samples.length / 10));
    expect(unnamed.length).toBeLessThan(samples.length / 4);
    expect(samples.filter(({ st }) => st.placed.some((b) => b.layer === 'bg-bus-label')).length).toBeGreaterThan(
      samples.length / 2,
    );
    const mine = last!.placed.find((b) => b.layer === 'bg-my-stop-label')!;
    // three glyphs drawn (a phone draws them with its CJK font; a machine without one, with its fallback)
    expect(mine.box[2] - mine.box[0]).toBeGreaterThan(15);
    expect(samples.some(({ st }) => st.placed.filter((b) => b.layer === 'bg-stop-labels').length >= 2)).toBe(true);
    expect(hidden, 'MapLibre hid colliding stop names at some point').toBeGreaterThan(0);
    // The bus moved along the route and turned.
    expect(busFarthestM).toBeGreaterThan(1000);
    expect(headings.size).toBeGreaterThan(4);
    expect(stopCount).toBeGreaterThan(10);
    expect(remote).toEqual([]);
    expect(console.errors).toEqual([]);
    await context.close();
  }, 240_000);
});

describe('a bus between two fixes', () => {
  it('glides from one fix to the next and turns to the way it moves', async () => {
    const t = srv.t;
    const school = await ok(t.call('POST', '/api/v1/schools', { body: { name: 'Glide school', timeZone: TZ } }));
    const startMs = Math.floor((Date.now() - 4 * 60_000) / 60_000) * 60_000;
    const route = await ok(
      t.call('POST', '/api/v1/routes', {
        body: {
          schoolId: school.id,
          name: 'Glide line',
          // Approved (Art. 30): trips are refused on an unapproved route.
          approvedBy: 'County education bureau',
          approvalNumber: 'XC-2026-001',
          approvedOn: '2026-01-05',
          path: {
            type: 'LineString',
            coordinates: [
              [lonAt(0), 31.2],
              [lonAt(3000), 31.2],
            ],
          },
          stops: [
            { name: 'West', lat: 31.2, lon: lonAt(0), scheduledTime: hhmm(startMs) },
            { name: 'East', lat: 31.2, lon: lonAt(2800), scheduledTime: hhmm(startMs + 6 * 60_000) },
          ],
        },
      }),
    );
    const bus = await ok(
      t.call('POST', '/api/v1/buses', {
        body: {
          schoolId: school.id,
          plate: 'GL-1',
          approvedCapacity: 40,
          signValidUntil: '2099-01-01',
          inspectionValidUntil: '2099-01-01',
        },
      }),
    );
    await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId: school.id, busId: bus.id, protocol: 'json', identifier: 'glide-1', secret: 'secret-123' },
      }),
    );
    const student = await ok(
      t.call('POST', '/api/v1/students', {
        body: { schoolId: school.id, name: 'Glider', stops: [{ routeId: route.id, stopId: route.stops[1].id }] },
      }),
    );
    const guardian = await ok(
      t.call('POST', '/api/v1/guardians', {
        body: { schoolId: school.id, name: 'G', studentIds: [student.id], locale: 'en' },
      }),
    );
    await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: route.id,
          busId: bus.id,
          serviceDate: today(startMs),
          plannedStartAt: new Date(startMs).toISOString(),
        },
      }),
    );
    const token = await tokenFor(t, { name: 'G', role: 'guardian', guardianId: guardian.id });
    const { context, page, console } = await newPage(browser, phone);
    await page.goto(`${srv.url}/parent#token=${token}`);
    await expect.poll(async () => (await mapState(page))?.rendered['bg-my-stop-label']?.length ?? 0).toBe(1);
    const driver = new Driver(srv, 'glide-1', startMs + 30_000);
    await driver.drive(20, 36); // the trip starts: its positions reach the page
    await expect.poll(async () => Object.keys((await mapState(page))?.buses ?? {}).length).toBe(1);
    await sleep(2000);
    const before = (await mapState(page))!.buses[String(bus.id)]!;
    // Record where the bus is drawn, every 10 ms, while the next fixes (100 m further east) arrive.
    await page.evaluate((id) => {
      const view = (document.querySelector('[data-testid="map"]') as HTMLElement & { bgMap: any }).bgMap;
      const seen: { lon: number; heading: number | null }[] = [];
      (window as unknown as { glide: typeof seen }).glide = seen;
      const timer = setInterval(() => {
        const b = view.drawnBus(id);
        if (b) seen.push({ lon: b.lon, heading: b.headingDeg });
        if (seen.length >= 400) clearInterval(timer);
      }, 10);
    }, String(bus.id));
    await driver.drive(10, 36); // 100 m further east
    await sleep(2500);
    const seen = await page.evaluate(
      () => (window as unknown as { glide: { lon: number; heading: number | null }[] }).glide,
    );
    const target = lonAt(driver.xM);
    const after = (await mapState(page))!.buses[String(bus.id)]!;
    expect(after.lon).toBeCloseTo(target, 6);
    // drawn in between the fixes for a while (several distinct places): it glided rather than jumped
    const between = new Set(seen.filter((s) => s.lon > before.lon + 1e-6 && s.lon < target - 1e-6).map((s) => s.lon));
    expect(between.size).toBeGreaterThan(5);
    // and it points east, the way it moved (the fixes carry no heading)
    expect(after.headingDeg).not.toBeNull();
    expect(Math.abs(after.headingDeg! - 90)).toBeLessThan(2);
    // The fixes so far are stamped about 3 minutes ago: the page warns that the position is old. A fix of now
    // takes the warning away (it is about fixes older than a minute, not about every position).
    await expect.poll(() => page.getByTestId('bus-stale').isVisible()).toBe(true);
    const fresh = new Driver(srv, 'glide-1', Date.now() - 4000);
    fresh.xM = driver.xM;
    await fresh.drive(3, 36);
    await expect.poll(() => page.getByTestId('bus-stale').isVisible()).toBe(false);
    expect(console.errors).toEqual([]);
    await context.close();
  });
});

describe('the manager’s fleet view', () => {
  it('shows the school’s routes and the buses', async () => {
    const manager = demo.tokens.find((t) => t.role === 'manager')!;
    const demoSchool = '(select id from schools order by id limit 1)';
    const routes = await srv.t.database.query<{ id: number; name: string }>(
      `select id, name from routes where school_id = ${demoSchool} order by id`,
    );
    expect(routes.length).toBe(3);
    const { context, page, console } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/manager#token=${manager.token}`);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await expect
      .poll(async () => {
        const st = await mapState(page, [], '.map');
        return [...new Set(st?.rendered['bg-route']?.map((f) => Number(f.properties.id)))].sort((a, b) => a - b);
      })
      .toEqual(routes.map((r) => r.id));
    const st = (await mapState(page, [], '.map'))!;
    // the routes' names along their lines (where a stretch is straight enough for one), the school, and every bus
    // with a position
    const names = new Set(st.rendered['bg-route-labels']!.map((f) => f.properties.name));
    expect([...names].every((n) => routes.some((r) => r.name === n))).toBe(true);
    expect(st.rendered['bg-places']!.length).toBeGreaterThan(0);
    const positioned = await srv.t.database.query(
      `select distinct p.bus_id from positions p join buses b on b.id = p.bus_id where b.school_id = ${demoSchool}`,
    );
    expect(Object.keys(st.buses).length).toBe(positioned.length);
    await screenshot(page.locator('.map'), { path: `${ARTIFACTS}/map-fleet.png` });
    expect(console.errors).toEqual([]);
    await context.close();
  });
});

describe('the parent’s map under a finger', () => {
  it('one finger scrolls the page (the map stays, saying to use two), two fingers move it, a pinch zooms', async () => {
    const guardian = demo.tokens.find((t) => t.role === 'guardian')!;
    const { context, page, console } = await newPage(browser, phone);
    await page.goto(`${srv.url}/parent#token=${guardian.token}`);
    await expect.poll(async () => (await mapState(page))?.rendered['bg-my-stop-label']?.length ?? 0).toBe(1);
    await sleep(1500); // the camera settles on bus and stop
    const camera = () =>
      page.evaluate(() => {
        const gl = (document.querySelector('[data-testid="map"]') as HTMLElement & { bgMap: any }).bgMap.gl;
        const c = gl.getCenter();
        return { lon: c.lng as number, lat: c.lat as number, zoom: gl.getZoom() as number, scrollY: window.scrollY };
      });
    /**
     * Scrolls the page so that the map's top sits just under the sticky top bar; returns a point in the map's
     * upper middle (checked to hit the map, not the bar or a control).
     */
    const mapPoint = async (): Promise<[number, number]> => {
      const at = await page.evaluate(() => {
        const map = document.querySelector('[data-testid="map"]')!;
        const bar = document.querySelector('header.topbar')!.getBoundingClientRect().bottom;
        window.scrollTo(0, window.scrollY + map.getBoundingClientRect().top - bar - 10);
        const r = map.getBoundingClientRect();
        const p: [number, number] = [r.left + r.width / 2, r.top + Math.min(r.height / 2, 150)];
        const hit = document.elementFromPoint(p[0], p[1]);
        return { p, onMap: Boolean(hit?.classList.contains('maplibregl-canvas') && map.contains(hit)) };
      });
      expect(at.onMap, 'the touch point is on the map').toBe(true);
      await sleep(300);
      return at.p;
    };
    const [cx, cy] = await mapPoint();
    const room = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight - window.scrollY);
    expect(room, 'room to scroll the page further').toBeGreaterThan(200);
    const cdp = await context.newCDPSession(page);
    /** Touch points moving from `from` by (dx, dy) each, in steps; `spread` moves them apart (a pinch) instead. */
    const gesture = async (from: [number, number][], dx: number, dy: number, spread = 0) => {
      const at = (k: number) =>
        from.map(([x, y], i) => ({
          x: x + (dx * k) / 10 + (spread * k * (i === 0 ? -1 : 1)) / 10,
          y: y + (dy * k) / 10,
          id: i,
        }));
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
      for (let k = 1; k <= 10; k++) {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(k) });
        await sleep(20);
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await sleep(600);
    };

    // One finger up over the map: the page scrolls, the map does not move, and it says to use two fingers.
    const before = await camera();
    await page.evaluate(() => {
      const screen = document.querySelector('.maplibregl-cooperative-gesture-screen');
      if (screen)
        new MutationObserver(() => {
          if (screen.classList.contains('maplibregl-show'))
            (window as unknown as { helpShown: boolean }).helpShown = true;
        }).observe(screen, { attributes: true });
    });
    await gesture([[cx, cy]], 0, -150);
    const afterOne = await camera();
    expect(afterOne.scrollY, 'the page scrolled').toBeGreaterThan(before.scrollY + 50);
    expect(afterOne.lon).toBeCloseTo(before.lon, 9);
    expect(afterOne.lat).toBeCloseTo(before.lat, 9);
    expect(afterOne.zoom).toBeCloseTo(before.zoom, 9);
    expect(await page.evaluate(() => (window as unknown as { helpShown?: boolean }).helpShown)).toBe(true);
    const help = page.locator('.maplibregl-cooperative-gesture-screen .maplibregl-mobile-message');
    expect(await help.textContent()).toBe('请用双指移动地图');
    expect(await help.isVisible()).toBe(true); // the phone's message (a coarse pointer), not the desktop one

    // Two fingers side by side, moved together: the map pans, the page stays.
    const [x2, y2] = await mapPoint();
    const twoFrom = await camera();
    await gesture(
      [
        [x2 - 40, y2],
        [x2 + 40, y2],
      ],
      120,
      0,
    );
    const afterTwo = await camera();
    expect(afterTwo.lon, 'the map moved: dragged east, the view goes west').toBeLessThan(twoFrom.lon);
    expect(afterTwo.scrollY).toBe(twoFrom.scrollY);

    // Two fingers moved apart: the map zooms in.
    await gesture(
      [
        [x2 - 30, y2],
        [x2 + 30, y2],
      ],
      0,
      0,
      60,
    );
    const afterPinch = await camera();
    expect(afterPinch.zoom - afterTwo.zoom, 'pinch zoomed in').toBeGreaterThan(0.5);
    expect(console.errors).toEqual([]);
    await context.close();
  });
});

describe('the map offline', () => {
  it('is cached by the service worker: bundle, worker and stylesheet', async () => {
    const guardian = demo.tokens.find((t) => t.role === 'guardian')!;
    const { context, page } = await newPage(browser, phone);
    await page.goto(`${srv.url}/parent#token=${guardian.token}`);
    await expect.poll(async () => (await mapState(page))?.rendered['bg-my-stop-label']?.length ?? 0).toBe(1);
    const missing = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      const worker = document.querySelector<HTMLMetaElement>('meta[name="bg-map-worker"]')!.content;
      const used = performance
        .getEntriesByType('resource')
        .map((e) => new URL(e.name).pathname)
        .filter((p) => p.startsWith('/assets/'));
      const wanted = [...new Set([...used, worker])];
      const out: string[] = [];
      for (const p of wanted) if (!(await caches.match(p))) out.push(p);
      return { out, wanted };
    });
    expect(missing.wanted.some((p) => p.startsWith('/assets/map-worker-'))).toBe(true);
    expect(missing.wanted.some((p) => p.endsWith('.css'))).toBe(true);
    expect(missing.out).toEqual([]);
    await context.close();
  });
});
