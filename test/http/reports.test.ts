// Reports on a seeded scenario, every figure computed by hand; JSON, CSV, HTML; on demand, from the CLI; scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCli } from '../../scripts/report';
import { reportText } from '../../src/reports/text';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertPositions, insertViolations } from '../helpers/violations';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let report: any;
let ids: Map<string, number>;
const Z = (h: number, m = 0, s = 0, day = 1) => new Date(Date.UTC(2026, 8, day, h, m, s)).toISOString(); // September, UTC
const A = (h: number, m = 0, s = 0) => new Date(Date.UTC(2026, 7, 31, h, m, s)).toISOString(); // 31 August, UTC

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  const [a1, a2] = [0, 1].map((i) => ({
    busId: w.a.buses[i].id,
    driverId: w.a.drivers[i].id,
    routeId: w.a.routes[i].id,
    schoolId: w.a.schoolId,
  }));
  // The report day is 1 Sep in Shanghai: [31 Aug 16:00Z, 1 Sep 16:00Z); the previous day starts 30 Aug 16:00Z.
  ids = await insertViolations(t.database, [
    { ...a1!, episodeKey: 'V1', kind: 'overspeed', severity: 'critical', startedAt: A(23, 30) },
    { ...a1!, episodeKey: 'V2', kind: 'overspeed', severity: 'major', startedAt: Z(0, 10) },
    { ...a2!, episodeKey: 'V3', kind: 'overspeed', severity: 'major', startedAt: Z(9) },
    { ...a2!, episodeKey: 'V4', kind: 'routeDeviation', severity: 'major', startedAt: Z(3, 30) },
    { ...a1!, episodeKey: 'X1', kind: 'overspeed', severity: 'major', startedAt: Z(16) }, // next day already
    { ...a1!, episodeKey: 'P1', kind: 'overspeed', severity: 'minor', startedAt: A(10), dueAt: A(12) },
    {
      ...a2!,
      episodeKey: 'P2',
      kind: 'fatigue',
      severity: 'major',
      startedAt: new Date(Date.UTC(2026, 7, 30, 16)).toISOString(),
    },
    { ...a2!, episodeKey: 'P3', kind: 'fatigue', severity: 'major', startedAt: A(15, 59, 59) },
    {
      episodeKey: 'B1',
      kind: 'overspeed',
      severity: 'major',
      schoolId: w.b.schoolId,
      busId: w.b.buses[0].id,
      startedAt: Z(1),
    },
  ]);
  const move = async (key: string, at: string, body: Record<string, unknown>) => {
    t.clock.nowMs = Date.parse(at);
    await ok(t.call('POST', `/api/v1/violations/${ids.get(key)}/transitions`, { token: w.tokens.managerA, body }), 200);
  };
  await move('V1', Z(2), { to: 'acknowledged' });
  await move('V1', Z(2, 10), { to: 'rectifying' });
  await move('V1', Z(2, 20), { to: 'closed' });
  await move('V2', Z(3), { to: 'dismissed', reason: 'false alarm' });
  await move('V4', Z(4), { to: 'acknowledged', dueAt: Z(5) });
  await move('P3', Z(6), { to: 'acknowledged' });
  await move('P3', Z(6, 5), { to: 'rectifying' });
  await move('P3', Z(6, 10), { to: 'closed' });
  await move('V3', Z(17), { to: 'dismissed', reason: 'after the day' });

  // Trips ran 1 Sep (07:00 local = 23:00Z on 31 Aug); stops scheduled 07:00 and 07:20 local.
  const [t1, t2] = w.a.trips;
  await t.database.query(`update trips set status = 'completed', started_at = $2, ended_at = $3 where id = $1`, [
    t1.id,
    A(22, 58),
    A(23, 30),
  ]);
  await t.database.query(`update trips set status = 'completed', started_at = $2, ended_at = $3 where id = $1`, [
    t2.id,
    A(22, 55),
    A(23, 25),
  ]);
  const [s10, s11] = w.a.routes[0].stops.map((s: any) => s.id);
  const [s20, s21] = w.a.routes[1].stops.map((s: any) => s.id);
  await t.database.query(
    `insert into stop_events (trip_id, stop_id, kind, time) values ($1, $2, 'arrived', $3), ($1, $4, 'arrived', $5), ($6, $7, 'arrived', $8), ($6, $9, 'missed', $10)`,
    [t1.id, s10, A(23, 1, 30), s11, A(23, 27), t2.id, s20, A(22, 56), s21, A(23, 25)],
  );
  await t.database.query(
    `insert into boarding_records (trip_id, client_id, kind, recorded_at, stop_id, student_id, boarded, alighted) values
     ($1, 'c1', 'count', $3, $4, null, 5, 0), ($1, 'c2', 'student', $3, $4, $5, 1, 0), ($1, 'c3', 'count', $6, $7, null, 0, 6),
     ($2, 'c4', 'count', $3, $8, null, 3, 0), ($2, 'c5', 'count', $6, $9, null, 0, 3)`,
    [t1.id, t2.id, A(23, 2), s10, w.a.students[0].id, A(23, 28), s11, s20, s21],
  );
  const pts = [];
  for (let i = 0; i < 40; i++)
    pts.push({
      busId: w.a.buses[0].id,
      deviceId: w.a.devices[0].id,
      timeMs: Date.parse(A(22, 58)) + i * 30_000,
      lat: 31.2,
      lon: 121.4,
    });
  pts.push({
    busId: w.a.buses[0].id,
    deviceId: w.a.devices[0].id,
    timeMs: Date.parse(A(23, 40)),
    lat: 31.2,
    lon: 121.4,
  });
  for (let i = 0; i < 30; i++)
    pts.push({
      busId: w.a.buses[1].id,
      deviceId: w.a.devices[1].id,
      timeMs: Date.parse(A(22, 55)) + i * 60_000,
      lat: 31.2,
      lon: 121.45,
    });
  await insertPositions(t.database, pts);
  await ok(t.call('PATCH', `/api/v1/drivers/${w.a.drivers[0].id}`, { body: { licenceValidUntil: '2026-09-20' } }), 200);
  await ok(t.call('PATCH', `/api/v1/buses/${w.a.buses[1].id}`, { body: { signValidUntil: '2026-09-01' } }), 200);

  t.clock.nowMs = Date.parse(Z(1, 0, 0, 2));
  report = await ok(
    t.call('POST', '/api/v1/reports', {
      token: w.tokens.managerA,
      body: { schoolId: w.a.schoolId, period: '2026-09-01' },
    }),
  );
}, 60_000);
afterAll(() => t.close());

