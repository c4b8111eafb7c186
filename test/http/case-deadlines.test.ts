// Deadlines that bite, with a test clock: a case gets its due date by severity when it opens (school override
// honoured), a reminder before it, and once overdue it is escalated (挂牌督办) — flagged, in the trail, notified
// once to the supervisors and managers, listed for the district and counted in the report and its list (清单).
// The supervisor role: reads and comments in the schools it oversees, escalates, edits nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseDeadlineConfig, deadlineStep, dueAtFor, remindAtFor } from '../../src/core/case-deadlines';
import { runJob } from '../../src/jobs/runner';
import { silentLogger } from '../../src/logging';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertViolations } from '../helpers/violations';
import { buildWorld, ok, type World } from '../helpers/world';

const T0 = Date.UTC(2026, 8, 1, 0, 0, 0); // 2026-09-01 08:00 in Shanghai
const H = 3_600_000;
const DAY = 24 * H;

let t: TestApp;
let w: World;
let supervisorAll: string;
let supervisorB: string;
let supervisorAllId: number;
let critical: number;
const events: unknown[] = [];

const tokenFor = async (user: Record<string, unknown>) => {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  return { id: u.id as number, token: (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: {} }))).token };
};

const sweep = (nowMs: number) =>
  runJob({ database: t.database, log: silentLogger, publishCaseEvent: (e) => events.push(e) }, 'caseDeadlines', {
    nowMs,
    timeZone: 'Asia/Shanghai',
  });

const get = (path: string, token?: string) => t.call('GET', path, { token });

beforeAll(async () => {
  t = await createTestApp(T0);
  w = await buildWorld(t);
  const s1 = await tokenFor({ name: '区教育局督导', role: 'supervisor', allSchools: true });
  supervisorAll = s1.token;
  supervisorAllId = s1.id;
  supervisorB = (await tokenFor({ name: 'Inspector B', role: 'supervisor', schoolIds: [w.b.schoolId] })).token;
  // School B rectifies major cases within 2 days.
  await ok(
    t.call('PATCH', `/api/v1/schools/${w.b.schoolId}`, {
      body: { ruleOverrides: { cases: { dueDays: { major: 2 } } } },
    }),
    200,
  );
  const ids = await insertViolations(t.database, [
    {
      episodeKey: 'dl-critical',
      kind: 'overCapacity',
      severity: 'critical',
      schoolId: w.a.schoolId,
      busId: w.a.buses[0].id,
      driverId: w.a.drivers[0].id,
      startedAt: new Date(T0).toISOString(),
    },
    {
      episodeKey: 'dl-major-b',
      kind: 'overspeed',
      severity: 'major',
      schoolId: w.b.schoolId,
      busId: w.b.buses[0].id,
      startedAt: new Date(T0).toISOString(),
    },
    {
      episodeKey: 'dl-given-due',
      kind: 'overspeed',
      severity: 'minor',
      status: 'acknowledged',
      schoolId: w.a.schoolId,
      startedAt: new Date(T0).toISOString(),
      dueAt: new Date(T0 + 30 * DAY).toISOString(),
    },
  ]);
  critical = ids.get('dl-critical')!;
}, 300_000);
afterAll(() => t?.close());

describe('deadline rules (pure)', () => {
  it('uses the preset by severity, a school override, and reminds before due', () => {
    const cfg = caseDeadlineConfig({});
    expect(cfg.dueDays).toEqual({ critical: 1, major: 3, minor: 7 });
    expect(dueAtFor(T0, 'critical', cfg)).toBe(T0 + DAY);
    expect(dueAtFor(T0, 'minor', cfg)).toBe(T0 + 7 * DAY);
    const b = caseDeadlineConfig({ cases: { dueDays: { major: 2, minor: -1, critical: 'x' } } });
    expect(b.dueDays).toEqual({ critical: 1, major: 2, minor: 7 });
    expect(remindAtFor(T0 + DAY, 'critical', cfg)).toBe(T0 + 20 * H);
    const c = { status: 'open' as const, severity: 'critical' as const, dueAtMs: T0 + DAY, remindedAtMs: null };
    expect(deadlineStep({ ...c, escalatedAtMs: null }, cfg, T0 + 19 * H)).toBeUndefined();
    expect(deadlineStep({ ...c, escalatedAtMs: null }, cfg, T0 + 20 * H)).toBe('remind');
    expect(deadlineStep({ ...c, escalatedAtMs: null }, cfg, T0 + DAY + 1)).toBe('escalate');
    expect(deadlineStep({ ...c, escalatedAtMs: T0 + DAY + 1 }, cfg, T0 + 2 * DAY)).toBeUndefined();
    expect(deadlineStep({ ...c, status: 'closed', escalatedAtMs: null }, cfg, T0 + 2 * DAY)).toBeUndefined();
  });
});

