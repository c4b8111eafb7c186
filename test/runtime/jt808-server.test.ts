// The JT/T 808 TCP server end to end: real sockets on 127.0.0.1, the real ingest pipeline, a real database
// (PGlite in process, or PostgreSQL with TEST_DB_KIND=postgres). Storage outages are injected with the
// test fault wrapper over the real database (raw queries fail while `down`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJt808Session,
  decodeAuth0102,
  encodeJt808Frame,
  encodePendingAck,
  handleJt808Frame,
  Jt808FrameSplitter,
  normalizeJt808Phone,
  parseJt808Packet,
  plainAuthCodeTerminal,
} from '../../src/ingest/jt808';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import {
  decodePlatformReply,
  encodeAuthBody,
  encodePositionBody,
  Jt808TerminalClient,
  type TerminalPosition,
} from '../../src/demo/jt808-terminal';
import { createTestApp, type TestApp } from '../helpers/app';
import { withFaults, type FaultyDatabase } from '../helpers/faults';
import { loadFrameRows, loadVectors } from '../ingest/jt808/fixture-files';
import { hexBytes } from '../ingest/jt808/helpers';
import { corruptChecksum, createRegistry, sleep, summary, until, type Registry } from './jt808-helpers';

let t: TestApp;
let faulty: FaultyDatabase;
let ingest: PipelineIngest;
let registry: Registry;
const servers: Jt808Server[] = [];
const clients: Jt808TerminalClient[] = [];
// Device times an hour ago, whole seconds (the filters refuse times in the future).
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

beforeAll(async () => {
  t = await createTestApp();
  faulty = withFaults(t.database);
  ingest = createIngest({ database: faulty, log: silentLogger, writer: { maxDelayMs: 2 } });
  registry = await createRegistry(t);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const s of servers) await s.close();
  await ingest.close();
  await t.close();
});

async function server(limits: Parameters<typeof startJt808Server>[0]['limits'] = {}): Promise<Jt808Server> {
  const s = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger, limits });
  servers.push(s);
  return s;
}

async function connect(s: Jt808Server, phone: string, version: 2013 | 2019 = 2013): Promise<Jt808TerminalClient> {
  const c = await Jt808TerminalClient.connect(s.port, phone, { version });
  clients.push(c);
  return c;
}

/** A bus driving east at ~36 km/h: one fix per second, 10 m apart. */
const drive = (i: number, base = T0): TerminalPosition => ({
  timeMs: base + i * 1000,
  lat: 31.2,
  lon: 121.4 + i * 0.0001045,
  speedKph: 36,
  headingDeg: 90,
});

const storedTimes = async (deviceId: number) =>
  (
    await t.database.query<{ ms: number }>(
      'select (extract(epoch from time) * 1000)::float8 as ms from positions where device_id = $1 order by time',
      [deviceId],
    )
  ).map((r) => Number(r.ms));