const pick = (list: any[]) => list.map((b) => [b.label, b.count, b.previous, b.change]);

describe('a school’s daily report', () => {
  it('covers the local day in the school’s zone', () => {
    expect(report).toMatchObject({
      kind: 'daily',
      schoolId: w.a.schoolId,
      periodKey: '2026-09-01',
      timeZone: 'Asia/Shanghai',
      source: 'api',
    });
    expect(report.data.period).toMatchObject({ from: '2026-08-31T16:00:00.000Z', to: '2026-09-01T16:00:00.000Z' });
    expect(report.data.previousPeriod.key).toBe('2026-08-31');
  });

  it('counts violations by kind, severity, bus, driver and route against the previous day', () => {
    const v = report.data.violations;
    expect([v.total, v.previous, v.change, v.changePct]).toEqual([4, 3, 1, 33.3]);
    expect(pick(v.byKind)).toEqual([
      ['overspeed', 3, 1, 2],
      ['routeDeviation', 1, 0, 1],
      ['fatigue', 0, 2, -2],
    ]);
    expect(pick(v.bySeverity)).toEqual([
      ['major', 3, 2, 1],
      ['critical', 1, 0, 1],
      ['minor', 0, 1, -1],
    ]);
    expect(pick(v.byBus)).toEqual([
      ['A-BUS-2', 2, 2, 0],
      ['A-BUS-1', 2, 1, 1],
    ]);
    expect(pick(v.byDriver)).toEqual([
      ['Driver A2', 2, 2, 0],
      ['Driver A1', 2, 1, 1],
    ]);
    expect(pick(v.byRoute)).toEqual([
      ['Route A2', 2, 2, 0],
      ['Route A1', 2, 1, 1],
    ]);
  });

  it('counts cases opened, closed, dismissed and overdue, and the rectification rate', () => {
    // Closed in the day: V1 and P3 (opened the day before); dismissed: V2 (V3 only after the day ended);
    // overdue at the end: V4 (due 05:00Z) and P1 (due the day before); rate: V1 closed of 4 opened less V2 dismissed.
    expect(report.data.cases).toEqual({
      opened: 4,
      closed: 2,
      dismissed: 1,
      overdue: 2,
      closedOfOpened: 1,
      dismissedOfOpened: 1,
      escalated: 0,
      rectificationRate: 0.3333,
    });
  });

  it('measures on-time arrivals at stops from the stored stop events', () => {
    // +90 s on time, +420 s late, −240 s early, one missed.
    const o = report.data.onTime;
    expect([o.scheduledStops, o.arrived, o.onTime, o.early, o.late, o.missed, o.onTimeRate, o.avgDelayS]).toEqual([
      4, 3, 1, 1, 1, 1, 0.25, 90,
    ]);
    expect(o.byRoute.map((r: any) => [r.label, r.arrived, r.onTime, r.early, r.late, r.missed, r.onTimeRate])).toEqual([
      ['Route A1', 2, 1, 0, 1, 0, 0.5],
      ['Route A2', 1, 0, 1, 0, 1, 0],
    ]);
  });

  it('sums ridership from the boarding records', () => {
    expect(report.data.ridership).toEqual({
      trips: 2,
      tripsWithRecords: 2,
      boarded: 9,
      alighted: 9,
      distinctStudents: 1,
      byRoute: [
        { routeId: w.a.routes[0].id, label: 'Route A1', trips: 1, boarded: 6 },
        { routeId: w.a.routes[1].id, label: 'Route A2', trips: 1, boarded: 3 },
      ],
    });
  });

  it('measures device uptime over active trip time', () => {
    // A1: 32 trip minutes, fixes every 30 s for the first 20 (the 23:40 fix is after the trip). A2: 30 of 30.
    const u = report.data.deviceUptime;
    expect(
      u.devices.map((d: any) => [
        d.identifier,
        d.activeTripMinutes,
        d.minutesWithFix,
        d.fixes,
        d.fixesPerMinute,
        d.uptime,
      ]),
    ).toEqual([
      // device identifiers as the registry keeps them (canonical: trimmed, lowercase)
      ['a-dev-1', 32, 20, 40, 1.25, 0.625],
      ['a-dev-2', 30, 30, 30, 1, 1],
    ]);
    expect([u.tripsRun, u.activeTripMinutes, u.minutesWithFix, u.uptime]).toEqual([2, 62, 50, 0.8065]);
  });

  it('lists compliance expiries as of the next day', () => {
    const c = report.data.compliance;
    expect([c.asOf, c.expired, c.expiring, c.missing]).toEqual(['2026-09-02', 1, 1, 2]);
    expect(c.items.map((i: any) => [i.kind, i.subjectName, i.status, i.daysLeft])).toEqual([
      ['annualReview', 'Driver A1', 'missing', null],
      ['annualReview', 'Driver A2', 'missing', null],
      ['busSign', 'A-BUS-2', 'expired', -1],
      ['driverLicence', 'Driver A1', 'expiring', 18],
    ]);
  });
});

