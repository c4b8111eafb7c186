// OsmAnd devices prove themselves: a device with a secret must send it (`password`, or `key`) on every report,
// on both ports; a device without one gets an unguessable id from the registry. While storage is down the
// OsmAnd port answers like /osmand: 503 with Retry-After and the error envelope (issue 18 items 7 and 8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecurityServers, startSecurityServers } from './helpers';

const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);
let s: SecurityServers;
const SECRET = 'right-secret-123';
const IDENT = 'phone-with-secret';
let deviceId: number;

beforeAll(async () => {
  s = await startSecurityServers(T0);
  const d = await s.world.t.call('POST', '/api/v1/devices', {
    body: {
      schoolId: s.world.w.a.schoolId,
      busId: s.world.w.a.buses[1].id,
      protocol: 'osmand',
      identifier: IDENT,
      secret: SECRET,
    },
  });
  expect(d.status, JSON.stringify(d.body)).toBe(201);
  deviceId = d.body.id;
}, 60_000);
afterAll(() => s?.close());

const ts = (sec: number) => Math.floor((T0 - 600_000) / 1000) + sec;
const report = (port: number, base: string, params: Record<string, string>) =>
  fetch(`http://127.0.0.1:${port}${base}?${new URLSearchParams({ lat: '31.2', lon: '121.45', ...params })}`, {
    method: 'POST',
  });
const bothPorts = () =>
  [
    [s.osmandPort, '/'],
    [s.mainPort, '/osmand/'],
  ] as const;

describe('OsmAnd device secret', () => {
  it('refuses a missing or wrong password with 401 on both ports, and stores nothing', async () => {
    for (const [port, base] of bothPorts()) {
      for (const extra of [
        {},
        { password: 'wrong' },
        { key: 'wrong' },
        { password: `${SECRET}x` },
        { password: '' },
      ] as Record<string, string>[]) {
        const r = await report(port, base, { id: IDENT, timestamp: String(ts(1)), ...extra });
        expect(r.status, `${base} ${JSON.stringify(extra)}`).toBe(401);
        expect(((await r.json()) as any).error.code).toBe('unauthorized');
      }
    }
    const rows = await s.world.t.database.query('select 1 from positions where device_id = $1', [deviceId]);
    expect(rows).toHaveLength(0);
  });

  it('accepts the right password (password or key, query or form body) and never stores it', async () => {
    let k = 10;
    for (const [port, base] of bothPorts()) {
      expect((await report(port, base, { id: IDENT, timestamp: String(ts(k++)), password: SECRET })).status).toBe(200);
      expect((await report(port, base, { id: IDENT, timestamp: String(ts(k++)), key: SECRET })).status).toBe(200);
      const form = await fetch(`http://127.0.0.1:${port}${base}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          id: IDENT,
          lat: '31.2',
          lon: '121.45',
          timestamp: String(ts(k++)),
          password: SECRET,
        }).toString(),
      });
      expect(form.status).toBe(200);
    }
    await expect
      .poll(
        async () => (await s.world.t.database.query('select 1 from positions where device_id = $1', [deviceId])).length,
      )
      .toBe(6);
    const leaked = await s.world.t.database.query(
      'select 1 from positions where device_id = $1 and attributes::text like $2',
      [deviceId, `%${SECRET}%`],
    );
    expect(leaked).toHaveLength(0);
  });
});

describe('registry-issued device ids', () => {
  it('issues an unguessable id to an OsmAnd or JSON device created without one', async () => {
    const ids: string[] = [];
    for (const protocol of ['osmand', 'osmand', 'json']) {
      const d = await s.world.t.call('POST', '/api/v1/devices', { body: { schoolId: s.world.w.a.schoolId, protocol } });
      expect(d.status, JSON.stringify(d.body)).toBe(201);
      expect(d.body.identifier).toMatch(/^[a-z2-9]{24}$/);
      ids.push(d.body.identifier);
    }
    expect(new Set(ids).size).toBe(3);
    // JT/T 808 terminals are still named by their phone number.
    const jt = await s.world.t.call('POST', '/api/v1/devices', {
      body: { schoolId: s.world.w.a.schoolId, protocol: 'jt808' },
    });
    expect(jt.status).toBe(400);
  });

  it('takes reports from a device with an issued id and no secret', async () => {
    const d = await s.world.t.call('POST', '/api/v1/devices', {
      body: { schoolId: s.world.w.b.schoolId, busId: s.world.w.b.buses[0].id, protocol: 'osmand' },
    });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const r = await report(s.osmandPort, '/', { id: d.body.identifier, timestamp: String(ts(100)) });
    expect(r.status).toBe(200);
  });
});

describe('storage down', () => {
  it('answers 503 with Retry-After and the envelope on the OsmAnd port, exactly like /osmand', async () => {
    s.world.faulty.down = true;
    try {
      for (const id of ['never-seen-device', IDENT]) {
        for (const [port, base] of bothPorts()) {
          const r = await report(port, base, { id, timestamp: String(ts(200)), password: SECRET });
          expect(r.status, `${base} ${id}`).toBe(503);
          expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(r.headers.get('content-type')).toMatch(/application\/json/);
          expect(((await r.json()) as any).error.code).toBe('unavailable');
        }
      }
    } finally {
      s.world.faulty.down = false;
    }
    expect((await report(s.osmandPort, '/', { id: IDENT, timestamp: String(ts(300)), password: SECRET })).status).toBe(
      200,
    );
  });
});
