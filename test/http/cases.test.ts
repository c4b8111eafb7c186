// The closed loop: every legal and illegal transition, owner/due/overdue, exemptions, and the append-only trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseStatuses } from '../../src/store/schema';
import { caseTransitions } from '../../src/core/case-workflow';
import { createTestApp, type TestApp } from '../helpers/app';
import { insertViolations } from '../helpers/violations';
import { buildWorld, type World } from '../helpers/world';

let t: TestApp;
let w: World;
let seq = 0;
let managerAId: number;
let managerBId: number;

beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  managerAId = (await t.call('GET', '/api/v1/me', { token: w.tokens.managerA })).body.userId;
  managerBId = (await t.call('GET', '/api/v1/me', { token: w.tokens.managerB })).body.userId;
});
afterAll(() => t.close());

async function violation(
  opts: {
    status?: (typeof caseStatuses)[number];
    kind?: string;
    severity?: 'critical' | 'major' | 'minor';
    school?: 'a' | 'b';
  } = {},
): Promise<number> {
  const key = `case-${++seq}`;
  const school = w[opts.school ?? 'a'];
  const ids = await insertViolations(t.database, [
    {
      episodeKey: key,
      kind: opts.kind ?? 'overspeed',
      severity: opts.severity ?? 'major',
      status: opts.status ?? 'open',
      schoolId: school.schoolId,
      busId: school.buses[0].id,
      startedAt: '2026-08-31T23:00:00Z',
    },
  ]);
  return ids.get(key)!;
}

const move = (id: number, body: Record<string, unknown>, token = w.tokens.managerA) =>
  t.call('POST', `/api/v1/violations/${id}/transitions`, { token, body });

