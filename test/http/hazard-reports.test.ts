// Hazard reports: from the public (no account) and from a guardian, with photos checked by content and stripped
// of metadata; each opens a `hazardReport` case routed to the plate's, bus's or route's school — a plate no school
// owns opens a district-level case for the district supervisors; the receipt shows the status and closing note;
// rate limits per client and per plate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { EXIF_SECRET, jpegWithExif, pngWithText } from '../helpers/photos';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let supervisorAll: string;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const report = (over: Record<string, unknown> = {}) => ({
  category: 'overCapacity',
  plate: 'a-bus-1',
  place: 'School gate',
  occurredAt: new Date(t.clock.nowMs - 10 * 60_000).toISOString(),
  description: 'About 40 children in a 19-seat bus',
  ...over,
});
const post = (body: unknown, token: string | null = null) => t.call('POST', '/api/v1/hazard-reports', { token, body });

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  const u = await ok(
    t.call('POST', '/api/v1/users', { body: { name: 'Bureau', role: 'supervisor', allSchools: true } }),
  );
  supervisorAll = (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: {} }))).token;
}, 300_000);
afterAll(() => t?.close());

describe('a public hazard report', () => {
  let receipt: string;
  let caseId: number;

  it('needs no account, opens a critical case at the plate’s school, with the photo stripped of metadata', async () => {
    const r = await post(report({ photos: [{ data: b64(jpegWithExif()) }, { data: b64(pngWithText()) }] }));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'received' });
    receipt = r.body.receipt;
    expect(receipt).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    const list = (await t.call('GET', '/api/v1/violations?kind=hazardReport', { token: w.tokens.managerA })).body.items;
    expect(list).toHaveLength(1);
    const v = list[0];
    caseId = v.id;
    expect(v).toMatchObject({
      kind: 'hazardReport',
      severity: 'critical',
      status: 'open',
      schoolId: w.a.schoolId,
      busId: w.a.buses[0].id,
      dueAt: new Date(t.clock.nowMs + 86_400_000).toISOString(),
      evidence: {
        source: 'public',
        receipt,
        category: 'overCapacity',
        plate: 'ABUS1',
        photos: 2,
        possibleUnlicensedBus: false,
      },
    });
    const photo = (await t.call('GET', `/api/v1/violations/${caseId}/photos/1`, { token: w.tokens.managerA })).body;
    expect(photo.contentType).toBe('image/jpeg');
    const bytes = Buffer.from(photo.data, 'base64').toString('latin1');
    expect(bytes).not.toContain(EXIF_SECRET);
    expect(bytes).toContain('JFIF');
    expect(photo.sizeBytes).toBe(Buffer.from(photo.data, 'base64').length);
    const png = (await t.call('GET', `/api/v1/violations/${caseId}/photos/2`, { token: w.tokens.managerA })).body;
    expect(png.contentType).toBe('image/png');
    expect(Buffer.from(png.data, 'base64').toString('latin1')).not.toContain(EXIF_SECRET);
    // Stored bytes carry no metadata either.
    const stored = await t.database.query<{ data: Uint8Array }>('select data from hazard_report_photos');
    for (const s of stored) expect(Buffer.from(s.data).toString('latin1')).not.toContain(EXIF_SECRET);
    // Another school's manager sees neither the case nor its photos.
    expect((await t.call('GET', `/api/v1/violations/${caseId}/photos/1`, { token: w.tokens.managerB })).status).toBe(
      403,
    );
  });

  it('shows the reporter the status, then "closed" and the closing note', async () => {
    const s = await t.call('GET', `/api/v1/hazard-reports/${receipt}`, { token: null });
    expect(s.body).toEqual({
      receipt,
      category: 'overCapacity',
      status: 'received',
      createdAt: new Date(t.clock.nowMs).toISOString(),
      photos: 2,
      closedAt: null,
      closingNote: null,
    });
    const move = (to: string, note?: string) =>
      ok(
        t.call('POST', `/api/v1/violations/${caseId}/transitions`, { token: w.tokens.managerA, body: { to, note } }),
        200,
      );
    await move('acknowledged', 'calling the driver');
    expect((await t.call('GET', `/api/v1/hazard-reports/${receipt}`, { token: null })).body).toMatchObject({
      status: 'inProgress',
      closingNote: null,
    });
    await move('rectifying');
    t.clock.nowMs += 3_600_000;
    await move('closed', '已核实：超员学生已由第二辆车接送，驾驶人已约谈。');
    expect((await t.call('GET', `/api/v1/hazard-reports/${receipt}`, { token: null })).body).toMatchObject({
      status: 'closed',
      closedAt: new Date(t.clock.nowMs).toISOString(),
      closingNote: '已核实：超员学生已由第二辆车接送，驾驶人已约谈。',
    });
  });

  it('answers 404 for an unknown receipt and 400 for a malformed one', async () => {
    expect((await t.call('GET', '/api/v1/hazard-reports/ABCD-EFGH-JKMN', { token: null })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/hazard-reports/1', { token: null })).status).toBe(400);
  });
});