describe('JT/T 808 server: registration, authentication, positions', () => {
  it('register → 0x8100 with a fresh code (stored hashed) → auth → positions acked after commit and stored', async () => {
    const s = await server();
    const dev = await registry.addTerminal('13900000001', undefined);
    const c = await connect(s, '13900000001');
    const reg = await c.register({ plate: dev.plate! });
    expect(reg).toMatchObject({ msgId: 0x8100, result: 0 });
    expect(reg.authCode).toMatch(/^[A-Z2-9]{16}$/);
    const [row] = await t.database.query<{ secret_hash: string }>('select secret_hash from devices where id = $1', [
      dev.deviceId,
    ]);
    const { createHash } = await import('node:crypto');
    expect(row!.secret_hash).toBe(createHash('sha256').update(reg.authCode!).digest('hex'));
    expect((await c.authenticate('INITIAL-CODE')).result).toBe(1); // replaced by the new code
    expect((await c.authenticate(reg.authCode!)).result).toBe(0);
    for (let i = 0; i < 5; i++) expect((await c.position(drive(i))).result).toBe(0);
    // Acknowledged means committed: the rows are there when the ack arrives.
    expect(await storedTimes(dev.deviceId)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
    expect((await c.heartbeat()).result).toBe(0);
    await c.close();

    // A new connection authenticates with the issued code (no stale registry cache).
    const again = await connect(s, '13900000001');
    expect((await again.authenticate(reg.authCode!)).result).toBe(0);
    expect((await again.position(drive(5))).result).toBe(0);
    expect(await storedTimes(dev.deviceId)).toHaveLength(6);
    expect(s.stats()).toMatchObject({ registrations: 1, authentications: 2 });
  });

  it('2019 headers: register, authenticate with IMEI and version, report', async () => {
    const s = await server();
    const dev = await registry.addTerminal('13900000019', undefined);
    const c = await connect(s, '13900000019', 2019);
    const reg = await c.register({ plate: dev.plate! });
    expect(reg.result).toBe(0);
    expect((await c.authenticate(reg.authCode!)).result).toBe(0);
    expect((await c.position(drive(0, T0 + 100_000))).result).toBe(0);
    expect(await storedTimes(dev.deviceId)).toEqual([T0 + 100_000]);
  });

  it('unknown terminals get 0x8100 result 4 and are counted', async () => {
    const s = await server();
    const c = await connect(s, '13999999999');
    expect((await c.register()).result).toBe(4);
    expect((await c.authenticate('ANY')).result).toBe(1);
    expect(s.stats().unknownTerminals).toBe(1);
    expect(ingest.metrics.render()).toMatch(/reason="unknown_terminal"/);
  });

  it('refuses positions before authentication (result 1, nothing stored)', async () => {
    const s = await server();
    const dev = await registry.addTerminal('13900000002', 'CODE-2');
    const c = await connect(s, '13900000002');
    expect((await c.position(drive(0))).result).toBe(1);
    expect((await c.authenticate('WRONG')).result).toBe(1);
    expect((await c.position(drive(1))).result).toBe(1);
    expect(await storedTimes(dev.deviceId)).toEqual([]);
    expect((await c.authenticate('CODE-2')).result).toBe(0);
    expect((await c.position(drive(1))).result).toBe(0);
    expect(await storedTimes(dev.deviceId)).toEqual([T0 + 1000]);
  });

  it('a bad checksum is answered with result 2, counted, and the connection carries on', async () => {
    const s = await server();
    await registry.addTerminal('13900000003', 'CODE-3');
    const c = await connect(s, '13900000003');
    expect((await c.authenticate('CODE-3')).result).toBe(0);
    const f = c.frame(0x0200, encodePositionBody(drive(0)));
    corruptChecksum(f.wire);
    c.write(f.wire);
    const r = await c.waitFor((x) => x.replySerial === f.serial);
    expect(r).toMatchObject({ msgId: 0x8001, replyMsgId: 0x0200, result: 2 });
    expect(s.stats().badFrames).toBe(1);
    expect((await c.position(drive(1))).result).toBe(0);
  });

  it('pipelined reports are acknowledged in order, each after its commit', async () => {
    const s = await server();
    const dev = await registry.addTerminal('13900000004', 'CODE-4');
    const c = await connect(s, '13900000004');
    expect((await c.authenticate('CODE-4')).result).toBe(0);
    const serials: number[] = [];
    const burst: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const f = c.frame(0x0200, encodePositionBody(drive(i, T0 + 200_000)));
      serials.push(f.serial);
      burst.push(f.wire);
    }
    c.write(Buffer.concat(burst));
    await until(() => c.replies.length >= 200, 10_000, '200 acks');
    expect(c.replies.map((r) => r.replySerial)).toEqual(serials);
    expect(c.replies.every((r) => r.result === 0)).toBe(true);
    expect(await storedTimes(dev.deviceId)).toHaveLength(200);
  });
});

