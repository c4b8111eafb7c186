// No decoder throws or hangs on arbitrary input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../../src/core/fix';
import { decodeJsonBatch } from '../../src/ingest/json';
import {
  createJt808Session,
  decodeAuth0102,
  decodeBatch0704,
  decodeDriverCard0702,
  decodePassengerFlow1005,
  decodePositionBody,
  decodeRegister0100,
  encodeJt808Frame,
  handleJt808Frame,
  parseJt808Packet,
  plainAuthCodeTerminal,
} from '../../src/ingest/jt808';
import { decodeOsmand } from '../../src/ingest/osmand';

const ctx = { nowMs: 0, lookupTerminal: () => plainAuthCodeTerminal('A') };
const authed = { ...createJt808Session(), authenticated: true, deviceId: '13912345678' };
const RUNS = { numRuns: 400 };

describe('fuzz', () => {
  it('JT/T 808 packet parser and session handler on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        parseJt808Packet(bytes);
        parseJt808Packet(bytes, { verifyChecksum: false });
        const r = handleJt808Frame(authed, bytes, ctx);
        expect(Array.isArray(r.errors)).toBe(true);
      }),
      RUNS,
    );
  });

  it('session handler on well-framed frames with arbitrary ids, flags and bodies', () => {
    const msgIds = fc.constantFrom(
      0x0001,
      0x0002,
      0x0003,
      0x0100,
      0x0102,
      0x0200,
      0x0201,
      0x0702,
      0x0704,
      0x1005,
      0x0900,
    );
    fc.assert(
      fc.property(
        msgIds,
        fc.uint8Array({ maxLength: 600 }),
        fc.boolean(),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }))),
        (msgId, body, v2019, sub) => {
          const frame = encodeJt808Frame(
            {
              msgId,
              phone: '13912345678',
              serial: 1,
              version: v2019 ? 2019 : 2013,
              ...(sub ? { packetTotal: sub[0], packetIndex: sub[1] } : {}),
            },
            body,
          );
          const r = handleJt808Frame(authed, frame, ctx);
          for (const f of r.fixes) {
            expect(Math.abs(f.lat)).toBeLessThanOrEqual(90);
            expect(Math.abs(f.lon)).toBeLessThanOrEqual(180);
            expect(Number.isFinite(f.timeMs)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('message body decoders on arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        const errors: DecodeError[] = [];
        decodePositionBody(body, 0, body.length, { deviceId: 'd', version: 2013 }, errors);
        decodeBatch0704(body, { deviceId: 'd', version: 2019 }, errors);
        decodeDriverCard0702(body);
        decodeRegister0100(body, 2013);
        decodeRegister0100(body, 2019);
        decodeAuth0102(body);
        decodePassengerFlow1005(body);
      }),
      RUNS,
    );
  });

  it('OsmAnd decoder on arbitrary targets and bodies', () => {
    const body = fc.oneof(fc.string(), fc.json(), fc.constant(''));
    fc.assert(
      fc.property(
        fc.string(),
        body,
        fc.option(fc.constantFrom('application/json', 'application/x-www-form-urlencoded')),
        (target, b, ct) => {
          const r = decodeOsmand(
            { target: `/?${target}`, body: b, contentType: ct ?? undefined },
            { receivedMs: 1_700_000_000_000 },
          );
          for (const f of r.fixes) expect(Number.isFinite(f.lat) && Number.isFinite(f.timeMs)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('partner JSON decoder on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        decodeJsonBatch(v, 'dev');
        decodeJsonBatch({ positions: [v] }, 'dev');
      }),
      RUNS,
    );
  });
});
