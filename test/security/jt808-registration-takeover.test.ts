// Regression (issue 18, item 1): JT/T 808 registration needed no credential. Anyone who knew a registered
// terminal's phone number sent 0x0100, received a fresh auth code, and the real terminal's code stopped working.
// Now a terminal that holds a code gets 0x8100 result 3 unless a manager of its school opened a one-use
// re-registration window, and the plate must be the bus's. Real TCP sockets, the real ingest and database.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Jt808Server } from '../../src/runtime/node/jt808-server';
import { Jt808TerminalClient, type TerminalPosition } from '../../src/demo/jt808-terminal';
import type { TestApp } from '../helpers/app';
import { ok } from '../runtime/jt808-helpers';
import { type TwoSchools, twoSchools } from './two-schools';

let t: TestApp;
let server: Jt808Server;
const clients: Jt808TerminalClient[] = [];
let schoolA: number;
let managerA: string;
let managerB: string;
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const drive = (i: number): TerminalPosition => ({
  timeMs: T0 + i * 1000,
  lat: 31.2,
  lon: 121.4 + i * 0.0001,
  speedKph: 36,
  headingDeg: 90,
});
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A bus and a JT/T 808 terminal fitted to it, in `schoolId`, added by that school's manager (no auth code yet). */
async function terminal(schoolId: number, phone: string, plate: string, withBus = true) {
  const bus = withBus
    ? await ok(t.call('POST', '/api/v1/buses', { body: { schoolId, plate, approvedCapacity: 40 } }))
    : undefined;
  const dev = await ok(
    t.call('POST', '/api/v1/devices', { body: { schoolId, busId: bus?.id, protocol: 'jt808', identifier: phone } }),
  );
  return { deviceId: dev.id as number, plate };
}

async function connect(phone: string): Promise<Jt808TerminalClient> {
  const c = await Jt808TerminalClient.connect(server.port, phone);
  clients.push(c);
  return c;
}

const events = async (deviceId: number, tok: string | undefined = managerA) =>
  ok(t.call('GET', `/api/v1/devices/${deviceId}/events?type=register`, { token: tok }), 200);

let world: TwoSchools | undefined;
beforeAll(async () => {
  world = await twoSchools(); // the registry's clock and the server's agree (windows expire in real time)
  ({ t, server, schoolA, managerA, managerB } = world);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await world?.close();
});

