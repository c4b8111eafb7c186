// Acks encoded back to back into one buffer are byte for byte the acks encoded one at a time, escaping included.
import { describe, expect, it } from 'vitest';
import {
  encodePendingAck,
  encodePendingAcksInto,
  PENDING_ACK_MAX_WIRE_BYTES,
  type PendingAck,
} from '../../../src/ingest/jt808';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('encodePendingAcksInto', () => {
  it('matches encodePendingAck for 2013 and 2019 headers, escaped bytes and changing phones', () => {
    const acks: PendingAck[] = [];
    // Serials and message ids that put 0x7E / 0x7D in the header, the body and (some of them) the checksum.
    for (const serial of [0, 1, 0x7e, 0x7d, 0x7e7d, 0x7d7e, 0xffff, 0x1234]) {
      acks.push({ phone: '013912345678', version: 2013, serial, msgId: 0x0200, replySerial: serial ^ 0x7e });
      acks.push({
        phone: '13912345678',
        version: 2013,
        serial: serial ^ 1,
        msgId: 0x0704,
        replySerial: 0x7d00 | (serial & 0xff),
      });
      acks.push({
        phone: '00000000013912345678',
        version: 2019,
        protocolVersion: 1,
        serial,
        msgId: 0x0200,
        replySerial: 0x7e7e,
      });
      acks.push({ phone: '7e7d', version: 2019, serial, msgId: 0x0702, replySerial: 0x7d });
    }
    for (let k = 0; k < 200; k++)
      acks.push({
        phone: '0139' + String(k).padStart(8, '0'),
        version: k % 3 ? 2013 : 2019,
        serial: (k * 7919) & 0xffff,
        msgId: 0x0200,
        replySerial: (k * 104729) & 0xffff,
      });
    for (const result of [0, 1] as const) {
      const expected = concat(acks.map((a) => encodePendingAck(a, result)));
      const out = new Uint8Array(4 + acks.length * PENDING_ACK_MAX_WIRE_BYTES);
      const end = encodePendingAcksInto(acks, result, out, 4);
      expect(Buffer.from(out.subarray(4, end)).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
      // One at a time, interleaved with other writes, gives the same bytes.
      let o = 0;
      const one = new Uint8Array(PENDING_ACK_MAX_WIRE_BYTES * acks.length);
      for (const a of acks) o = encodePendingAcksInto([a], result, one, o);
      expect(Buffer.from(one.subarray(0, o)).equals(Buffer.from(expected))).toBe(true);
    }
  });
});
