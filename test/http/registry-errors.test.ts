import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/http/context';
import { errorResponse, requestIdMiddleware } from '../../src/http/middleware';
import { createLogger } from '../../src/logging';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(() => t.close());

const expectEnvelope = (body: any, code: string) => {
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.requestId).toBeTruthy();
};

describe('400', () => {
  it('malformed JSON', async () => {
    const r = await t.call('POST', '/api/v1/buses', { body: '{"plate": ' });
    expect(r.status).toBe(400);
    expectEnvelope(r.body, 'invalid_json');
  });
  it('field details for a bad body', async () => {
    const r = await t.call('POST', '/api/v1/buses', {
      body: { schoolId: 'x', plate: '', approvedCapacity: 500, extra: 1 },
    });
    expect(r.status).toBe(400);
    expectEnvelope(r.body, 'validation_failed');
    const paths = r.body.error.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['schoolId', 'plate', 'approvedCapacity']));
  });
  it('bad query and path parameters', async () => {
    expect((await t.call('GET', '/api/v1/buses?limit=0')).status).toBe(400);
    expect((await t.call('GET', '/api/v1/buses/abc')).status).toBe(400);
  });
  it('a route path with one point', async () => {
    const r = await t.call('POST', '/api/v1/routes', {
      body: { schoolId: w.a.schoolId, name: 'x', path: { type: 'LineString', coordinates: [[121, 31]] } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('path.coordinates');
  });
  it('a manager-less user', async () => {
    const r = await t.call('POST', '/api/v1/users', { body: { name: 'M', role: 'manager' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('schoolIds');
  });
});

describe('401', () => {
  it('no token, unknown token, revoked token', async () => {
    const none = await t.call('GET', '/api/v1/buses', { token: null });
    expect(none.status).toBe(401);
    expectEnvelope(none.body, 'unauthorized');
    expect((await t.call('GET', '/api/v1/buses', { token: 'bg_nope' })).status).toBe(401);

    const user = await ok(
      t.call('POST', '/api/v1/users', { body: { name: 'Temp', role: 'guardian', guardianId: w.a.guardians[0].id } }),
    );
    const tok = await ok(t.call('POST', `/api/v1/users/${user.id}/tokens`, { body: {} }));
    expect((await t.call('GET', '/api/v1/me', { token: tok.token })).body).toMatchObject({
      role: 'guardian',
      guardianId: w.a.guardians[0].id,
    });
    expect((await t.call('DELETE', `/api/v1/tokens/${tok.id}`)).status).toBe(204);
    expect((await t.call('GET', '/api/v1/me', { token: tok.token })).status).toBe(401);
  });
  it('an expired token', async () => {
    const user = await ok(
      t.call('POST', '/api/v1/users', { body: { name: 'Temp2', role: 'guardian', guardianId: w.a.guardians[0].id } }),
    );
    const expiresAt = new Date(t.clock.nowMs + 60_000).toISOString();
    const tok = await ok(t.call('POST', `/api/v1/users/${user.id}/tokens`, { body: { expiresAt } }));
    expect((await t.call('GET', '/api/v1/me', { token: tok.token })).status).toBe(200);
    t.clock.nowMs += 120_000;
    expect((await t.call('GET', '/api/v1/me', { token: tok.token })).status).toBe(401);
  });
  it('tokens are stored hashed', async () => {
    const rows = await t.database.query<{ token_hash: string }>('select token_hash from api_tokens');
    for (const r of rows) expect(r.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.some((r) => r.token_hash.includes('test-admin'))).toBe(false);
  });
});

describe('404 and unknown routes', () => {
  it('unknown id and unknown path both use the envelope', async () => {
    const r = await t.call('GET', '/api/v1/buses/99999');
    expect(r.status).toBe(404);
    expectEnvelope(r.body, 'not_found');
    const p = await t.call('GET', '/api/v1/nothing-here');
    expect(p.status).toBe(404);
    expectEnvelope(p.body, 'not_found');
  });
});

describe('500', () => {
  it('never leaks internals, and logs them', async () => {
    const lines: string[] = [];
    const app = new Hono<AppEnv>();
    app.use('*', requestIdMiddleware());
    app.onError(
      errorResponse({ database: t.database, log: createLogger({ write: (l) => lines.push(l) }), now: () => 0 }),
    );
    app.get('/boom', () => {
      throw new Error('secret connection string postgres://u:p@db');
    });
    const res = await app.request('/boom');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(500);
    expect(body.error).toMatchObject({ code: 'internal', message: 'Internal error' });
    expect(JSON.stringify(body)).not.toContain('postgres://');
    expect(lines.join('\n')).toContain('secret connection string');
  });
});

describe('service endpoints', () => {
  it('healthz, readyz and the OpenAPI document', async () => {
    expect((await t.call('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    expect((await t.call('GET', '/readyz', { token: null })).body.status).toBe('ready');
    const doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/buses', '/api/v1/buses/{id}', '/api/v1/routes/import/gtfs', '/api/v1/users/{id}/tokens'])
      expect(doc.paths[p], p).toBeDefined();
    expect(
      doc.paths['/api/v1/buses'].post.requestBody.content['application/json'].schema.properties.approvedCapacity,
    ).toMatchObject({ type: 'integer' });
  });
  it('echoes a request id', async () => {
    const r = await t.call('GET', '/api/v1/buses/99999', { headers: { 'x-request-id': 'trace-42' } });
    expect(r.headers.get('x-request-id')).toBe('trace-42');
    expect(r.body.error.requestId).toBe('trace-42');
  });
});