describe('JT/T 808 registration cannot take over a registered terminal', () => {
  it('a second 0x0100 for a registered terminal gets result 3 (no code) and the original auth code still authenticates', async () => {
    const dev = await terminal(schoolA, '13800000101', '沪A·10001');
    const real = await connect('13800000101');
    const reg = await real.register({ plate: '沪A·10001' });
    expect(reg.result).toBe(0);
    const code = reg.authCode!;
    expect((await real.authenticate(code)).result).toBe(0);
    await real.close();

    // Someone who knows the phone number (and the plate) registers from another connection.
    const attacker = await connect('13800000101');
    const stolen = await attacker.register({ plate: '沪A·10001' });
    expect(stolen).toMatchObject({ msgId: 0x8100, result: 3 });
    expect(stolen.authCode).toBeUndefined();
    expect((await attacker.authenticate('GUESSED-CODE')).result).toBe(1);
    expect((await attacker.position(drive(0))).result).toBe(1); // nothing it sends is stored

    // The real terminal is unaffected.
    const again = await connect('013800000101');
    expect((await again.authenticate(code)).result).toBe(0);
    expect((await again.position(drive(1))).result).toBe(0);
    const [row] = await t.database.query<{ secret_hash: string }>('select secret_hash from devices where id = $1', [
      dev.deviceId,
    ]);
    expect(row!.secret_hash).toBe(sha256(code));
    const stored = await t.database.query<{ n: number }>(
      'select count(*)::int as n from positions where device_id = $1',
      [dev.deviceId],
    );
    expect(Number(stored[0]!.n)).toBe(1);

    // Both registrations are in the terminal's history for its school's managers, the refusal with its reason.
    const list = await events(dev.deviceId);
    const attempts = list.items.map((e: any) => e.payload.attributes);
    expect(attempts.map((a: any) => [a.outcome, a.result])).toEqual([
      ['refused', 3],
      ['accepted', 0],
    ]);
    expect(attempts[0].reason).toMatch(/already registered/);
    expect(JSON.stringify(list)).not.toContain(code);
  });

  it('a terminal provisioned with an auth code by a manager is "already registered" too', async () => {
    const bus = await ok(
      t.call('POST', '/api/v1/buses', { body: { schoolId: schoolA, plate: '沪A·10002', approvedCapacity: 40 } }),
    );
    await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId: schoolA, busId: bus.id, protocol: 'jt808', identifier: '13800000102', secret: 'PROVISIONED' },
      }),
    );
    const c = await connect('13800000102');
    expect((await c.register({ plate: '沪A·10002' })).result).toBe(3);
    expect((await c.authenticate('PROVISIONED')).result).toBe(0);
  });

  it('a manager-opened window allows exactly one re-registration, then closes; an expired window admits none', async () => {
    const dev = await terminal(schoolA, '13800000103', '沪A·10003');
    const c = await connect('13800000103');
    const first = (await c.register({ plate: '沪A·10003' })).authCode!;

    const opened = await ok(
      t.call('POST', `/api/v1/devices/${dev.deviceId}/reregistration`, { token: managerA, body: { validMinutes: 10 } }),
      200,
    );
    expect(new Date(opened.reregistrationUntil).getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    const second = await c.register({ plate: '沪A·10003' });
    expect(second.result).toBe(0);
    expect(second.authCode).not.toBe(first);
    // One use: the next registration is refused again.
    expect((await c.register({ plate: '沪A·10003' })).result).toBe(3);
    const fresh = await connect('13800000103');
    expect((await fresh.authenticate(first)).result).toBe(1);
    expect((await fresh.authenticate(second.authCode!)).result).toBe(0);
    const [row] = await t.database.query<{ until: unknown }>(
      'select reregistration_until as until from devices where id = $1',
      [dev.deviceId],
    );
    expect(row!.until).toBeNull();

    // A window that has expired admits nothing.
    await ok(
      t.call('POST', `/api/v1/devices/${dev.deviceId}/reregistration`, { token: managerA, body: { validMinutes: 1 } }),
      200,
    );
    await t.database.query("update devices set reregistration_until = now() - interval '1 second' where id = $1", [
      dev.deviceId,
    ]);
    expect((await c.register({ plate: '沪A·10003' })).result).toBe(3);
    // A closed window neither.
    await ok(t.call('POST', `/api/v1/devices/${dev.deviceId}/reregistration`, { token: managerA, body: {} }), 200);
    expect((await t.call('DELETE', `/api/v1/devices/${dev.deviceId}/reregistration`, { token: managerA })).status).toBe(
      204,
    );
    expect((await c.register({ plate: '沪A·10003' })).result).toBe(3);

    const all = await ok(t.call('GET', `/api/v1/devices/${dev.deviceId}/events`, { token: managerA }), 200);
    const windows = all.items.filter((e: any) => e.type === 'reregistration_window').map((e: any) => e.payload.action);
    expect(windows).toEqual(['closed', 'opened', 'opened', 'opened']);
    expect(all.items.filter((e: any) => e.type === 'register').map((e: any) => e.payload.attributes.result)).toEqual([
      3, 3, 3, 0, 0,
    ]);
  });

  it('the plate must be the bus the registry fits the terminal to (result 2 unknown vehicle, 1 another terminal’s vehicle)', async () => {
    const other = await terminal(schoolA, '13800000104', '沪A·10004');
    const dev = await terminal(schoolA, '13800000105', '沪A·10005');
    const c = await connect('13800000105');
    expect((await c.register({ plate: '沪Z99999' })).result).toBe(2);
    expect((await c.register({ plate: other.plate })).result).toBe(1);
    // Refusals use up nothing: the right plate (spaces and the middle dot do not matter) is then admitted.
    const okReg = await c.register({ plate: '沪A 10005' });
    expect(okReg.result).toBe(0);
    const reasons = (await events(dev.deviceId)).items.map((e: any) => [
      e.payload.attributes.result,
      e.payload.attributes.reason ?? null,
    ]);
    expect(reasons).toEqual([
      [0, null],
      [1, expect.stringMatching(/another terminal/)],
      [2, expect.stringMatching(/not this terminal's bus/)],
    ]);
    // A terminal fitted to no bus cannot register at all.
    await terminal(schoolA, '13800000106', 'unused', false);
    const loose = await connect('13800000106');
    expect((await loose.register({ plate: '沪A·10006' })).result).toBe(2);
  });

  it('only the managers of the device’s school (and admins) open windows and read its events', async () => {
    const dev = await terminal(schoolA, '13800000107', '沪A·10007');
    const c = await connect('13800000107');
    expect((await c.register({ plate: '沪A·10007' })).result).toBe(0);
    const foreign = await t.call('POST', `/api/v1/devices/${dev.deviceId}/reregistration`, {
      token: managerB,
      body: {},
    });
    expect(foreign.status).toBe(403);
    expect((await t.call('GET', `/api/v1/devices/${dev.deviceId}/events`, { token: managerB })).status).toBe(403);
    expect(
      (await t.call('POST', `/api/v1/devices/${dev.deviceId}/reregistration`, { token: null, body: {} })).status,
    ).toBe(401);
    // The refused attempt opened nothing: the terminal is still "already registered".
    expect((await c.register({ plate: '沪A·10007' })).result).toBe(3);
    expect((await t.call('POST', `/api/v1/devices/${dev.deviceId}/reregistration`, { body: {} })).status).toBe(200); // admin
    // Non-JT/T 808 devices have no registration to reopen.
    const phone = await ok(
      t.call('POST', '/api/v1/devices', { body: { schoolId: schoolA, protocol: 'osmand', identifier: 'sec-phone-1' } }),
    );
    expect(
      (await t.call('POST', `/api/v1/devices/${phone.id}/reregistration`, { token: managerA, body: {} })).status,
    ).toBe(400);
  });
});
