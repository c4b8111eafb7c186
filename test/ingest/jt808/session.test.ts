import { describe, expect, it } from 'vitest';
import {
  addSubpackage,
  createJt808Session,
  emptySubpackageState,
  encodeJt808Frame,
  encodePendingAck,
  handleJt808Frame,
  parseJt808Packet,
  type Jt808Header,
  type Jt808Session,
} from '../../../src/ingest/jt808';
import { vector } from './fixture-files';
import { ctxWith, hexBytes, readReply } from './helpers';

const PHONE = '013912345678';
const positionBody = () => hexBytes(vector('V2', 'body'));

function frame(
  msgId: number,
  serial: number,
  body: Uint8Array,
  extra: Partial<Parameters<typeof encodeJt808Frame>[0]> = {},
): Uint8Array {
  return encodeJt808Frame({ msgId, phone: PHONE, serial, version: 2013, ...extra }, body);
}

function login(): Jt808Session {
  const res = handleJt808Frame(createJt808Session(), hexBytes(vector('V8')), ctxWith('AUTH1234', 0, 480));
  expect(res.session.authenticated).toBe(true);
  return res.session;
}

describe('handleJt808Frame', () => {
  it('refuses positions before authentication with 0x8001 result 1 and no fixes', () => {
    const res = handleJt808Frame(createJt808Session(), frame(0x0200, 7, positionBody()), ctxWith('AUTH1234'));
    expect(res.fixes).toEqual([]);
    expect(res.pendingAcks).toEqual([]);
    expect(res.dropped?.code).toBe('not_authenticated');
    expect(readReply(res.replies[0]!)).toMatchObject({ replySerial: 7, replyMsgId: 0x0200, result: 1 });
  });

  it('register → auth → position → pending ack, with the platform serial counting up', () => {
    let s = createJt808Session();
    const reg = handleJt808Frame(s, hexBytes(vector('V13', 'frame')), ctxWith('AUTH1234'));
    s = reg.session;
    expect(readReply(reg.replies[0]!)).toMatchObject({ msgId: 0x8100, serial: 0, result: 0, authCode: 'AUTH1234' });
    expect(s.authenticated).toBe(false);
    const auth = handleJt808Frame(s, hexBytes(vector('V8')), ctxWith('AUTH1234'));
    s = auth.session;
    expect(readReply(auth.replies[0]!)).toMatchObject({ serial: 1, result: 0 });
    const pos = handleJt808Frame(s, frame(0x0200, 5, positionBody()), ctxWith('AUTH1234'));
    expect(pos.fixes).toHaveLength(1);
    expect(pos.replies).toEqual([]);
    expect(pos.pendingAcks).toEqual([{ phone: PHONE, version: 2013, serial: 2, msgId: 0x0200, replySerial: 5 }]);
    expect(readReply(encodePendingAck(pos.pendingAcks[0]!, 1))).toMatchObject({
      serial: 2,
      replySerial: 5,
      replyMsgId: 0x0200,
      result: 1,
    });
    expect(pos.session.nextPlatformSerial).toBe(3);
    // The input session object is not modified.
    expect(s.nextPlatformSerial).toBe(2);
  });

  it('applies the registry time-zone offset captured at authentication', () => {
    const s = handleJt808Frame(createJt808Session(), hexBytes(vector('V8')), ctxWith('AUTH1234', 0, 0)).session;
    const res = handleJt808Frame(s, frame(0x0200, 5, positionBody()), ctxWith('AUTH1234'));
    expect(new Date(res.fixes[0]!.timeMs).toISOString()).toBe('2024-09-02T07:35:10.000Z');
  });

  it('answers a wrong auth code with result 1 and stays unauthenticated', () => {
    const res = handleJt808Frame(createJt808Session(), hexBytes(vector('V8')), ctxWith('OTHER'));
    expect(res.session.authenticated).toBe(false);
    expect(res.errors.map((e) => e.code)).toContain('auth_failed');
    expect(readReply(res.replies[0]!).result).toBe(1);
  });

  it('an unregistered terminal gets 0x8100 result 4 without an auth code', () => {
    const res = handleJt808Frame(createJt808Session(), hexBytes(vector('V13', 'frame')), ctxWith(undefined));
    expect(readReply(res.replies[0]!)).toMatchObject({ msgId: 0x8100, result: 4, authCode: '' });
  });

  it('registration issues a fresh code through the context and reports it in issuedAuthCode; auth verifies through the context', () => {
    const issued: string[] = [];
    let current = 'OLD-CODE';
    const ctx = {
      nowMs: 0,
      lookupTerminal: (id: string) =>
        id === '13912345678'
          ? {
              tzOffsetMin: 480,
              verifyAuthCode: (code: string) => code === current,
              issueAuthCode: () => {
                current = `CODE-${issued.length + 1}`;
                issued.push(current);
                return current;
              },
            }
          : undefined,
    };
    const reg = handleJt808Frame(createJt808Session(), hexBytes(vector('V13', 'frame')), ctx);
    expect(reg.issuedAuthCode).toBe('CODE-1');
    expect(readReply(reg.replies[0]!)).toMatchObject({ msgId: 0x8100, result: 0, authCode: 'CODE-1' });
    // The old code no longer verifies; the issued one does.
    const old = handleJt808Frame(reg.session, hexBytes(vector('V8')), ctx);
    expect(old.session.authenticated).toBe(false);
    const auth = encodeJt808Frame(
      { msgId: 0x0102, phone: PHONE, serial: 4, version: 2013 },
      new TextEncoder().encode('CODE-1'),
    );
    expect(handleJt808Frame(reg.session, auth, ctx).session.authenticated).toBe(true);
    // Unknown terminals get result 4 and no code is issued.
    const unknown = handleJt808Frame(createJt808Session(), hexBytes(vector('V13', 'frame')), {
      nowMs: 0,
      lookupTerminal: () => undefined,
    });
    expect(unknown.issuedAuthCode).toBeUndefined();
    expect(readReply(unknown.replies[0]!).result).toBe(4);
    expect(issued).toEqual(['CODE-1']);
  });

  it('refuses positions from another phone than the authenticated one', () => {
    const other = encodeJt808Frame({ msgId: 0x0200, phone: '013900000000', serial: 1, version: 2013 }, positionBody());
    const res = handleJt808Frame(login(), other, ctxWith('AUTH1234'));
    expect(res.dropped?.code).toBe('phone_mismatch');
    expect(readReply(res.replies[0]!).result).toBe(1);
  });

  it('bad checksum → dropped, 0x8001 result 2', () => {
    const wire = frame(0x0200, 9, positionBody());
    wire[wire.length - 2]! ^= 0x01;
    const res = handleJt808Frame(login(), wire, ctxWith('AUTH1234'));
    expect(res.dropped?.code).toBe('bad_checksum');
    expect(readReply(res.replies[0]!)).toMatchObject({ replySerial: 9, replyMsgId: 0x0200, result: 2 });
  });

  it('unsupported message → result 3; terminal general response → no answer', () => {
    const s = login();
    const unsupported = handleJt808Frame(s, frame(0x0900, 3, new Uint8Array([1, 2])), ctxWith('AUTH1234'));
    expect(readReply(unsupported.replies[0]!)).toMatchObject({ replyMsgId: 0x0900, result: 3 });
    const ack = handleJt808Frame(s, frame(0x0001, 4, new Uint8Array([0, 1, 0x82, 0x02, 0])), ctxWith('AUTH1234'));
    expect(ack.replies).toEqual([]);
    expect(ack.message?.decoded).toEqual({ replySerial: 1, replyMsgId: 0x8202, result: 0 });
  });

  it('encrypted bodies are refused with result 3', () => {
    const wire = frame(0x0200, 3, positionBody());
    const p = parseJt808Packet(wire);
    expect(p.ok).toBe(true);
    // Set the RSA bit (10) in the attributes and fix up the checksum.
    const raw = wire.slice(1, -1);
    raw[2]! |= 0x04;
    let x = 0;
    for (let i = 0; i < raw.length - 1; i++) x ^= raw[i]!;
    raw[raw.length - 1] = x;
    const res = handleJt808Frame(login(), Uint8Array.from([0x7e, ...raw, 0x7e]), ctxWith('AUTH1234'));
    expect(res.dropped?.code).toBe('encrypted_unsupported');
    expect(readReply(res.replies[0]!).result).toBe(3);
  });

  it('unregister ends the authentication', () => {
    const res = handleJt808Frame(login(), frame(0x0003, 8, new Uint8Array()), ctxWith('AUTH1234'));
    expect(res.events).toEqual([{ type: 'unregister', deviceId: '13912345678', protocol: 'jt808' }]);
    expect(res.session.authenticated).toBe(false);
    expect(readReply(res.replies[0]!).result).toBe(0);
  });

  it('reassembles a subpackaged 0x0704 (packets out of order) and acks each packet', () => {
    const batch = hexBytes(vector('V12'));
    const cut = 20;
    const p1 = frame(0x0704, 100, batch.subarray(0, cut), { packetTotal: 2, packetIndex: 1 });
    const p2 = frame(0x0704, 101, batch.subarray(cut), { packetTotal: 2, packetIndex: 2 });
    const first = handleJt808Frame(login(), p2, ctxWith('AUTH1234', 1_000));
    expect(first.fixes).toEqual([]);
    expect(readReply(first.replies[0]!)).toMatchObject({ replySerial: 101, result: 0 });
    expect(first.session.subpackages.entries).toHaveLength(1);
    const second = handleJt808Frame(first.session, p1, ctxWith('AUTH1234', 2_000));
    expect(second.fixes).toHaveLength(2);
    expect(second.fixes.every((f) => f.blindArea)).toBe(true);
    expect(second.pendingAcks[0]).toMatchObject({ msgId: 0x0704, replySerial: 100 });
    expect(second.session.subpackages.entries).toHaveLength(0);
  });
});

