// The manager's home view, search, case owners and CSV exports over HTTP: figures computed from the database (today
// in the school's zone, late and offline buses, open cases by kind and severity, unacknowledged alarms, the 14-day
// trend), and the scope of each: a manager of another school and a guardian are refused, a supervisor reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app';
import { insertPositions, insertViolations } from '../helpers/violations';
import { buildWorld, ok, type World } from '../helpers/world';

// 07:30 in Shanghai on the world's service day: its trips were planned for 07:00.
const NOW = Date.parse('2026-09-01T07:30:00+08:00');
const DAY = 86_400_000;

let t: TestApp;
let w: World;
let ids: Map<string, number>;
let supervisorA: string;
let supervisorB: string;
let managerAId: number;
let managerBId: number;

beforeAll(async () => {
  t = await createTestApp(NOW);
  w = await buildWorld(t);
  const a = w.a;
  managerAId = (await t.call('GET', '/api/v1/me', { token: w.tokens.managerA })).body.userId;
  managerBId = (await t.call('GET', '/api/v1/me', { token: w.tokens.managerB })).body.userId;
  const token = async (user: Record<string, unknown>) => {
    const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
    return (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'test' } }))).token as string;
  };
  supervisorA = await token({ name: 'Bureau A', role: 'supervisor', schoolIds: [a.schoolId] });
  supervisorB = await token({ name: 'Bureau B', role: 'supervisor', schoolIds: [w.b.schoolId] });
  // Bus 1 is on its trip and reporting; bus 2 is on its trip and silent for ten minutes (offline); a second trip
  // of bus 1 planned for 07:05 has not started (late). School B's trip is late too, and must not count.
  await t.database.query(`update trips set status = 'active', started_at = $2 where id = any($1::int[])`, [
    [a.trips[0].id, a.trips[1].id],
    new Date(NOW - 25 * 60_000).toISOString(),
  ]);
  await ok(
    t.call('POST', '/api/v1/trips', {
      body: {
        routeId: a.routes[0].id,
        busId: a.buses[0].id,
        serviceDate: '2026-09-01',
        plannedStartAt: '2026-09-01T07:05:00+08:00',
      },
    }),
  );
  await insertPositions(t.database, [
    { busId: a.buses[0].id, deviceId: a.devices[0].id, timeMs: NOW - 30_000, lat: 31.2, lon: 121.4 },
    { busId: a.buses[1].id, deviceId: a.devices[1].id, timeMs: NOW - 600_000, lat: 31.2, lon: 121.45 },
  ]);
  const at = (ms: number) => new Date(ms).toISOString();
  const base = { schoolId: a.schoolId, busId: a.buses[0].id, driverId: a.drivers[0].id };
  ids = await insertViolations(t.database, [
    { ...base, episodeKey: 'speed', kind: 'overspeed', severity: 'critical', startedAt: at(NOW - 3600_000) },
    {
      ...base,
      episodeKey: 'speed-late',
      kind: 'overspeed',
      severity: 'major',
      status: 'acknowledged',
      startedAt: at(NOW - 3 * DAY),
      dueAt: at(NOW - DAY),
    },
    { ...base, episodeKey: 'sos', kind: 'emergency', severity: 'critical', startedAt: at(NOW - 600_000) },
    {
      ...base,
      episodeKey: 'left-acked',
      kind: 'childLeftOnBoard',
      severity: 'critical',
      status: 'acknowledged',
      startedAt: at(NOW - 2 * DAY),
    },
    { ...base, episodeKey: 'old', kind: 'overspeed', severity: 'minor', startedAt: at(NOW - 20 * DAY) },
    {
      ...base,
      episodeKey: 'to-close',
      kind: 'noAttendant',
      severity: 'major',
      status: 'rectifying',
      startedAt: at(NOW - 3 * DAY),
    },
    {
      episodeKey: 'b-sos',
      kind: 'emergency',
      severity: 'critical',
      schoolId: w.b.schoolId,
      busId: w.b.buses[0].id,
      startedAt: at(NOW - 60_000),
    },
  ]);
  await ok(
    t.call('POST', `/api/v1/violations/${ids.get('to-close')}/transitions`, {
      token: w.tokens.managerA,
      body: { to: 'closed', note: '已整改' },
    }),
    200,
  );
});
afterAll(() => t.close());

