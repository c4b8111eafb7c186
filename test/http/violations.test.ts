// Violations API: filters, sorts and keyset pagination over a few thousand rows; counts; detail with track; scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertPositions, insertViolations, type SeedViolation } from '../helpers/violations';
import { buildWorld, type World } from '../helpers/world';

let t: TestApp;
let w: World;

interface Gen extends SeedViolation {
  id: number;
  startUs: number;
}
const gens: Gen[] = [];
const N = 3000;
const baseMs = Date.UTC(2026, 7, 1, 0, 0, 0);
const kinds = ['overspeed', 'routeDeviation', 'deviceOffline', 'overCapacity', 'fatigue'];
const sevs = ['critical', 'major', 'minor'] as const;
const statuses = ['open', 'acknowledged', 'rectifying', 'closed', 'dismissed'] as const;
const rank = { critical: 0, major: 1, minor: 2 };

function isoUs(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().replace('Z', String(us % 1000).padStart(3, '0') + 'Z');
}

beforeAll(async () => {
  t = await createTestApp(); // clock: 2026-09-01T00:00Z
  w = await buildWorld(t);
  const rows: Gen[] = [];
  for (let i = 0; i < N; i++) {
    const inB = i % 5 === 0;
    const k = i % 2;
    const school = inB ? w.b : w.a;
    const j = inB ? 0 : k;
    // Triples share a start time; every seventh row is 250 µs later (sub-millisecond order).
    const startUs = (baseMs + Math.floor(i / 3) * 60_000) * 1000 + (i % 7 === 0 ? 250 : 0);
    rows.push({
      id: 0,
      startUs,
      episodeKey: `seed-${i}`,
      kind: kinds[(i * 7) % 5]!,
      severity: sevs[(i >> 1) % 3]!,
      status: statuses[(i * 11) % 5]!,
      schoolId: school.schoolId,
      busId: school.buses[j].id,
      driverId: school.drivers[j].id,
      routeId: school.routes[j].id,
      startedAt: isoUs(startUs),
      dueAt: i % 4 === 0 ? new Date(baseMs + i * 20 * 60_000).toISOString() : null,
    });
  }
  const t0 = Date.now();
  const ids = await insertViolations(t.database, rows);
  expect(Date.now() - t0).toBeLessThan(5000);
  for (const r of rows) gens.push({ ...r, id: ids.get(r.episodeKey)! });
}, 60_000);
afterAll(() => t.close());

const nowMs = () => t.clock.nowMs;
const overdue = (g: Gen) =>
  g.dueAt != null && Date.parse(g.dueAt) < nowMs() && ['open', 'acknowledged', 'rectifying'].includes(g.status!);
const byTimeDesc = (x: Gen, y: Gen) => y.startUs - x.startUs || y.id - x.id;
const byTimeAsc = (x: Gen, y: Gen) => x.startUs - y.startUs || x.id - y.id;
const bySeverity = (x: Gen, y: Gen) => rank[x.severity] - rank[y.severity] || byTimeDesc(x, y);