describe('routing and checks', () => {
  it('a plate no school owns opens a district-level "possible unlicensed school bus" case', async () => {
    const r = await post(report({ category: 'other', plate: '沪Z·99999' }));
    expect(r.status).toBe(201);
    const list = (await t.call('GET', '/api/v1/violations?kind=hazardReport', { token: supervisorAll })).body.items;
    const v = list.find((x: any) => x.evidence.receipt === r.body.receipt);
    expect(v).toMatchObject({
      schoolId: null,
      severity: 'critical',
      evidence: { plate: '沪Z99999', possibleUnlicensedBus: true },
    });
    // Not a school's case: managers do not see it; the district supervisor and admins do.
    const mine = (await t.call('GET', '/api/v1/violations?kind=hazardReport', { token: w.tokens.managerA })).body.items;
    expect(mine.map((x: any) => x.id)).not.toContain(v.id);
    expect((await t.call('GET', `/api/v1/violations/${v.id}`, { token: w.tokens.managerA })).status).toBe(403);
    expect((await t.call('GET', `/api/v1/violations/${v.id}`, { token: supervisorAll })).status).toBe(200);
    await ok(t.call('POST', `/api/v1/violations/${v.id}/transitions`, { body: { to: 'acknowledged' } }), 200);
    // In the district report's list.
    const rep = await ok(t.call('POST', '/api/v1/reports', { token: supervisorAll, body: { period: '2026-09' } }));
    expect(rep.data.caseList.items.find((c: any) => c.id === v.id)).toMatchObject({ schoolId: null, school: null });
  });

  it('a guardian reports about their child’s bus, never another family’s', async () => {
    const own = await post(
      report({ plate: undefined, busId: w.a.buses[0].id, category: 'speeding' }),
      w.tokens.guardianA1,
    );
    expect(own.status).toBe(201);
    const v = (await t.call('GET', '/api/v1/violations?kind=hazardReport&severity=major')).body.items[0];
    expect(v).toMatchObject({ schoolId: w.a.schoolId, busId: w.a.buses[0].id, evidence: { source: 'guardian' } });
    const other = await post(report({ plate: undefined, busId: w.a.buses[1].id }), w.tokens.guardianA1);
    expect(other.status).toBe(403);
    expect(JSON.stringify(other.body)).not.toContain('A-BUS-2');
    // Without an account a bus is named by its plate only; staff do not use this form.
    expect((await post(report({ busId: w.a.buses[0].id }))).status).toBe(400);
    expect((await post(report(), w.tokens.managerA)).status).toBe(403);
  });

  it('a guardian reports about their child’s route (an unsafe stop): the case is the route’s school’s; another family’s or an unknown route is refused', async () => {
    const route = w.a.routes[0];
    const own = await post(
      report({ plate: undefined, routeId: route.id, category: 'unsafeStop', description: 'The stop is on the bend' }),
      w.tokens.guardianA1,
    );
    expect(own.status).toBe(201);
    const [v] = (await t.call('GET', '/api/v1/violations?kind=hazardReport')).body.items.filter(
      (x: { evidence: { receipt?: string } }) => x.evidence.receipt === own.body.receipt,
    );
    expect(v).toMatchObject({
      schoolId: w.a.schoolId,
      routeId: route.id,
      busId: null,
      evidence: { source: 'guardian' },
    });
    // the manager of the route's school sees it; the other school's does not
    const seenA = await t.call('GET', `/api/v1/violations/${v.id}`, { token: w.tokens.managerA });
    expect(seenA.status).toBe(200);
    expect((await t.call('GET', `/api/v1/violations/${v.id}`, { token: w.tokens.managerB })).status).toBe(403);
    // another family's route (school A's second family, and school B's) and a route that does not exist
    for (const other of [w.a.routes[1].id, w.b.routes[0].id]) {
      const r = await post(report({ plate: undefined, routeId: other, category: 'unsafeStop' }), w.tokens.guardianA1);
      expect(r.status).toBe(403);
    }
    const unknown = await post(report({ plate: undefined, routeId: 999_999 }), w.tokens.guardianA1);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('invalid_reference');
    // without an account a route cannot be named
    expect((await post(report({ routeId: route.id }))).status).toBe(400);
  });

  it('checks photos by content, size and count, and the fields', async () => {
    const gif = b64(new TextEncoder().encode('GIF89a\x01\0\x01\0'));
    const bad = await post(report({ photos: [{ data: gif }] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'photos.0', message: 'not a JPEG or PNG image' });
    const photo = { data: b64(jpegWithExif()) };
    expect((await post(report({ photos: [photo, photo, photo, photo] }))).status).toBe(400);
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(jpegWithExif());
    expect((await post(report({ photos: [{ data: b64(big) }] }))).status).toBe(400);
    expect((await post(report({ place: undefined }))).status).toBe(400);
    expect((await post(report({ category: 'ufo' }))).status).toBe(400);
    expect((await post(report({ occurredAt: new Date(t.clock.nowMs + 3_600_000).toISOString() }))).status).toBe(400);
  });

  it('limits reports per client address and per plate (429 with Retry-After)', async () => {
    // Five reports an hour from one address: this address has sent 3 accepted reports this hour already.
    t.clock.nowMs += 2 * 3_600_000;
    for (let i = 0; i < 5; i++) expect((await post(report({ plate: `B-BUS-1` }))).status).toBe(201);
    const limited = await post(report({ plate: 'B-BUS-1' }));
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('3600');
    t.clock.nowMs += 3_600_000 + 1000;
    expect((await post(report({ plate: 'B-BUS-1' }))).status).toBe(201);
  });

  it('limits reports about one plate to 20 an hour, whatever the addresses (429); other plates go on', async () => {
    t.clock.nowMs += 3_600_000 + 1000;
    // The client address as the Node server passes it (c.env.incoming.socket.remoteAddress).
    const from = async (address: string, plate: string) => {
      const res = await t.app.request(
        '/api/v1/hazard-reports',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report({ plate })) },
        { incoming: { socket: { remoteAddress: address } } },
      );
      return { status: res.status, body: (await res.json()) as any, headers: res.headers };
    };
    // Four addresses, five reports each (each address at its own limit): twenty about B-BUS-1 are taken.
    for (let a = 1; a <= 4; a++)
      for (let i = 0; i < 5; i++) expect((await from(`198.51.100.${a}`, 'B-BUS-1')).status).toBe(201);
    // A fresh address: the 21st report about the plate within the hour is refused; another plate is not.
    const limited = await from('198.51.100.9', 'b-bus-1');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.body.error.message).toContain('This plate was reported 20 times');
    expect(limited.headers.get('retry-after')).toBe('3600');
    expect((await from('198.51.100.9', 'A-BUS-1')).status).toBe(201);
    // An hour later the plate may be reported again.
    t.clock.nowMs += 3_600_000 + 1000;
    expect((await from('198.51.100.9', 'B-BUS-1')).status).toBe(201);
  });
});