describe('formats and storage', () => {
  it('serves the stored report as JSON, CSV and self-contained printable HTML', async () => {
    const json = await t.call('GET', `/api/v1/reports/${report.id}`, { token: w.tokens.managerA });
    expect(json.body.data).toEqual(report.data);
    const csv = await t.call('GET', `/api/v1/reports/${report.id}?format=csv&lang=en`, { token: w.tokens.managerA });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (csv.body as string).split('\r\n');
    expect(lines[0]).toBe('section,key,label,value,previous,change');
    expect(lines).toContain('violations,total,all,4,3,1');
    expect(lines).toContain('violations.kind,overspeed,Overspeed,3,1,2');
    expect(lines).toContain('cases,rectificationRate,,0.3333,,');
    const html = await t.call('GET', `/api/v1/reports/${report.id}?format=html&lang=en`, {
      token: w.tokens.managerA,
    });
    expect(html.headers.get('content-type')).toContain('text/html');
    const page = html.body as string;
    expect(page.match(/<svg /g)!.length).toBeGreaterThanOrEqual(8);
    expect(page).toContain('School A — daily report 2026-09-01');
    expect(page).not.toMatch(/<script|<link|<img|\bsrc=|\bhref=|url\(/i);
    expect(page.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    expect(page).toContain('<html lang="en">');

    // In Chinese (the default): lang, title, headings, kind and severity names; the CSV labels too.
    const zhPage = (await t.call('GET', `/api/v1/reports/${report.id}?format=html`, { token: w.tokens.managerA }))
      .body as string;
    expect(zhPage).toContain('<html lang="zh-CN">');
    expect(zhPage).toContain('School A — 日报 2026-09-01');
    for (const heading of ['<h2>违规</h2>', '<h2>案件</h2>', '<h2>口径说明</h2>']) expect(zhPage).toContain(heading);
    expect(zhPage).toContain('>超速</text>');
    expect(zhPage).not.toContain('>overspeed</text>');
    const zhCsv = (await t.call('GET', `/api/v1/reports/${report.id}?format=csv`, { token: w.tokens.managerA }))
      .body as string;
    expect(zhCsv.split('\r\n')).toContain('violations.kind,overspeed,超速,3,1,2');
    expect(
      (await t.call('GET', `/api/v1/reports/${report.id}?format=html&lang=fr`, { token: w.tokens.managerA })).status,
    ).toBe(400);
  });

  it('draws every row of every breakdown in the HTML, not only the top 12, with the kinds in words', async () => {
    // A stored report with long breakdowns: 14 kinds, 20 buses, 15 drivers, 13 routes (a copy of the day's report
    // under another period, removed at the end).
    const kinds = [
      'overspeed',
      'overCapacity',
      'routeDeviation',
      'offStopBoarding',
      'fatigue',
      'fatiguePreWarning',
      'driverCredentials',
      'noDriver',
      'deviceOffline',
      'unlicensedBus',
      'noAttendant',
      'childLeftOnBoard',
      'emergency',
      'stopSkipped',
    ];
    const rows = (n: number, label: (i: number) => string) =>
      Array.from({ length: n }, (_, i) => ({
        key: String(i + 1),
        label: label(i + 1),
        count: n - i,
        previous: 1,
        change: n - i - 1,
      }));
    const data = structuredClone(report.data);
    data.violations.byKind = kinds.map((k, i) => ({ key: k, label: k, count: 20 - i, previous: 0, change: 20 - i }));
    data.violations.byBus = rows(20, (i) => `沪B-${String(i).padStart(4, '0')}`);
    data.violations.byDriver = rows(15, (i) => `驾驶人${i}号`);
    data.violations.byRoute = rows(13, (i) => `线路${i}号`);
    const [copy] = await t.database.query<{ id: number }>(
      `insert into reports (kind, school_id, scope, period_key, period_start, period_end, time_zone, generated_at, source, data)
       select kind, school_id, scope, '2026-08-15', '2026-08-15', '2026-08-16', time_zone, generated_at, source, $2::jsonb
       from reports where id = $1 returning id`,
      [report.id, JSON.stringify(data)],
    );
    try {
      for (const lang of ['zh-CN', 'en'] as const) {
        const res = await t.call('GET', `/api/v1/reports/${copy!.id}?format=html&lang=${lang}`, {
          token: w.tokens.managerA,
        });
        expect(res.status).toBe(200);
        const html = res.body as string;
        const labels = (caption: string) => {
          const fig = html.split('<figure>').find((f) => f.includes(`<figcaption>${caption}</figcaption>`));
          expect(fig, caption).toBeDefined();
          return [...fig!.matchAll(/text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
        };
        const words = (key: string) => reportText(lang, key);
        expect(labels(words('byKind'))).toEqual(kinds.map((k) => reportText(lang, `kind.${k}`)));
        for (const k of kinds) expect(html).not.toContain(`>${k}</text>`);
        expect(labels(words('byBus'))).toEqual(data.violations.byBus.map((b: { label: string }) => b.label));
        expect(labels(words('byDriver'))).toEqual(data.violations.byDriver.map((b: { label: string }) => b.label));
        expect(labels(words('byRoute'))).toEqual(data.violations.byRoute.map((b: { label: string }) => b.label));
      }
    } finally {
      await t.database.query('delete from reports where id = $1', [copy!.id]);
    }
  });

  it('replaces a report regenerated for the same period, and lists stored reports', async () => {
    const again = await ok(
      t.call('POST', '/api/v1/reports', {
        token: w.tokens.managerA,
        body: { schoolId: w.a.schoolId, period: '2026-09-01' },
      }),
    );
    expect(again.id).toBe(report.id);
    const weekly = await ok(
      t.call('POST', '/api/v1/reports', {
        token: w.tokens.managerA,
        body: { schoolId: w.a.schoolId, period: '2026-W36', kind: 'weekly' },
      }),
    );
    expect(weekly.data.period).toMatchObject({ startDate: '2026-08-31', endDate: '2026-09-07' });
    expect(weekly.data.violations.total).toBe(8); // Mon 31 Aug – Sun 6 Sep local: P1–P3, V1–V4 and X1
    const list = await t.call('GET', `/api/v1/reports?schoolId=${w.a.schoolId}`, { token: w.tokens.managerA });
    expect(list.body.items.map((r: any) => [r.kind, r.periodKey])).toEqual([
      ['weekly', '2026-W36'],
      ['daily', '2026-09-01'],
    ]);
    const bad = await t.call('POST', '/api/v1/reports', {
      token: w.tokens.managerA,
      body: { schoolId: w.a.schoolId, period: '2026-09-01', kind: 'monthly' },
    });
    expect(bad.status).toBe(400);
    expect((await t.call('POST', '/api/v1/reports', { body: { schoolId: 99999, period: '2026-09' } })).status).toBe(
      400,
    );
  });

  it('makes the district report over every school (admins only)', async () => {
    const d = await ok(t.call('POST', '/api/v1/reports', { body: { period: '2026-09-01' } }));
    expect(d.schoolId).toBeNull();
    expect(d.data.violations.total).toBe(5);
    expect(d.data.scope.schools).toHaveLength(2);
    expect(
      (await t.call('POST', '/api/v1/reports', { token: w.tokens.managerA, body: { period: '2026-09-01' } })).status,
    ).toBe(403);
    expect((await t.call('GET', `/api/v1/reports/${d.id}`, { token: w.tokens.managerA })).status).toBe(403);
    const mine = await t.call('GET', '/api/v1/reports', { token: w.tokens.managerA });
    expect(mine.body.items.every((r: any) => r.schoolId === w.a.schoolId)).toBe(true);
  });

  it('generates from the command line, by school name, into CSV', async () => {
    const r = await reportCli(['--school', 'School B', '--period', '2026-09', '--format', 'csv'], {
      database: t.database,
      nowMs: t.clock.nowMs,
    });
    expect(r.code).toBe(0);
    expect(r.output).toContain('violations,total,all,1,0,1');
    const stored = await t.database.query<{ source: string; scope: string }>(
      'select source, scope from reports where id = $1',
      [r.reportId],
    );
    expect(stored[0]).toEqual({ source: 'cli', scope: `school:${w.b.schoolId}` });
    expect(
      (await reportCli(['--school', 'Nowhere', '--period', '2026-09'], { database: t.database, nowMs: 0 })).code,
    ).toBe(1);
    expect((await reportCli(['--period', '2026-09'], { database: t.database, nowMs: 0 })).code).toBe(2);
  });
});

describe('the reader’s language', () => {
  it('a school’s report is in the school’s language without ?lang=, and ?lang= wins', async () => {
    const get = async (path: string) => {
      const res = await t.call('GET', path, { token: w.tokens.managerA });
      expect(res.status, path).toBe(200);
      return res.body as string;
    };
    // School A is a zh-CN school (the default): Chinese.
    expect((await ok(t.call('GET', `/api/v1/schools/${w.a.schoolId}`), 200)).language).toBe('zh-CN');
    const zhPage = await get(`/api/v1/reports/${report.id}?format=html`);
    expect(zhPage).toContain('<html lang="zh-CN">');
    expect(zhPage).toContain('<h2>违规</h2>');
    // Its manager makes it an English school: the same stored report now reads in English.
    const s = await ok(
      t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { token: w.tokens.managerA, body: { language: 'en' } }),
      200,
    );
    expect(s.language).toBe('en');
    try {
      const page = await get(`/api/v1/reports/${report.id}?format=html`);
      expect(page).toContain('<html lang="en">');
      expect(page).toContain('School A — daily report 2026-09-01');
      for (const heading of ['<h2>Violations</h2>', '<h2>Cases</h2>']) expect(page).toContain(heading);
      expect(page).toContain('>Overspeed</text>');
      expect(page).not.toContain('>超速</text>');
      const csv = await get(`/api/v1/reports/${report.id}?format=csv`);
      expect(csv.split('\r\n')).toContain('violations.kind,overspeed,Overspeed,3,1,2');
      expect(await get(`/api/v1/reports/${report.id}/cases?format=html`)).toContain('<html lang="en">');
      // The reader's choice wins over the school's.
      const zhAgain = await get(`/api/v1/reports/${report.id}?format=html&lang=zh-CN`);
      expect(zhAgain).toContain('<html lang="zh-CN">');
      expect(zhAgain).toContain('<h2>违规</h2>');
      expect(await get(`/api/v1/reports/${report.id}?format=csv&lang=zh-CN`)).toContain(
        'violations.kind,overspeed,超速,3,1,2',
      );
      expect(await get(`/api/v1/reports/${report.id}/cases?format=html&lang=zh-CN`)).toContain('<html lang="zh-CN">');
      // The district report keeps the deployment's language, zh-CN, whatever one school chose.
      const d = await ok(t.call('POST', '/api/v1/reports', { body: { period: '2026-09-01' } }));
      const district = await t.call('GET', `/api/v1/reports/${d.id}?format=html`);
      expect(district.body as string).toContain('<html lang="zh-CN">');
    } finally {
      await ok(t.call('PATCH', `/api/v1/schools/${w.a.schoolId}`, { body: { language: 'zh-CN' } }), 200);
    }
  });
});

describe('scope', () => {
  it('a manager of school A gets 403 on school B’s reports; other roles get 403 on all', async () => {
    const b = await ok(
      t.call('POST', '/api/v1/reports', {
        token: w.tokens.managerB,
        body: { schoolId: w.b.schoolId, period: '2026-09-01' },
      }),
    );
    expect((await t.call('GET', `/api/v1/reports/${b.id}`, { token: w.tokens.managerA })).status).toBe(403);
    expect((await t.call('GET', `/api/v1/reports/${b.id}?format=html`, { token: w.tokens.managerA })).status).toBe(403);
    expect(
      (
        await t.call('POST', '/api/v1/reports', {
          token: w.tokens.managerA,
          body: { schoolId: w.b.schoolId, period: '2026-09-01' },
        })
      ).status,
    ).toBe(403);
    expect((await t.call('GET', `/api/v1/reports?schoolId=${w.b.schoolId}`, { token: w.tokens.managerA })).status).toBe(
      403,
    );
    for (const token of [w.tokens.guardianA1, w.tokens.attendantA1, w.tokens.deviceA1]) {
      expect((await t.call('GET', '/api/v1/reports', { token })).status).toBe(403);
      expect((await t.call('GET', `/api/v1/reports/${report.id}`, { token })).status).toBe(403);
      expect(
        (await t.call('POST', '/api/v1/reports', { token, body: { schoolId: w.a.schoolId, period: '2026-09-01' } }))
          .status,
      ).toBe(403);
    }
  });
});