describe('GET /schools/{id}/dashboard', () => {
  it('counts today’s fleet, open cases, unacknowledged alarms and the 14-day trend of the school', async () => {
    const d = await ok(t.call('GET', `/api/v1/schools/${w.a.schoolId}/dashboard`, { token: w.tokens.managerA }), 200);
    expect(d.date).toBe('2026-09-01');
    expect(d.fleet).toMatchObject({ buses: 2, tripsToday: 3, inService: 2, late: 1, offline: 1 });
    expect(d.fleet.lateBuses).toEqual([{ busId: w.a.buses[0].id, plate: 'A-BUS-1' }]);
    expect(d.fleet.offlineBuses).toEqual([{ busId: w.a.buses[1].id, plate: 'A-BUS-2' }]);
    // speed, speed-late, sos, left-acked, old are active; to-close is closed.
    expect(d.cases.active).toBe(5);
    expect(d.cases.overdue).toBe(1);
    const cell = (kind: string, severity: string) =>
      d.cases.byKind.find((r: any) => r.kind === kind && r.severity === severity)?.count ?? 0;
    expect(cell('overspeed', 'critical')).toBe(1);
    expect(cell('overspeed', 'major')).toBe(1);
    expect(cell('overspeed', 'minor')).toBe(1);
    expect(cell('noAttendant', 'major')).toBe(0);
    // Only the unacknowledged SOS sounds; school B's SOS is not school A's.
    expect(d.alarms.map((x: any) => x.id)).toEqual([ids.get('sos')]);
    expect(d.alarms[0].plate).toBe('A-BUS-1');
    expect(d.trend).toHaveLength(14);
    expect(d.trend[0].date).toBe('2026-08-19');
    expect(d.trend[13]).toEqual({ date: '2026-09-01', opened: 2, critical: 2, closed: 1 });
    expect(d.trend.find((x: any) => x.date === '2026-08-29')).toEqual({
      date: '2026-08-29',
      opened: 2,
      critical: 0,
      closed: 0,
    });
    // The case from 20 days ago is open (counted above) but outside the trend.
    expect(d.trend.reduce((n: number, x: any) => n + x.opened, 0)).toBe(5);
  });

  it('counts late trips by the configured TRIP_LATE_AFTER_MIN', async () => {
    const app = createApp({ database: t.database, log: silentLogger, now: () => NOW, tripLateAfterMin: 40 });
    const res = await app.request(`/api/v1/schools/${w.a.schoolId}/dashboard`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const d = (await res.json()) as any;
    // The 07:05 trip is 25 minutes behind: late after 10 minutes (the default), not after 40.
    expect(d.fleet).toMatchObject({ late: 0, lateAfterMin: 40, lateBuses: [] });
  });

  it('takes today in the school’s time zone', async () => {
    t.clock.nowMs = Date.parse('2026-09-01T23:30:00+08:00');
    try {
      const d = await ok(t.call('GET', `/api/v1/schools/${w.a.schoolId}/dashboard`), 200);
      expect(d.date).toBe('2026-09-01');
      t.clock.nowMs = Date.parse('2026-09-02T00:30:00+08:00');
      const next = await ok(t.call('GET', `/api/v1/schools/${w.a.schoolId}/dashboard`), 200);
      expect(next.date).toBe('2026-09-02');
      expect(next.fleet.tripsToday).toBe(0);
    } finally {
      t.clock.nowMs = NOW;
    }
  });

  it('refuses a manager of another school, a guardian and an attendant; a supervisor of the school reads', async () => {
    const path = `/api/v1/schools/${w.a.schoolId}/dashboard`;
    expect((await t.call('GET', path, { token: w.tokens.managerB })).status).toBe(403);
    expect((await t.call('GET', path, { token: w.tokens.guardianA1 })).status).toBe(403);
    expect((await t.call('GET', path, { token: w.tokens.attendantA1 })).status).toBe(403);
    expect((await t.call('GET', path, { token: supervisorB })).status).toBe(403);
    expect((await t.call('GET', path, { token: null })).status).toBe(401);
    const d = await ok(t.call('GET', path, { token: supervisorA }), 200);
    expect(d.cases.active).toBe(5);
    expect((await t.call('GET', '/api/v1/schools/999999/dashboard')).status).toBe(404);
    expect((await t.call('GET', '/api/v1/schools/abc/dashboard')).status).toBe(400);
  });
});

describe('GET /search', () => {
  it('finds plates, drivers and students of the caller’s schools only', async () => {
    const r = await ok(t.call('GET', '/api/v1/search?q=bus', { token: w.tokens.managerA }), 200);
    expect(r.buses.map((b: any) => b.plate)).toEqual(['A-BUS-1', 'A-BUS-2']);
    const all = await ok(t.call('GET', '/api/v1/search?q=bus'), 200);
    expect(all.buses.map((b: any) => b.plate)).toEqual(['A-BUS-1', 'A-BUS-2', 'B-BUS-1']);
    const d = await ok(t.call('GET', '/api/v1/search?q=driver%20a', { token: w.tokens.managerA }), 200);
    expect(d.drivers.map((x: any) => x.name)).toEqual(['Driver A1', 'Driver A2']);
    const s = await ok(t.call('GET', '/api/v1/search?q=child', { token: w.tokens.managerB }), 200);
    expect(s.students.map((x: any) => x.name)).toEqual(['Child B1']);
    expect(s.buses).toEqual([]);
    // % and _ are text, not wildcards.
    const pct = await ok(t.call('GET', '/api/v1/search?q=%25', { token: w.tokens.managerA }), 200);
    expect([...pct.buses, ...pct.drivers, ...pct.students]).toEqual([]);
  });

  it('gives a supervisor buses and drivers but no students, refuses a guardian, and checks the text', async () => {
    const r = await ok(t.call('GET', '/api/v1/search?q=a', { token: supervisorA }), 200);
    expect(r.buses.map((b: any) => b.plate)).toEqual(['A-BUS-1', 'A-BUS-2']);
    expect(r.students).toEqual([]);
    expect((await t.call('GET', '/api/v1/search?q=child', { token: w.tokens.guardianA1 })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/search?q=child', { token: w.tokens.attendantA1 })).status).toBe(403);
    // No text finds nothing; too long a text is refused.
    const blank = await ok(t.call('GET', '/api/v1/search?q=%20', { token: w.tokens.managerA }), 200);
    expect([...blank.buses, ...blank.drivers, ...blank.students]).toEqual([]);
    expect((await t.call('GET', '/api/v1/search', { token: w.tokens.managerA })).status).toBe(200);
    expect((await t.call('GET', `/api/v1/search?q=${'x'.repeat(101)}`, { token: w.tokens.managerA })).status).toBe(400);
  });
});

describe('GET /violations/{id}/owners', () => {
  it('lists the school’s managers and the admins; another school’s manager is refused', async () => {
    const r = await ok(
      t.call('GET', `/api/v1/violations/${ids.get('speed')}/owners`, { token: w.tokens.managerA }),
      200,
    );
    const owners = r.items.map((u: any) => u.id);
    expect(owners).toContain(managerAId);
    expect(owners).not.toContain(managerBId);
    expect(r.items.some((u: any) => u.role === 'admin')).toBe(true);
    expect(
      (await t.call('GET', `/api/v1/violations/${ids.get('speed')}/owners`, { token: w.tokens.managerB })).status,
    ).toBe(403);
    expect(
      (await t.call('GET', `/api/v1/violations/${ids.get('speed')}/owners`, { token: w.tokens.guardianA1 })).status,
    ).toBe(403);
  });
});

describe('CSV exports', () => {
  const csv = async (path: string, token: string) => {
    const res = await t.app.request(path, { headers: { authorization: `Bearer ${token}` } });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get('content-type'), bytes, text: new TextDecoder().decode(bytes) };
  };

  it('exports the filtered violations list with a UTF-8 BOM, in the caller’s scope', async () => {
    const r = await csv('/api/v1/exports/violations?severity=critical&status=open', w.tokens.managerA);
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/csv');
    expect([...r.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = r.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('编号,学校,类型,等级,状态,车辆,驾驶人,发生时间,结束时间,峰值,限值,负责人,整改期限,逾期');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([ids.get('sos'), ids.get('speed')]);
    expect(lines[1]).toContain('紧急报警');
    expect(lines[1]).toContain('2026-09-01 07:20');
    expect(r.text).not.toContain('B-BUS');
    const en = await csv('/api/v1/exports/violations?overdue=true&lang=en', w.tokens.managerA);
    const enLines = en.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(enLines[0]!.startsWith('Case,School,Kind')).toBe(true);
    expect(enLines).toHaveLength(2);
    expect(enLines[1]).toContain(',yes');
    expect((await csv('/api/v1/exports/violations', w.tokens.guardianA1)).status).toBe(403);
    expect((await csv(`/api/v1/exports/violations?schoolId=${w.a.schoolId}`, w.tokens.managerB)).status).toBe(403);
  });

  it('exports buses, drivers and students of the caller’s schools', async () => {
    const buses = await csv('/api/v1/exports/buses', w.tokens.managerB);
    expect([...buses.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(buses.text).toContain('B-BUS-1');
    expect(buses.text).not.toContain('A-BUS');
    const drivers = await csv('/api/v1/exports/drivers?lang=en', w.tokens.managerA);
    expect(drivers.text).toContain('Driver A2');
    expect(drivers.text).not.toContain('Driver B1');
    const students = await csv('/api/v1/exports/students', w.tokens.managerA);
    expect(students.text.split('\r\n')[0]).toBe('姓名,学校,年级,学生卡号'); // (TextDecoder drops the BOM)
    expect(students.text).toContain('Child A1');
    expect(students.text).not.toContain('Child B1');
    const json = await ok(t.call('GET', '/api/v1/exports/students?format=json', { token: w.tokens.managerA }), 200);
    expect(json.columns).toEqual(['姓名', '学校', '年级', '学生卡号']);
    expect(json.rows.map((r: string[]) => r[0])).toEqual(['Child A1', 'Child A2']);
    expect((await csv('/api/v1/exports/students', supervisorA)).status).toBe(403);
    expect((await csv('/api/v1/exports/buses', w.tokens.guardianA1)).status).toBe(403);
    expect((await csv('/api/v1/exports/buses?lang=fr', w.tokens.managerA)).status).toBe(400);
  });
});
