// Terminals that put non-BCD bytes in the phone field (e.g. the IMEI's leading digits as a binary number) are
// read, keyed by the field's hex digits and answered with the field's bytes exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createJt808Session,
  encodePendingAck,
  encodePendingAcksInto,
  handleJt808Frame,
  normalizeJt808Phone,
  parseJt808Packet,
  unescapeJt808,
  wrapJt808Frame,
} from '../../../src/ingest/jt808';
import { encodePositionBody, encodeRegisterBody } from '../../../src/demo/jt808-terminal';
import { authedSession, ctxWith, readReply } from './helpers';

// 0x08 0x6A 0x12 0x3B 0xCD 0xEF: 0x6A, 0x3B, 0xCD, 0xEF are not BCD.
const PHONE_2013 = Uint8Array.from([0x08, 0x6a, 0x12, 0x3b, 0xcd, 0xef]);
const PHONE_2019 = Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x08, 0x6a, 0x12, 0x3b, 0xcd, 0xef]);

/** A frame built byte by byte (no encoder involved): msgId, attributes, [version], phone field, serial, body. */
function rawFrame(msgId: number, phone: Uint8Array, serial: number, body: Uint8Array): Uint8Array {
  const is2019 = phone.length === 10;
  const head = [
    msgId >> 8,
    msgId & 0xff,
    (is2019 ? 0x40 : 0) | (body.length >> 8),
    body.length & 0xff,
    ...(is2019 ? [1] : []),
    ...phone,
    serial >> 8,
    serial & 0xff,
  ];
  return wrapJt808Frame(Uint8Array.from([...head, ...body]));
}

/** The phone field bytes of a (platform) frame. */
function phoneField(wire: Uint8Array): Uint8Array {
  const u = unescapeJt808(wire, 1, wire.length - 1);
  if (!u.ok) throw new Error('bad frame');
  const is2019 = (u.content[2]! & 0x40) !== 0;
  return u.content.subarray(is2019 ? 5 : 4, is2019 ? 15 : 10);
}

const heartbeat = rawFrame(0x0002, PHONE_2013, 7, new Uint8Array(0));

describe('non-BCD phone field', () => {
  it('the packet parses (no bad_phone)', () => {
    expect(parseJt808Packet(heartbeat).ok).toBe(true);
  });

  it('the header phone is the field’s hex digits, lowercase, with the padding', () => {
    const p = parseJt808Packet(heartbeat);
    expect(p.ok && p.packet.header.phone).toBe('086a123bcdef');
  });

  it('the header says the field was not BCD', () => {
    const p = parseJt808Packet(heartbeat);
    expect(p.ok && p.packet.header.phoneNotBcd).toBe(true);
  });

  it('the packet carries a phone_not_bcd warning', () => {
    const p = parseJt808Packet(heartbeat);
    expect(p.ok && p.packet.warnings.map((w) => w.code)).toContain('phone_not_bcd');
  });

  it('a BCD phone field gives decimal digits and no warning', () => {
    const p = parseJt808Packet(
      rawFrame(0x0002, Uint8Array.from([0x01, 0x39, 0x12, 0x34, 0x56, 0x78]), 1, new Uint8Array(0)),
    );
    expect(p.ok && [p.packet.header.phone, p.packet.header.phoneNotBcd, p.packet.warnings.length]).toEqual([
      '013912345678',
      undefined,
      0,
    ]);
  });

  it('the device id is the canonical hex form (padding removed)', () => {
    expect(normalizeJt808Phone('086a123bcdef')).toBe('86a123bcdef');
  });

  it('a 2019 header’s 10-byte field keys the same terminal as the 2013 6-byte one', () => {
    const p = parseJt808Packet(rawFrame(0x0002, PHONE_2019, 1, new Uint8Array(0)));
    expect(p.ok && normalizeJt808Phone(p.packet.header.phone)).toBe('86a123bcdef');
  });

  it('the handler keys events by the hex form', () => {
    const res = handleJt808Frame(createJt808Session(), heartbeat, ctxWith('CODE'));
    expect(res.events[0]).toMatchObject({ type: 'heartbeat', deviceId: '86a123bcdef' });
  });

  it('0x8001 echoes the header’s phone bytes exactly (2013)', () => {
    const res = handleJt808Frame(createJt808Session(), heartbeat, ctxWith('CODE'));
    expect([...phoneField(res.replies[0]!)]).toEqual([...PHONE_2013]);
  });

  it('0x8001 echoes the header’s phone bytes exactly (2019)', () => {
    const res = handleJt808Frame(
      createJt808Session(),
      rawFrame(0x0002, PHONE_2019, 3, new Uint8Array(0)),
      ctxWith('CODE'),
    );
    expect([...phoneField(res.replies[0]!)]).toEqual([...PHONE_2019]);
  });

  it('0x8100 echoes the header’s phone bytes exactly', () => {
    const res = handleJt808Frame(
      createJt808Session(),
      rawFrame(0x0100, PHONE_2013, 1, encodeRegisterBody({ plate: 'A1' })),
      ctxWith('CODE'),
    );
    expect(readReply(res.replies[0]!).msgId === 0x8100 && [...phoneField(res.replies[0]!)]).toEqual([...PHONE_2013]);
  });

  it('authentication and positions work for the hex-keyed terminal; the pending ack echoes the bytes', () => {
    const auth = handleJt808Frame(
      createJt808Session(),
      rawFrame(0x0102, PHONE_2013, 2, new TextEncoder().encode('CODE')),
      ctxWith('CODE'),
    );
    const pos = handleJt808Frame(
      auth.session,
      rawFrame(0x0200, PHONE_2013, 3, encodePositionBody({ timeMs: Date.UTC(2026, 0, 1), lat: 31, lon: 121 })),
      ctxWith('CODE'),
    );
    expect([
      auth.session.authenticated,
      pos.fixes[0]?.deviceId,
      [...phoneField(encodePendingAck(pos.pendingAcks[0]!, 0))],
    ]).toEqual([true, '86a123bcdef', [...PHONE_2013]]);
  });

  it('the batched ack encoder echoes the bytes too', () => {
    const pos = handleJt808Frame(
      authedSession('86a123bcdef'),
      rawFrame(0x0200, PHONE_2019, 4, encodePositionBody({ timeMs: Date.UTC(2026, 0, 1), lat: 31, lon: 121 })),
      ctxWith('CODE'),
    );
    const out = new Uint8Array(100);
    const n = encodePendingAcksInto(pos.pendingAcks, 0, out, 0);
    expect([...phoneField(out.subarray(0, n))]).toEqual([...PHONE_2019]);
  });

  it('any phone field bytes parse and are echoed back exactly (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.boolean(), (bytes, v2019) => {
        const field = v2019 ? Uint8Array.from([0, 0, 0, 0, ...bytes]) : bytes;
        const res = handleJt808Frame(
          createJt808Session(),
          rawFrame(0x0002, field, 1, new Uint8Array(0)),
          ctxWith('CODE'),
        );
        expect([...phoneField(res.replies[0]!)]).toEqual([...field]);
      }),
      { numRuns: 300 },
    );
  });
});