describe('JT/T 808 server: fixture frames over a real socket, split at every byte offset', () => {
  it('answers every fixture row and vector exactly like the session handler, wherever the stream is cut', async () => {
    const s = await server({ framesPerS: 1e9, burstFrames: 1e9, maxBadFrames: 1e9, maxGarbageBytes: 1e9 });
    const items: { name: string; bytes: Uint8Array }[] = [
      // (the "half packet" row has an odd number of hex digits: its last nibble is dropped)
      ...loadFrameRows().map((r) => ({
        name: `frames.tsv line ${r.line}`,
        bytes: hexBytes(r.wireHex.slice(0, r.wireHex.length & ~1)),
      })),
      ...loadVectors()
        .filter((v) => /^7E .* 7E$/i.test(v.hex))
        .map((v) => ({ name: `${v.id} ${v.label}`, bytes: hexBytes(v.hex) })),
    ];
    expect(items.length).toBeGreaterThan(40);
    const framesOf = (bytes: Uint8Array) => new Jt808FrameSplitter().push(bytes);
    const headerOf = (f: Uint8Array) => {
      const p = parseJt808Packet(f, { verifyChecksum: false });
      return p.ok ? p.packet : undefined;
    };
    // Every phone in the fixtures is a registered terminal; its code is the one its 0x0102 frames present.
    const codes = new Map<string, string>();
    for (const it of items)
      for (const f of framesOf(it.bytes)) {
        const p = headerOf(f);
        if (!p) continue;
        const id = normalizeJt808Phone(p.header.phone);
        if (p.header.msgId === 0x0102 && !codes.has(id)) codes.set(id, decodeAuth0102(p.body).authCode);
      }
    for (const it of items)
      for (const f of framesOf(it.bytes)) {
        const p = headerOf(f);
        if (p && !codes.has(normalizeJt808Phone(p.header.phone)))
          codes.set(normalizeJt808Phone(p.header.phone), `CODE-${normalizeJt808Phone(p.header.phone)}`);
      }
    for (const [phone, code] of codes) await registry.addTerminal(phone, code);
    // (Registrations were run last when they replaced codes; they are refused now, the order stays.)
    const registers = (it: { bytes: Uint8Array }) =>
      framesOf(it.bytes).some((f) => headerOf(f)?.header.msgId === 0x0100);
    items.sort((a, b) => Number(registers(a)) - Number(registers(b)));

    const dataIds = new Set([0x0200, 0x0201, 0x0702, 0x0704, 0x1005]);
    let splits = 0;
    const seen = { positionAcks: 0, badFrames: 0, registrations: 0 };
    for (const it of items) {
      // Terminals authenticate before their data messages.
      const data = framesOf(it.bytes)
        .map(headerOf)
        .find((p) => p && dataIds.has(p.header.msgId));
      const first = headerOf(framesOf(it.bytes)[0] ?? new Uint8Array());
      let prefix: Uint8Array = new Uint8Array(0);
      if (data && first?.header.msgId !== 0x0102) {
        const id = normalizeJt808Phone(data.header.phone);
        prefix = encodeJt808Frame(
          { msgId: 0x0102, phone: data.header.phone, serial: 0xfff0, version: data.header.version },
          encodeAuthBody(codes.get(id)!, 2013),
        );
      }
      const n = it.bytes.length;
      const stream = Buffer.concat([prefix, ...Array.from({ length: Math.max(1, n - 1) }, () => it.bytes)]);

      // What the pure handler answers to this byte stream (registry = the codes table).
      let session = createJt808Session();
      const expected: string[] = [];
      for (const f of framesOf(stream)) {
        // Every fixture terminal holds a code and has no re-registration window: registrations get result 3.
        const terminal = (code: string) => ({
          ...plainAuthCodeTerminal(code),
          admitRegistration: () => ({ result: 3 as const, reason: 'already registered' }),
        });
        const res = handleJt808Frame(session, f, {
          nowMs: Date.now(),
          lookupTerminal: (id) => (codes.has(id) ? terminal(codes.get(id)!) : undefined),
        });
        session = res.session;
        for (const r of [...res.replies, ...res.pendingAcks.map((a) => encodePendingAck(a, 0))])
          expected.push(summary(decodePlatformReply(r)!));
      }

      const c = await connect(s, '0');
      let sent = s.stats().bytesIn;
      const send = async (b: Uint8Array) => {
        if (b.length === 0) return;
        c.write(b);
        sent += b.length;
        await until(() => s.stats().bytesIn >= sent, 5000, 'the server to read the chunk');
      };
      await send(prefix);
      for (let k = 1; k < Math.max(2, n); k++) {
        // One copy of the item, cut at offset k: the server reads the two parts separately.
        await send(it.bytes.subarray(0, k));
        await send(it.bytes.subarray(k));
        splits++;
      }
      await until(() => c.replies.length >= expected.length, 10_000, `${expected.length} replies for ${it.name}`);
      await sleep(5);
      expect(c.replies.map(summary), it.name).toEqual(expected);
      seen.positionAcks += expected.filter((e) => /\/(200|704) → 0$/.test(e)).length;
      seen.badFrames += expected.filter((e) => / → 2$/.test(e)).length;
      seen.registrations += expected.filter((e) => e.startsWith('8100') && e.endsWith('→ 3')).length;
      c.destroy();
    }
    expect(splits).toBeGreaterThan(3000);
    expect(seen.positionAcks).toBeGreaterThan(500);
    expect(seen.badFrames).toBeGreaterThan(1000);
    expect(seen.registrations).toBeGreaterThan(100);
  }, 60_000);
});

