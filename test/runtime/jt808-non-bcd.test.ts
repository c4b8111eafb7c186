// End to end over real TCP: a terminal whose phone field is not BCD registers, authenticates and has its 0x0200
// and 0x0704 positions stored, keyed by the field's hex digits; every reply echoes the field's bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jt808FrameSplitter, unescapeJt808 } from '../../src/ingest/jt808';
import { silentLogger, type Logger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import {
  encodeBatchBody,
  encodePositionBody,
  Jt808TerminalClient,
  type TerminalPosition,
} from '../../src/demo/jt808-terminal';
import { createTestApp, type TestApp } from '../helpers/app';
import { ok } from './jt808-helpers';

let t: TestApp;
let ingest: PipelineIngest;
let server: Jt808Server;
const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
const clients: Jt808TerminalClient[] = [];
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const drive = (i: number): TerminalPosition => ({
  timeMs: T0 + i * 1000,
  lat: 31.2,
  lon: 121.4 + i * 0.0001,
  speedKph: 36,
  headingDeg: 90,
});

beforeAll(async () => {
  t = await createTestApp(Date.now());
  ingest = createIngest({ database: t.database, log: silentLogger, writer: { maxDelayMs: 2 } });
  const log: Logger = { ...silentLogger, warn: (msg, fields) => warnings.push({ msg, fields }) };
  server = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.close();
  await ingest?.close();
  await t?.close();
});

/** Every platform frame's phone field, as received on the socket. */
function recordPhoneFields(c: Jt808TerminalClient): string[] {
  const seen: string[] = [];
  const splitter = new Jt808FrameSplitter();
  c.socket.on('data', (chunk: Buffer) => {
    for (const f of splitter.push(chunk)) {
      const u = unescapeJt808(f, 1, f.length - 1);
      if (!u.ok) continue;
      const is2019 = (u.content[2]! & 0x40) !== 0;
      seen.push(Buffer.from(u.content.subarray(is2019 ? 5 : 4, is2019 ? 15 : 10)).toString('hex'));
    }
  });
  return seen;
}

describe('JT/T 808 terminal with a non-BCD phone field', () => {
  it('registers, authenticates, and its 0x0200 and 0x0704 positions are stored; replies echo the field', async () => {
    const school = await ok(t.call('POST', '/api/v1/schools', { body: { name: 'Hex School', lat: 31.2, lon: 121.4 } }));
    const bus = await ok(
      t.call('POST', '/api/v1/buses', { body: { schoolId: school.id, plate: '沪H·00001', approvedCapacity: 40 } }),
    );
    // The registry takes the field as the server logs it (12 hex digits); it is stored canonical.
    const dev = await ok(
      t.call('POST', '/api/v1/devices', {
        body: { schoolId: school.id, busId: bus.id, protocol: 'jt808', identifier: '086A123BCDEF' },
      }),
    );
    expect(dev.identifier).toBe('86a123bcdef');

    const c = await Jt808TerminalClient.connect(server.port, '086a123bcdef');
    clients.push(c);
    const fields = recordPhoneFields(c);
    const reg = await c.register({ plate: '沪H·00001' });
    expect(reg.result).toBe(0);
    expect((await c.authenticate(reg.authCode!)).result).toBe(0);
    expect((await c.position(drive(0))).result).toBe(0);
    const batch = await c.request(
      0x0704,
      encodeBatchBody([encodePositionBody(drive(1)), encodePositionBody(drive(2))], true),
    );
    expect(batch.result).toBe(0);
    expect(fields.length).toBe(4);
    expect(new Set(fields)).toEqual(new Set(['086a123bcdef']));

    // The same terminal with a 2019 header (10-byte field) is the same device.
    const c19 = await Jt808TerminalClient.connect(server.port, '0000000000086a123bcdef'.slice(-20), { version: 2019 });
    clients.push(c19);
    const fields19 = recordPhoneFields(c19);
    expect((await c19.authenticate(reg.authCode!)).result).toBe(0);
    expect((await c19.position(drive(3))).result).toBe(0);
    expect(new Set(fields19)).toEqual(new Set(['00000000086a123bcdef']));

    const rows = await t.database.query<{ n: number; blind: number }>(
      'select count(*)::int as n, count(*) filter (where blind_area)::int as blind from positions where device_id = $1',
      [dev.id],
    );
    expect([Number(rows[0]!.n), Number(rows[0]!.blind)]).toEqual([4, 2]);
    // Warned once for the terminal, however many frames and connections.
    const notBcd = warnings.filter((w) => /not BCD/.test(w.msg));
    expect(notBcd).toHaveLength(1);
    expect(notBcd[0]!.fields).toMatchObject({ deviceId: '86a123bcdef', phoneField: '086a123bcdef' });
  });
});