describe('an unacknowledged critical case', () => {
  it('gets its due date when it opens (by severity; a school override; a given due date kept)', async () => {
    t.clock.nowMs = T0 + 60_000;
    const [run] = await sweep(t.clock.nowMs);
    expect(run).toMatchObject({ status: 'succeeded', result: { dueDatesSet: 2, reminded: 0, escalated: [] } });
    const v = (await get(`/api/v1/violations/${critical}`)).body;
    expect(v).toMatchObject({ status: 'open', dueAt: new Date(T0 + DAY).toISOString(), overdue: false });
    expect(v.escalated).toBe(false);
    const b = (await get(`/api/v1/violations?schoolId=${w.b.schoolId}`)).body.items;
    expect(b.find((x: any) => x.episodeKey === 'dl-major-b').dueAt).toBe(new Date(T0 + 2 * DAY).toISOString());
    const given = (await get('/api/v1/violations?status=acknowledged')).body.items;
    expect(given.find((x: any) => x.episodeKey === 'dl-given-due').dueAt).toBe(new Date(T0 + 30 * DAY).toISOString());
    const trail = (await get(`/api/v1/violations/${critical}/actions`)).body.items;
    expect(trail.at(-1)).toMatchObject({ action: 'assign', actorUserId: null });
  });

  it('reminds the school’s managers 4 hours before due, once', async () => {
    t.clock.nowMs = T0 + 19 * H;
    expect((await sweep(t.clock.nowMs))[0]!.result).toMatchObject({ reminded: 0 });
    t.clock.nowMs = T0 + 20 * H;
    expect((await sweep(t.clock.nowMs))[0]!.result).toMatchObject({ reminded: 1 });
    expect((await sweep(t.clock.nowMs + 60_000))[0]!.result).toMatchObject({ reminded: 0 });
    const notices = (await get('/api/v1/staff-notices', w.tokens.managerA)).body.items;
    expect(notices.filter((n: any) => n.kind === 'caseDueSoon' && n.violationId === critical)).toHaveLength(1);
    expect(notices[0].textZh).toContain('2026-09-02 08:00');
    // Nothing for the other school's manager.
    expect((await get('/api/v1/staff-notices', w.tokens.managerB)).body.items).toEqual([]);
  });

  it('becomes overdue after one day and is escalated once, notified to its supervisors', async () => {
    t.clock.nowMs = T0 + DAY - 60_000;
    expect((await sweep(t.clock.nowMs))[0]!.result).toMatchObject({ escalated: [] });
    t.clock.nowMs = T0 + DAY + 60_000;
    expect((await sweep(t.clock.nowMs))[0]!.result).toMatchObject({ escalated: [critical] });
    expect((await sweep(t.clock.nowMs + 60_000))[0]!.result).toMatchObject({ escalated: [] });
    expect(events).toContainEqual(expect.objectContaining({ type: 'case.escalated', violationId: critical }));

    // In the supervisor's list of escalated cases, flagged overdue and escalated.
    const list = (await get('/api/v1/violations?escalated=true', supervisorAll)).body.items;
    expect(list.map((v: any) => v.id)).toEqual([critical]);
    expect(list[0]).toMatchObject({ status: 'open', overdue: true, escalated: true });
    expect(list[0].escalatedAt).toBe(new Date(T0 + DAY + 60_000).toISOString());
    expect((await get('/api/v1/violations/counts', supervisorAll)).body).toMatchObject({ escalated: 1, overdue: 1 });
    const trail = (await get(`/api/v1/violations/${critical}/actions`, supervisorAll)).body.items;
    expect(trail.at(-1)).toMatchObject({ action: 'escalate', actorUserId: null, fromStatus: 'open' });

    // Notified once to the district supervisor and the school's manager; not to school B's supervisor.
    const mine = (await get('/api/v1/staff-notices', supervisorAll)).body.items;
    expect(mine.filter((n: any) => n.kind === 'caseEscalated')).toHaveLength(1);
    expect(mine[0]).toMatchObject({ violationId: critical, readAt: null });
    expect(mine[0].textZh).toContain('挂牌督办');
    expect(mine[0].textZh).toContain('超员');
    const mgr = (await get('/api/v1/staff-notices', w.tokens.managerA)).body.items;
    expect(mgr.filter((n: any) => n.kind === 'caseEscalated')).toHaveLength(1);
    expect((await get('/api/v1/staff-notices', supervisorB)).body.items).toEqual([]);
    expect((await t.call('POST', `/api/v1/staff-notices/${mine[0].id}/read`, { token: supervisorAll })).status).toBe(
      204,
    );
    expect((await t.call('POST', `/api/v1/staff-notices/${mine[0].id}/read`, { token: supervisorB })).status).toBe(403);
    expect((await get('/api/v1/staff-notices?unread=true', supervisorAll)).body.items).toEqual([]);
  });

  it('shows as escalated in the supervisor’s monthly district report: per-school table, ranking and list, zh-CN', async () => {
    const report = await ok(t.call('POST', '/api/v1/reports', { token: supervisorAll, body: { period: '2026-09' } }));
    expect(report.schoolId).toBeNull();
    const d = report.data;
    expect(d.cases.escalated).toBe(1);
    const item = d.caseList.items.find((c: any) => c.id === critical);
    expect(item).toMatchObject({
      school: 'School A',
      kind: 'overCapacity',
      bus: 'A-BUS-1',
      driver: expect.any(String),
      status: 'open',
      overdue: true,
      dueAt: new Date(T0 + DAY).toISOString(),
      escalatedAt: new Date(T0 + DAY + 60_000).toISOString(),
      closedAt: null,
    });
    expect(d.perSchool.map((s: any) => [s.name, s.rank, s.overdue, s.escalated])).toEqual([
      ['School B', 1, 0, 0],
      ['School A', 2, 1, 1],
    ]);
    expect(d.perSchool[1].byKind).toMatchObject({ overCapacity: 1 });

    const html = (await get(`/api/v1/reports/${report.id}?format=html&lang=zh-CN`, supervisorAll)).body as string;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('全区（县） — 月报 2026-09');
    expect(html).toContain('各校情况 · 排名');
    expect(html).toContain('隐患排查整治清单');
    expect(html).toMatch(/<td>1<\/td><td>School B<\/td>/);
    expect(html).toMatch(/<td>2<\/td><td>School A<\/td>/);
    expect(html).toContain(`<td>${critical}</td><td>School A</td><td>超员</td><td>重大</td><td>A-BUS-1</td>`);
    expect(html).toContain('是 2026-09-02 08:01');

    const csv = await t.app.request(`/api/v1/reports/${report.id}/cases?format=csv`, {
      headers: { authorization: `Bearer ${supervisorAll}` },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 byte-order mark
    const lines = new TextDecoder().decode(bytes).split('\r\n');
    expect(lines[0]).toBe(
      '编号,学校,类型,等级,车辆,驾驶人,发现时间,责任人,整改期限,状态,逾期,挂牌督办,销账时间,整改情况,上期结转',
    );
    expect(lines.find((l) => l.startsWith(`${critical},`))).toMatch(
      new RegExp(
        `^${critical},School A,超员,重大,A-BUS-1,[^,]+,2026-09-01 08:00,,2026-09-02 08:00,待处理,是,是 2026-09-02 08:01,,,否$`,
      ),
    );
    const listJson = (await get(`/api/v1/reports/${report.id}/cases`, supervisorAll)).body;
    expect(listJson.items.map((c: any) => c.id)).toContain(critical);
    const listHtml = (await get(`/api/v1/reports/${report.id}/cases?format=html`, supervisorAll)).body as string;
    expect(listHtml).toContain('隐患排查整治清单 — 2026-09');
  });

  it('closing the case puts the closing note and time in the next list', async () => {
    t.clock.nowMs = T0 + 2 * DAY;
    for (const [to, note] of [
      ['acknowledged', undefined],
      ['rectifying', undefined],
      ['closed', '已卸下超员学生，驾驶人已约谈'],
    ] as const)
      await ok(t.call('POST', `/api/v1/violations/${critical}/transitions`, { body: { to, note } }), 200);
    const report = await ok(t.call('POST', '/api/v1/reports', { token: supervisorAll, body: { period: '2026-H2' } }));
    expect(report.kind).toBe('halfYear');
    expect(report.data.period).toMatchObject({ startDate: '2026-07-01', endDate: '2027-01-01' });
    const item = report.data.caseList.items.find((c: any) => c.id === critical);
    expect(item).toMatchObject({ status: 'closed', overdue: false, closedAt: new Date(T0 + 2 * DAY).toISOString() });
    expect(item.closingNote).toContain('已卸下超员学生');
    const year = await ok(t.call('POST', '/api/v1/reports', { token: supervisorAll, body: { period: '2026' } }));
    expect(year.kind).toBe('yearly');
    expect(year.data.previousPeriod.key).toBe('2025');
  });
});

describe('report delivery', () => {
  it('tells the supervisors when the scheduled monthly report is ready, once', async () => {
    const at = Date.UTC(2026, 8, 30, 16, 45); // 1 Oct 00:45 in Shanghai
    const deps = { database: t.database, log: silentLogger };
    const out = await runJob(deps, 'monthlyReport', { nowMs: at, timeZone: 'Asia/Shanghai' });
    const district = out.find((o) => o.scope === 'district')!;
    expect(district).toMatchObject({ status: 'succeeded', result: { supervisorsTold: 1 } });
    expect(out.find((o) => o.scope === `school:${w.b.schoolId}`)).toMatchObject({ result: { supervisorsTold: 2 } });
    const mine = (await get('/api/v1/staff-notices', supervisorAll)).body.items.filter(
      (n: any) => n.kind === 'reportReady',
    );
    expect(mine.map((n: any) => n.payload.schoolId).sort()).toEqual([null, w.a.schoolId, w.b.schoolId].sort());
    expect(mine.find((n: any) => n.payload.schoolId === null).textZh).toContain('全区（县） 2026-09 月报已生成');
    const b = (await get('/api/v1/staff-notices', supervisorB)).body.items.filter((n: any) => n.kind === 'reportReady');
    expect(b.map((n: any) => n.payload.schoolId)).toEqual([w.b.schoolId]);
    await runJob(deps, 'monthlyReport', { nowMs: at + 60_000, timeZone: 'Asia/Shanghai' });
    expect(
      (await get('/api/v1/staff-notices', supervisorAll)).body.items.filter((n: any) => n.kind === 'reportReady'),
    ).toHaveLength(3);
  });
});

describe('the supervisor role', () => {
  it('reads and comments in overseen schools, escalates, and edits nothing', async () => {
    const [id] = [
      ...(
        await insertViolations(t.database, [
          {
            episodeKey: 'sup-b',
            kind: 'routeDeviation',
            severity: 'minor',
            schoolId: w.b.schoolId,
            startedAt: new Date(t.clock.nowMs).toISOString(),
          },
        ])
      ).values(),
    ];
    expect((await get(`/api/v1/violations/${id}`, supervisorB)).status).toBe(200);
    expect((await get(`/api/v1/buses/${w.b.buses[0].id}`, supervisorB)).status).toBe(200);
    expect((await get(`/api/v1/schools/${w.b.schoolId}`, supervisorB)).status).toBe(200);
    expect((await get('/api/v1/buses', supervisorB)).body.items.map((b: any) => b.plate)).toEqual(['B-BUS-1']);
    const note = await t.call('POST', `/api/v1/violations/${id}/notes`, {
      token: supervisorB,
      body: { note: '请限期整改' },
    });
    expect(note.status).toBe(201);
    const up = await t.call('POST', `/api/v1/violations/${id}/escalate`, {
      token: supervisorB,
      body: { note: '重点督办' },
    });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ escalated: true });
    expect(up.body.actions.at(-1)).toMatchObject({ action: 'escalate', note: 'escalated (挂牌督办): 重点督办' });
    expect(
      (await t.call('POST', `/api/v1/violations/${id}/escalate`, { token: supervisorB, body: { note: 'again' } }))
        .status,
    ).toBe(409);
    // No case moves, no registry edits, no children's or guardians' records, no other school.
    expect(
      (
        await t.call('POST', `/api/v1/violations/${id}/transitions`, {
          token: supervisorB,
          body: { to: 'acknowledged' },
        })
      ).status,
    ).toBe(403);
    expect(
      (await t.call('PATCH', `/api/v1/buses/${w.b.buses[0].id}`, { token: supervisorB, body: { seats: 10 } })).status,
    ).toBe(403);
    expect((await t.call('POST', '/api/v1/buses', { token: supervisorB, body: {} })).status).toBe(403);
    expect((await get(`/api/v1/students/${w.b.students[0].id}`, supervisorB)).status).toBe(403);
    expect((await get('/api/v1/guardians', supervisorB)).status).toBe(403);
    expect((await get(`/api/v1/violations/${critical}`, supervisorB)).status).toBe(403);
    expect((await get(`/api/v1/violations?schoolId=${w.a.schoolId}`, supervisorB)).status).toBe(403);
    expect((await get(`/api/v1/buses/${w.a.buses[0].id}`, supervisorB)).status).toBe(403);
    // The district report is for supervisors over every school; a school's report is fine.
    expect((await t.call('POST', '/api/v1/reports', { token: supervisorB, body: { period: '2026-09' } })).status).toBe(
      403,
    );
    expect(
      (
        await t.call('POST', '/api/v1/reports', {
          token: supervisorB,
          body: { schoolId: w.b.schoolId, period: '2026-09' },
        })
      ).status,
    ).toBe(201);
    // Only an admin creates a supervisor.
    expect(
      (
        await t.call('POST', '/api/v1/users', {
          token: w.tokens.managerA,
          body: { name: 'x', role: 'supervisor', allSchools: true },
        })
      ).status,
    ).toBe(403);
    expect((await get('/api/v1/me', supervisorAll)).body).toMatchObject({
      role: 'supervisor',
      allSchools: true,
      userId: supervisorAllId,
    });
  });
});