async function walk(query: string, token: string = w.tokens.managerA, limit = 173): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 200; pages++) {
    const r = await t.call('GET', `/api/v1/violations?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, {
      token,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items.length).toBeLessThanOrEqual(limit);
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

describe('violation list', () => {
  it('pages through every violation of the manager’s school, newest first, without gaps or repeats', async () => {
    const items = await walk('sort=-time');
    const expected = gens.filter((g) => g.schoolId === w.a.schoolId).sort(byTimeDesc);
    expect(items.map((i) => i.id)).toEqual(expected.map((g) => g.id));
    expect(items.every((i) => i.schoolId === w.a.schoolId)).toBe(true);
  });

  it('sorts by severity (critical first, then newest) with filters on severity, status and bus', async () => {
    const busId = w.a.buses[1].id;
    const items = await walk(
      `sort=severity&severity=critical,major&status=open,acknowledged&busId=${busId}`,
      w.tokens.managerA,
      37,
    );
    const expected = gens
      .filter(
        (g) => g.busId === busId && g.severity !== 'minor' && (g.status === 'open' || g.status === 'acknowledged'),
      )
      .sort(bySeverity);
    expect(expected.length).toBeGreaterThan(100);
    expect(items.map((i) => i.id)).toEqual(expected.map((g) => g.id));
  });

  it('filters by kind and time range, oldest first (admin, across schools)', async () => {
    const from = new Date(baseMs + 100 * 60_000).toISOString();
    const to = new Date(baseMs + 700 * 60_000).toISOString();
    const items = await walk(
      `sort=time&kind=overspeed,routeDeviation&from=${from}&to=${to}`,
      'test-admin-token-0123456789',
      250,
    );
    const expected = gens
      .filter(
        (g) =>
          (g.kind === 'overspeed' || g.kind === 'routeDeviation') &&
          g.startUs >= Date.parse(from) * 1000 &&
          g.startUs < Date.parse(to) * 1000,
      )
      .sort(byTimeAsc);
    expect(items.map((i) => i.id)).toEqual(expected.map((g) => g.id));
    expect(new Set(items.map((i) => i.schoolId)).size).toBe(2);
  });

  it('filters by driver, route and school, and by overdue (flagged on each item)', async () => {
    const d = w.a.drivers[0].id;
    const items = await walk(`driverId=${d}&routeId=${w.a.routes[0].id}&schoolId=${w.a.schoolId}&overdue=true`);
    const expected = gens.filter((g) => g.driverId === d && overdue(g)).sort(byTimeDesc);
    expect(expected.length).toBeGreaterThan(10);
    expect(items.map((i) => i.id)).toEqual(expected.map((g) => g.id));
    expect(items.every((i) => i.overdue === true)).toBe(true);
    const notOverdue = await walk(`driverId=${d}&overdue=false`, w.tokens.managerA, 500);
    expect(notOverdue.length).toBe(gens.filter((g) => g.driverId === d && !overdue(g)).length);
    expect(notOverdue.some((i) => i.overdue)).toBe(false);
  });

  it('counts by kind, severity and status with the same filters', async () => {
    const r = await t.call('GET', `/api/v1/violations/counts?schoolId=${w.a.schoolId}&severity=critical`, {
      token: w.tokens.managerA,
    });
    expect(r.status).toBe(200);
    const sel = gens.filter((g) => g.schoolId === w.a.schoolId && g.severity === 'critical');
    expect(r.body.total).toBe(sel.length);
    expect(r.body.overdue).toBe(sel.filter(overdue).length);
    for (const k of kinds) expect(r.body.byKind[k] ?? 0, k).toBe(sel.filter((g) => g.kind === k).length);
    for (const s of statuses) expect(r.body.byStatus[s] ?? 0, s).toBe(sel.filter((g) => g.status === s).length);
    expect(r.body.bySeverity).toEqual({ critical: sel.length });
  });

  it('refuses bad queries with 400', async () => {
    for (const q of [
      'cursor=nonsense',
      'severity=huge',
      'status=open,wat',
      'from=yesterday',
      'sort=random',
      'limit=0',
      'overdue=maybe',
      'colour=red',
    ]) {
      const r = await t.call('GET', `/api/v1/violations?${q}`, { token: w.tokens.managerA });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    // A time-sorted cursor cannot continue a severity-sorted list.
    const first = await t.call('GET', '/api/v1/violations?limit=1', { token: w.tokens.managerA });
    expect(
      (
        await t.call('GET', `/api/v1/violations?sort=severity&cursor=${first.body.nextCursor}`, {
          token: w.tokens.managerA,
        })
      ).status,
    ).toBe(400);
  });
});

describe('violation detail', () => {
  it('returns the evidence, the case trail and the bus track from 2 min before to 2 min after the episode as GeoJSON', async () => {
    const bus = w.a.buses[0];
    const dev = w.a.devices[0];
    const startMs = Date.UTC(2026, 7, 20, 0, 10, 0);
    const endMs = startMs + 60_000;
    const ids = await insertViolations(t.database, [
      {
        episodeKey: 'detail-1',
        kind: 'overspeed',
        severity: 'major',
        schoolId: w.a.schoolId,
        busId: bus.id,
        startedAt: new Date(startMs).toISOString(),
        endedAt: new Date(endMs).toISOString(),
        startLat: 31.2,
        startLon: 121.4,
        evidence: { peakKph: 72, limitKph: 60 },
      },
    ]);
    // A fix every 30 s from 5 min before to 5 min after.
    const pts = [];
    for (let s = -300; s <= 360; s += 30)
      pts.push({
        busId: bus.id,
        deviceId: dev.id,
        timeMs: startMs + s * 1000,
        lat: 31.2 + s * 1e-5,
        lon: 121.4,
        speedKph: 50,
      });
    await insertPositions(t.database, pts);
    const id = ids.get('detail-1')!;
    const r = await t.call('GET', `/api/v1/violations/${id}`, { token: w.tokens.managerA });
    expect(r.status).toBe(200);
    expect(r.body.evidence).toEqual({ peakKph: 72, limitKph: 60 });
    expect(r.body.actions).toEqual([]);
    const track = r.body.track;
    expect(track.type).toBe('FeatureCollection');
    const line = track.features.find((f: any) => f.properties.role === 'track');
    // From −120 s to +60+120 s: 11 fixes at 30 s spacing (−120…180).
    expect(line.geometry.type).toBe('LineString');
    expect(line.geometry.coordinates.length).toBe(11);
    expect(line.properties.coordTimes[0]).toBe(new Date(startMs - 120_000).toISOString());
    expect(line.properties.coordTimes.at(-1)).toBe(new Date(endMs + 120_000).toISOString());
    expect(line.properties.episodeFromIndex).toBe(4);
    expect(line.properties.episodeToIndex).toBe(6);
    expect(track.features.find((f: any) => f.properties.role === 'episodeStart').geometry.coordinates).toEqual([
      121.4, 31.2,
    ]);
    const wide = await t.call('GET', `/api/v1/violations/${id}?marginS=300`, { token: w.tokens.managerA });
    expect(wide.body.track.features[0].geometry.coordinates.length).toBe(23);
    expect((await t.call('GET', '/api/v1/violations/999999', { token: w.tokens.managerA })).status).toBe(404);
  });
});

describe('scope', () => {
  it('a manager of school A gets 403 on school B’s violations', async () => {
    const bId = gens.find((g) => g.schoolId === w.b.schoolId)!.id;
    for (const path of [
      `/api/v1/violations/${bId}`,
      `/api/v1/violations?schoolId=${w.b.schoolId}`,
      `/api/v1/violations/counts?schoolId=${w.b.schoolId}`,
    ]) {
      const r = await t.call('GET', path, { token: w.tokens.managerA });
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    const own = await t.call('GET', `/api/v1/violations?schoolId=${w.b.schoolId}&limit=5`, {
      token: w.tokens.managerB,
    });
    expect(own.status).toBe(200);
    expect(own.body.items.every((i: any) => i.schoolId === w.b.schoolId)).toBe(true);
  });

  it('guardians, attendants and devices get 403 on every violation endpoint', async () => {
    const aId = gens.find((g) => g.schoolId === w.a.schoolId)!.id;
    for (const token of [w.tokens.guardianA1, w.tokens.attendantA1, w.tokens.deviceA1]) {
      for (const path of [
        '/api/v1/violations',
        '/api/v1/violations/counts',
        `/api/v1/violations/${aId}`,
        `/api/v1/violations/${aId}/actions`,
      ]) {
        expect((await t.call('GET', path, { token })).status, path).toBe(403);
      }
    }
  });
});