describe('addSubpackage', () => {
  const header = (serial: number, index: number, total = 3): Jt808Header => ({
    msgId: 0x0704,
    bodyLength: 1,
    encryption: 0,
    subpackaged: true,
    versionFlag: false,
    version: 2013,
    phone: PHONE,
    serial,
    packetTotal: total,
    packetIndex: index,
    headerLength: 16,
  });

  it('expires unfinished messages using the caller clock', () => {
    const a = addSubpackage(emptySubpackageState(), header(10, 1), new Uint8Array([1]), 0);
    const b = addSubpackage(a.state, header(11, 2), new Uint8Array([2]), 500_000);
    expect(b.errors.map((e) => e.code)).toContain('subpackage_expired');
    expect(b.state.entries).toHaveLength(1);
    expect(b.state.entries[0]!.received).toBe(1);
  });

  it('bounds the number of messages in reassembly', () => {
    let state = emptySubpackageState();
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = addSubpackage(state, header(1000 + i * 10, 1), new Uint8Array([i]), 0, {
        maxEntries: 4,
        maxPackets: 8,
        maxBytes: 100,
        expiryMs: 60_000,
      });
      state = r.state;
      codes.push(...r.errors.map((e) => e.code));
    }
    expect(state.entries).toHaveLength(4);
    expect(codes.filter((c) => c === 'subpackage_evicted')).toHaveLength(8);
  });

  it('rejects out-of-range packet numbers', () => {
    const r = addSubpackage(emptySubpackageState(), header(5, 4, 3), new Uint8Array([1]), 0);
    expect(r.errors.map((e) => e.code)).toEqual(['bad_subpackage']);
  });

  it('handles serial wrap-around within one message', () => {
    const a = addSubpackage(emptySubpackageState(), header(0xffff, 1, 2), new Uint8Array([1]), 0);
    const b = addSubpackage(a.state, header(0, 2, 2), new Uint8Array([2]), 0);
    expect(b.complete?.body).toEqual(new Uint8Array([1, 2]));
  });
});
