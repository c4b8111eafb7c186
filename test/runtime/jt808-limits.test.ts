// Connection-level protection of the JT/T 808 server (garbage, idle timeout, connection limits, back-pressure),
// over real sockets on 127.0.0.1. Storage is not the subject here: a small in-memory Ingest stands in for it.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { silentLogger } from '../../src/logging';
import type { DeviceInfo, Ingest } from '../../src/pipeline/types';
import {
  sha256Hex,
  startJt808Server,
  type Jt808Server,
  type Jt808ServerLimits,
} from '../../src/runtime/node/jt808-server';
import { encodePositionBody, Jt808TerminalClient } from '../../src/demo/jt808-terminal';
import { corruptChecksum, until } from './jt808-helpers';

const CODE = 'TEST-CODE';

function memoryIngest(opts: { commitDelayMs?: number } = {}) {
  const stored: Fix[] = [];
  const rejected: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const ingest: Ingest = {
    async lookupDevice(protocol, identifier) {
      const info: DeviceInfo = {
        deviceId: Number(identifier.slice(-6)),
        busId: 1,
        schoolId: 1,
        protocol,
        identifier,
        tzOffsetMin: 480,
        secretHash: sha256Hex(CODE),
      };
      return info;
    },
    async submitFixes(_device, fixes) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (opts.commitDelayMs) await new Promise((r) => setTimeout(r, opts.commitDelayMs));
      stored.push(...fixes);
      inFlight--;
      return { outcomes: fixes.map(() => ({ status: 'accepted' as const, late: false })) };
    },
    async submitEvents() {},
    async registrationFacts() {
      return { holdsAuthCode: true, windowOpen: false, busPlate: null, plateOfOtherRegisteredBus: false };
    },
    async completeRegistration() {
      return false;
    },
    countRejected(_p, reason, n = 1) {
      for (let i = 0; i < n; i++) rejected.push(reason);
    },
  };
  return { ingest, stored, rejected, maxInFlight: () => maxInFlight };
}

const servers: Jt808Server[] = [];
const sockets: { destroy(): void }[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function start(limits: Partial<Jt808ServerLimits>, ingest: Ingest = memoryIngest().ingest) {
  const s = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger, limits });
  servers.push(s);
  return s;
}

async function terminal(s: Jt808Server, phone = '13900000001') {
  const c = await Jt808TerminalClient.connect(s.port, phone);
  sockets.push(c);
  return c;
}

describe('JT/T 808 server limits', () => {
  it('closes a connection that sends only garbage', async () => {
    const s = await start({ maxGarbageBytes: 1024 });
    const c = await terminal(s);
    for (let i = 0; i < 4; i++) c.write(new Uint8Array(400).fill(0x41));
    await c.closedPromise;
    expect(s.stats()).toMatchObject({ closedGarbage: 1, connectionsOpen: 0 });
    expect(s.stats().garbageBytes).toBeGreaterThan(1024);
  });

  it('closes after too many unreadable frames in a row, answering each with result 2 first', async () => {
    const s = await start({ maxBadFrames: 5 });
    const c = await terminal(s);
    expect((await c.authenticate(CODE)).result).toBe(0);
    for (let i = 0; i < 10; i++) {
      const f = c.frame(0x0200, encodePositionBody({ timeMs: Date.UTC(2026, 0, 1), lat: 31, lon: 121 }));
      c.write(corruptChecksum(f.wire));
    }
    await c.closedPromise;
    expect(c.replies.map((r) => r.result)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(s.stats()).toMatchObject({ closedGarbage: 1, badFrames: 6 });
  });

  it('good frames reset the garbage count', async () => {
    const s = await start({ maxGarbageBytes: 300 });
    const c = await terminal(s);
    for (let i = 0; i < 5; i++) {
      c.write(new Uint8Array(200).fill(0x41));
      expect((await c.heartbeat()).result).toBe(0);
    }
    expect(c.closed).toBe(false);
  });

  it('closes idle connections and keeps busy ones', async () => {
    const s = await start({ idleTimeoutMs: 150 });
    const idle = await terminal(s, '13900000001');
    const busy = await terminal(s, '13900000002');
    const started = Date.now();
    const beat = setInterval(() => void busy.heartbeat().catch(() => {}), 40);
    try {
      await idle.closedPromise;
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      await new Promise((r) => setTimeout(r, 200));
      expect(busy.closed).toBe(false);
    } finally {
      clearInterval(beat);
    }
    expect(s.stats().closedIdle).toBe(1);
  });

  it('refuses connections over the total and per-address limits', async () => {
    const s = await start({ maxConnections: 3, maxConnectionsPerAddress: 100 });
    const open = [await terminal(s), await terminal(s), await terminal(s)];
    await until(() => s.stats().connectionsOpen === 3);
    const extra = await terminal(s);
    await extra.closedPromise;
    expect(s.stats()).toMatchObject({ connectionsRefused: 1, connectionsOpen: 3 });
    // A slot frees up when a connection ends.
    await open[0]!.close();
    await until(() => s.stats().connectionsOpen === 2);
    const again = await terminal(s);
    expect((await again.heartbeat()).result).toBe(0);

    const s2 = await start({ maxConnections: 100, maxConnectionsPerAddress: 2 });
    await terminal(s2);
    await terminal(s2);
    const third = await terminal(s2);
    await third.closedPromise;
    expect(s2.stats().connectionsRefused).toBe(1);
  });

  it('keeps one connection in order and bounded: reading pauses while frames wait for a slow store', async () => {
    const mem = memoryIngest({ commitDelayMs: 20 });
    const s = await start({ maxPendingFrames: 64, maxBatchFrames: 32, framesPerS: 1e6, burstFrames: 1e6 }, mem.ingest);
    const c = await terminal(s);
    expect((await c.authenticate(CODE)).result).toBe(0);
    const serials: number[] = [];
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 800; i++) {
      const f = c.frame(
        0x0200,
        encodePositionBody({ timeMs: Date.UTC(2026, 0, 1) + i * 1000, lat: 31, lon: 121 + i * 1e-4 }),
      );
      serials.push(f.serial);
      chunks.push(f.wire);
    }
    c.write(Buffer.concat(chunks));
    await until(() => c.replies.length >= 800, 15_000, '800 acks');
    expect(c.replies.map((r) => r.replySerial)).toEqual(serials);
    expect(mem.stored.map((f) => f.timeMs)).toEqual(serials.map((_, i) => Date.UTC(2026, 0, 1) + i * 1000));
    // One submission at a time per connection, several frames per submission.
    expect(mem.maxInFlight()).toBe(1);
    expect(s.stats().readPauses).toBeGreaterThan(0);
  });

  it('close() ends every connection and stops listening', async () => {
    const s = await start({});
    const c = await terminal(s);
    expect((await c.heartbeat()).result).toBe(0);
    await s.close();
    await c.closedPromise;
    await expect(
      new Promise((resolve, reject) => {
        const sock = net.connect({ port: s.port, host: '127.0.0.1' });
        sock.once('connect', () => {
          sock.destroy();
          resolve('connected');
        });
        sock.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