describe('transitions', () => {
  it('allows exactly the legal moves and answers 409 to every other one', async () => {
    for (const from of caseStatuses) {
      for (const to of caseStatuses) {
        const id = await violation({ status: from });
        const r = await move(id, to === 'dismissed' ? { to, reason: 'duplicate of another case' } : { to });
        const legal = caseTransitions[from].includes(to);
        expect(r.status, `${from} → ${to}: ${JSON.stringify(r.body)}`).toBe(legal ? 200 : 409);
        const trail = (await t.call('GET', `/api/v1/violations/${id}/actions`, { token: w.tokens.managerA })).body
          .items;
        if (legal) {
          expect(r.body.status).toBe(to);
          expect(trail).toHaveLength(1);
          expect(trail[0]).toMatchObject({
            action: 'transition',
            fromStatus: from,
            toStatus: to,
            actorUserId: managerAId,
            actorName: 'Manager A',
          });
        } else {
          expect(r.body.error.code).toBe('conflict');
          expect(trail).toHaveLength(0);
        }
      }
    }
  });

  it('walks the whole loop with owner, due date and notes, all in the trail in order', async () => {
    const id = await violation({ severity: 'critical' });
    t.clock.nowMs = Date.UTC(2026, 8, 1, 1, 0, 0);
    const ack = await move(id, { to: 'acknowledged', note: 'calling the operator' });
    expect(ack.status).toBe(200);
    // Acknowledging takes ownership and sets the default due date (1 day for critical).
    expect(ack.body.ownerUserId).toBe(managerAId);
    expect(ack.body.dueAt).toBe(new Date(t.clock.nowMs + 86_400_000).toISOString());
    t.clock.nowMs += 60_000;
    const due = '2026-09-03T00:00:00.000Z';
    const assign = await t.call('PATCH', `/api/v1/violations/${id}/case`, {
      token: w.tokens.managerA,
      body: { dueAt: due, note: 'operator needs two days' },
    });
    expect(assign.status).toBe(200);
    expect(assign.body.dueAt).toBe(due);
    t.clock.nowMs += 60_000;
    expect(
      (
        await t.call('POST', `/api/v1/violations/${id}/notes`, {
          token: w.tokens.managerA,
          body: { note: 'driver retrained' },
        })
      ).status,
    ).toBe(201);
    t.clock.nowMs += 60_000;
    expect((await move(id, { to: 'rectifying' })).status).toBe(200);
    t.clock.nowMs += 60_000;
    const closed = await move(id, { to: 'closed', note: 'verified on next trip' });
    expect(closed.body.status).toBe('closed');
    expect(closed.body.actions.map((a: any) => [a.action, a.fromStatus, a.toStatus])).toEqual([
      ['transition', 'open', 'acknowledged'],
      ['assign', 'acknowledged', 'acknowledged'],
      ['note', 'acknowledged', 'acknowledged'],
      ['transition', 'acknowledged', 'rectifying'],
      ['transition', 'rectifying', 'closed'],
    ]);
    expect(closed.body.actions[0].note).toContain('calling the operator');
    expect(closed.body.actions[1].note).toContain(
      `due: ${new Date(Date.UTC(2026, 8, 2, 1, 0, 0)).toISOString()} → ${due}`,
    );
    const times = closed.body.actions.map((a: any) => Date.parse(a.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // A closed case keeps its owner and due date.
    expect(
      (
        await t.call('PATCH', `/api/v1/violations/${id}/case`, {
          token: w.tokens.managerA,
          body: { ownerUserId: null },
        })
      ).status,
    ).toBe(409);
  });

  it('flags a case overdue once its due date passes while it is active, and not once closed', async () => {
    t.clock.nowMs = Date.UTC(2026, 8, 1, 0, 0, 0);
    const id = await violation({ severity: 'minor' });
    await move(id, { to: 'acknowledged', dueAt: '2026-09-02T00:00:00Z' });
    const get = () => t.call('GET', `/api/v1/violations/${id}`, { token: w.tokens.managerA });
    expect((await get()).body.overdue).toBe(false);
    t.clock.nowMs = Date.UTC(2026, 8, 2, 0, 0, 1);
    expect((await get()).body.overdue).toBe(true);
    const list = await t.call('GET', `/api/v1/violations?overdue=true&limit=500`, { token: w.tokens.managerA });
    expect(list.body.items.map((i: any) => i.id)).toContain(id);
    await move(id, { to: 'rectifying' });
    await move(id, { to: 'closed' });
    expect((await get()).body.overdue).toBe(false);
  });

  it('dismisses with a reason; route deviations may carry an exemption reason', async () => {
    const plain = await violation();
    const noReason = await move(plain, { to: 'dismissed' });
    expect(noReason.status).toBe(400);
    expect((await move(plain, { to: 'dismissed', exemptionReason: 'roadworks' })).status).toBe(400); // not a route deviation
    const dev = await violation({ kind: 'routeDeviation' });
    const r = await move(dev, { to: 'dismissed', exemptionReason: 'roadworks', reason: 'Jiefang Rd closed' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'dismissed',
      exemptionReason: 'roadworks',
      resolutionReason: 'Jiefang Rd closed',
    });
    expect(r.body.actions[0].note).toContain('exemption: roadworks');
    const bad = await move(await violation({ kind: 'routeDeviation' }), { to: 'dismissed', exemptionReason: 'aliens' });
    expect(bad.status).toBe(400);
  });

  it('accepts only an admin or a manager of the school as owner', async () => {
    const id = await violation();
    expect(
      (
        await t.call('PATCH', `/api/v1/violations/${id}/case`, {
          token: w.tokens.managerA,
          body: { ownerUserId: managerBId },
        })
      ).status,
    ).toBe(400);
    const ok = await t.call('PATCH', `/api/v1/violations/${id}/case`, {
      token: w.tokens.managerA,
      body: { ownerUserId: managerAId, dueAt: '2026-09-10T00:00:00+08:00' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.ownerUserId).toBe(managerAId);
    expect(
      (await t.call('PATCH', `/api/v1/violations/${id}/case`, { token: w.tokens.managerA, body: {} })).status,
    ).toBe(400);
  });

  it('lets only one of two simultaneous identical moves through', async () => {
    const id = await violation();
    const [r1, r2] = await Promise.all([move(id, { to: 'acknowledged' }), move(id, { to: 'acknowledged' })]);
    expect([r1.status, r2.status].sort()).toEqual([200, 409]);
    const trail = (await t.call('GET', `/api/v1/violations/${id}/actions`, { token: w.tokens.managerA })).body.items;
    expect(trail).toHaveLength(1);
  });
});

describe('audit trail is append-only', () => {
  it('offers no way to edit or delete an action through the API', async () => {
    const id = await violation();
    const note = await t.call('POST', `/api/v1/violations/${id}/notes`, {
      token: w.tokens.managerA,
      body: { note: 'first' },
    });
    for (const method of ['PATCH', 'PUT', 'DELETE']) {
      const r = await t.call(method, `/api/v1/violations/${id}/actions/${note.body.id}`, {
        body: { note: 'rewritten' },
      });
      expect(r.status, method).toBe(404);
      expect(
        (await t.call(method, `/api/v1/violations/${id}/actions`, { body: { note: 'rewritten' } })).status,
        method,
      ).toBe(404);
    }
    const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
    const actionPaths = Object.entries(doc.paths).filter(([p]) => p.includes('/actions'));
    expect(actionPaths.flatMap(([, ops]) => Object.keys(ops as object))).toEqual(['get']);
  });

  it('refuses a raw UPDATE, DELETE or TRUNCATE of case_actions in the database', async () => {
    const id = await violation();
    await t.call('POST', `/api/v1/violations/${id}/notes`, { token: w.tokens.managerA, body: { note: 'keep me' } });
    await expect(
      t.database.query(`update case_actions set note = 'changed' where violation_id = $1`, [id]),
    ).rejects.toThrow(/append-only/);
    await expect(t.database.query(`delete from case_actions where violation_id = $1`, [id])).rejects.toThrow(
      /append-only/,
    );
    await expect(t.database.query(`truncate case_actions`)).rejects.toThrow(/append-only/);
    // Nor can the trail go away with its violation.
    await expect(t.database.query(`delete from violations where id = $1`, [id])).rejects.toThrow(/append-only/);
    const rows = await t.database.query<{ note: string }>('select note from case_actions where violation_id = $1', [
      id,
    ]);
    expect(rows.map((r) => r.note)).toEqual(['keep me']);
  });
});

describe('scope', () => {
  it('a manager of school A gets 403 on school B’s cases; other roles get 403 on all', async () => {
    const b = await violation({ school: 'b' });
    const a = await violation();
    const calls = (id: number) =>
      [
        ['POST', `/api/v1/violations/${id}/transitions`, { to: 'acknowledged' }],
        ['PATCH', `/api/v1/violations/${id}/case`, { dueAt: '2026-09-10T00:00:00Z' }],
        ['POST', `/api/v1/violations/${id}/notes`, { note: 'x' }],
        ['GET', `/api/v1/violations/${id}/actions`, undefined],
      ] as const;
    for (const [method, path, body] of calls(b))
      expect((await t.call(method, path, { token: w.tokens.managerA, body })).status, `${method} ${path}`).toBe(403);
    for (const token of [w.tokens.guardianA1, w.tokens.attendantA1, w.tokens.deviceA1])
      for (const [method, path, body] of calls(a))
        expect((await t.call(method, path, { token, body })).status, `${method} ${path}`).toBe(403);
    const trail = await t.database.query('select * from case_actions where violation_id in ($1, $2)', [a, b]);
    expect(trail).toHaveLength(0);
  });
});
