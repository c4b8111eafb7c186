// Trusted-adult share links: a guardian makes, lists and revokes links for their own children only; the link
// shows the bus, the stop and the ETA with the child's given name only, and answers 410 once revoked or expired.
// Only a hash of the secret is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenName } from '../../src/http/resources/share-links';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, type World } from '../helpers/world';

const DAY0_MS = Date.parse('2026-09-01T06:30:00+08:00');
let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp(DAY0_MS);
  w = await buildWorld(t);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('share links', () => {
  it('are made by a guardian for their own child only', async () => {
    const child = w.a.students[0];
    expect(
      (await t.call('POST', '/api/v1/share-links', { token: w.tokens.guardianB, body: { studentId: child.id } }))
        .status,
    ).toBe(403);
    expect(
      (await t.call('POST', '/api/v1/share-links', { token: w.tokens.managerA, body: { studentId: child.id } })).status,
    ).toBe(403);
    expect(
      (
        await t.call('POST', '/api/v1/share-links', {
          token: w.tokens.guardianA1,
          body: { studentId: child.id, expiresInHours: 7 * 24 + 1 },
        })
      ).status,
    ).toBe(400);
    const made = await t.call('POST', '/api/v1/share-links', {
      token: w.tokens.guardianA1,
      body: { studentId: child.id, label: 'Grandma' },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ studentId: child.id, label: 'Grandma', status: 'active', revokedAt: null });
    expect(made.body.path).toBe(`/share/${made.body.secret}`);
    expect(Date.parse(made.body.expiresAt) - DAY0_MS).toBe(24 * 3600_000);
    // only a hash is stored
    const stored = await t.database.query<Record<string, unknown>>('select * from share_links where id = $1', [
      made.body.id,
    ]);
    expect(JSON.stringify(stored)).not.toContain(made.body.secret);
    expect(stored[0]!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    // lists: the owner sees it, another family does not, and cannot revoke it
    expect((await t.call('GET', '/api/v1/share-links', { token: w.tokens.guardianA1 })).body.items).toHaveLength(1);
    expect((await t.call('GET', '/api/v1/share-links', { token: w.tokens.guardianB })).body.items).toEqual([]);
    expect((await t.call('GET', '/api/v1/share-links', { token: w.tokens.managerA })).status).toBe(403);
    expect((await t.call('DELETE', `/api/v1/share-links/${made.body.id}`, { token: w.tokens.guardianB })).status).toBe(
      403,
    );
    expect((await t.call('DELETE', `/api/v1/share-links/${made.body.id}`, { token: w.tokens.guardianA2 })).status).toBe(
      403,
    );
  });

  it('shows the bus, the stop and the ETA with the given name only, then 410 after revoke', async () => {
    const child = w.a.students[0];
    const made = (
      await t.call('POST', '/api/v1/share-links', { token: w.tokens.guardianA1, body: { studentId: child.id } })
    ).body;
    const view = await t.call('GET', `/api/v1/shared/${made.secret}`, { token: null });
    expect(view.status).toBe(200);
    const trip = w.a.trips[0];
    const stop = w.a.routes[0].stops[0];
    expect(view.body).toMatchObject({
      childName: givenName(child.name),
      stop: { id: stop.id, name: stop.name },
      trip: { id: trip.id, busPlate: w.a.buses[0].plate, status: 'planned', etaSource: 'timetable' },
    });
    expect(view.body.childName).not.toBe(child.name);
    expect(typeof view.body.trip.etaMs).toBe('number');
    // nothing else: no notices, no other children, no guardian
    const text = JSON.stringify(view.body);
    for (const other of [...w.a.students.slice(1), ...w.b.students]) expect(text).not.toContain(other.name);
    expect(text).not.toContain('Parent');
    const page = await t.app.request(`/share/${made.secret}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(w.a.buses[0].plate);
    expect(html).toContain(stop.name);
    expect(html).not.toContain(child.name);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);

    expect((await t.call('DELETE', `/api/v1/share-links/${made.id}`, { token: w.tokens.guardianA1 })).status).toBe(204);
    const gone = await t.call('GET', `/api/v1/shared/${made.secret}`, { token: null });
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('gone');
    expect((await t.app.request(`/share/${made.secret}`)).status).toBe(410);
    const listed = (await t.call('GET', '/api/v1/share-links', { token: w.tokens.guardianA1 })).body.items;
    expect(listed.find((l: { id: number }) => l.id === made.id).status).toBe('revoked');
  });

  it('answers 410 once expired, 404 for an unknown secret', async () => {
    const made = (
      await t.call('POST', '/api/v1/share-links', {
        token: w.tokens.guardianA2,
        body: { studentId: w.a.students[1].id, expiresInHours: 1 },
      })
    ).body;
    expect((await t.call('GET', `/api/v1/shared/${made.secret}`, { token: null })).status).toBe(200);
    t.clock.nowMs += 3600_000;
    expect((await t.call('GET', `/api/v1/shared/${made.secret}`, { token: null })).status).toBe(410);
    expect((await t.app.request(`/share/${made.secret}`)).status).toBe(410);
    expect((await t.call('GET', '/api/v1/shared/bgs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { token: null })).status).toBe(
      404,
    );
    expect((await t.app.request('/share/nonsense')).status).toBe(404);
    t.clock.nowMs -= 3600_000;
  });

  it('keeps the given name only', () => {
    expect(givenName('王小红')).toBe('小红');
    expect(givenName('Anna Smith')).toBe('Anna');
    expect(givenName('  Child A1 ')).toBe('Child');
    expect(givenName('Lily')).toBe('Lily');
  });
});
