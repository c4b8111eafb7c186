// Shared pieces of the JT/T 808 server tests: a school with buses and terminals registered through the API,
// waiting helpers and a reply summary that ignores the random auth codes.
import { expect } from 'vitest';
import type { TestApp } from '../helpers/app';
import type { PlatformReply } from '../../src/demo/jt808-terminal';

export async function ok(p: Promise<{ status: number; body: any }>, status = 201): Promise<any> {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

export interface Registry {
  schoolId: number;
  /**
   * Adds a JT/T 808 terminal (with its own bus unless `bus` is false); returns the device row id and the bus's
   * plate. Without a secret the terminal holds no auth code yet, so its first registration is admitted.
   */
  addTerminal(
    phone: string,
    secret: string | undefined,
    bus?: boolean,
  ): Promise<{ deviceId: number; busId: number | null; plate: string | null }>;
}

export async function createRegistry(t: TestApp): Promise<Registry> {
  const school = await ok(t.call('POST', '/api/v1/schools', { body: { name: 'JT808 School', lat: 31.2, lon: 121.4 } }));
  let n = 0;
  return {
    schoolId: school.id,
    async addTerminal(phone, secret, withBus = true) {
      let busId: number | null = null;
      let plate: string | null = null;
      if (withBus) {
        const bus = await ok(
          t.call('POST', '/api/v1/buses', {
            body: { schoolId: school.id, plate: `JT-${++n}-${phone.slice(-6)}`, approvedCapacity: 40 },
          }),
        );
        busId = bus.id;
        plate = bus.plate;
      }
      const dev = await ok(
        t.call('POST', '/api/v1/devices', {
          body: { schoolId: school.id, busId: busId ?? undefined, protocol: 'jt808', identifier: phone, secret },
        }),
      );
      return { deviceId: dev.id, busId, plate };
    },
  };
}

/** Polls `cond` (yielding to I/O between tries) until it holds. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reply without its auth code (random per registration). */
export function summary(r: PlatformReply): string {
  return `${r.msgId.toString(16)} sn=${r.serial} re=${r.replySerial}${r.replyMsgId === undefined ? '' : `/${r.replyMsgId.toString(16)}`} → ${r.result}`;
}

/** Flips one bit of a header/body byte (never touching escapes), so the frame stays a frame but fails its checksum. */
export function corruptChecksum(wire: Uint8Array): Uint8Array {
  for (let i = 5; i < wire.length - 3; i++) {
    const b = wire[i]!;
    const nb = b ^ 0x01;
    if (wire[i - 1] === 0x7d || b === 0x7d || b === 0x7e || nb === 0x7d || nb === 0x7e) continue;
    wire[i] = nb;
    return wire;
  }
  throw new Error('no byte to corrupt');
}