describe('JT/T 808 server: rate limit and storage outage', () => {
  it('rate-limits a flooding connection (result 1) while another connection still gets result 0 promptly', async () => {
    const s = await server({ framesPerS: 20, burstFrames: 20 });
    await registry.addTerminal('13900000005', 'CODE-5');
    const quiet = await registry.addTerminal('13900000006', 'CODE-6');
    const flood = await connect(s, '13900000005');
    const calm = await connect(s, '13900000006');
    expect((await flood.authenticate('CODE-5')).result).toBe(0);
    expect((await calm.authenticate('CODE-6')).result).toBe(0);
    const burst: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) burst.push(flood.frame(0x0200, encodePositionBody(drive(i, T0 + 400_000))).wire);
    flood.write(Buffer.concat(burst));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect((await calm.position(drive(i, T0 + 400_000))).result).toBe(0);
      latencies.push(performance.now() - started);
    }
    await until(() => flood.replies.length >= 400, 10_000, 'flood answers');
    const results = flood.replies.map((r) => r.result);
    const ok = results.filter((r) => r === 0).length;
    expect(ok).toBeGreaterThanOrEqual(19);
    expect(ok).toBeLessThan(40);
    expect(results.filter((r) => r === 1).length).toBe(400 - ok);
    expect(s.stats().rateLimitedFrames).toBe(400 - ok);
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect(await storedTimes(quiet.deviceId)).toHaveLength(5);
  });

  it('storage down → result 1; after recovery the resent positions are acked and stored once', async () => {
    const s = await server();
    const dev = await registry.addTerminal('13900000007', 'CODE-7');
    const c = await connect(s, '13900000007');
    expect((await c.authenticate('CODE-7')).result).toBe(0);
    expect((await c.position(drive(0, T0 + 800_000))).result).toBe(0);
    faulty.down = true;
    try {
      for (let i = 1; i <= 3; i++) expect((await c.position(drive(i, T0 + 800_000))).result).toBe(1);
    } finally {
      faulty.down = false;
    }
    expect(await storedTimes(dev.deviceId)).toEqual([T0 + 800_000]);
    // The terminal kept its data and resends it (twice, as a terminal that missed an ack would).
    for (let i = 1; i <= 3; i++) expect((await c.position(drive(i, T0 + 800_000))).result).toBe(0);
    for (let i = 1; i <= 3; i++) expect((await c.position(drive(i, T0 + 800_000))).result).toBe(0);
    expect(await storedTimes(dev.deviceId)).toEqual([0, 1, 2, 3].map((i) => T0 + 800_000 + i * 1000));
    expect(s.stats().fixesRefusedStorage).toBe(3);
  });

  it('a registration whose code cannot be stored is not answered; the retry succeeds', async () => {
    const s = await server();
    const dev = await registry.addTerminal('13900000008', undefined);
    const c = await connect(s, '13900000008');
    faulty.down = true;
    try {
      await expect(c.register({ plate: dev.plate! }, 300)).rejects.toThrow(/no reply/);
    } finally {
      faulty.down = false;
    }
    const reg = await c.register({ plate: dev.plate! });
    expect(reg.result).toBe(0);
    expect((await c.authenticate(reg.authCode!)).result).toBe(0);
  });
});
