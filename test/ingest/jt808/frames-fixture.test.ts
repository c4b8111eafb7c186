// Every frame of test/fixtures/jt808/frames.tsv decodes to its `expected` column, or is rejected
// where the notes call it malformed.
import { describe, expect, it } from 'vitest';
import {
  decodeAuth0102,
  decodeBatch0704,
  decodeDriverCard0702,
  decodePositionBody,
  decodeRegister0100,
  handleJt808Frame,
  Jt808FrameSplitter,
  normalizeJt808Phone,
  parseJt808Packet,
  toHex,
  unescapeJt808,
  type Jt808Packet,
} from '../../../src/ingest/jt808';
import type { DecodeError, DeviceEvent } from '../../../src/core/fix';
import { loadFrameRows, type FrameRow } from './fixture-files';
import { authedSession, ctxWith, expectPositionMatches, hexBytes, isoUtc, readReply } from './helpers';

const rows = loadFrameRows();

function lenientPacket(row: FrameRow): Jt808Packet {
  const p = parseJt808Packet(hexBytes(row.wireHex), { verifyChecksum: false });
  if (!p.ok) throw new Error(`lenient parse failed: ${p.error.code} ${p.error.message}`);
  return p.packet;
}

function checkHeader(packet: Jt808Packet, dh: Record<string, any>): void {
  expect('0x' + packet.header.msgId.toString(16).padStart(4, '0')).toBe(dh.msg_id);
  expect(packet.header.phone).toBe(dh.terminal_phone_bcd);
  expect(packet.header.serial).toBe(dh.serial);
  expect(packet.header.version).toBe(dh.jt808_2019_header ? 2019 : 2013);
  expect(packet.header.protocolVersion).toBe(dh.protocol_version);
  expect(packet.header.bodyLength).toBe(dh.body_len_declared);
  expect(packet.body.length).toBe(dh.body_len_actual);
  if (dh.header_quirk) expect(packet.warnings.map((w) => w.code)).toContain('version_flag_with_2013_header');
  if (dh.body_len_declared !== dh.body_len_actual)
    expect(packet.warnings.map((w) => w.code)).toContain('body_length_mismatch');
}

function trimNul(s: string): string {
  return s.replace(/^[\u0000\s]+|[\u0000\s]+$/g, '');
}

function checkFramingRow(row: FrameRow): void {
  const asserts: string = row.expected.source_asserts;
  if (asserts.includes('7d followed by byte other than')) {
    const u = unescapeJt808(hexBytes(row.hex), 1, hexBytes(row.hex).length - 1);
    expect(u.ok).toBe(false);
    const res = handleJt808Frame(authedSession('1'), hexBytes(row.hex), ctxWith('x'));
    expect(res.dropped?.code).toBe('bad_escape');
    expect(res.replies).toHaveLength(0);
    expect(new Jt808FrameSplitter().push(hexBytes(row.hex))).toHaveLength(0);
  } else if (asserts.includes('(truncated)')) {
    const res = handleJt808Frame(authedSession('1'), hexBytes(row.hex), ctxWith('x'));
    expect(res.dropped).toBeDefined();
    expect(res.replies).toHaveLength(0);
    const sp = new Jt808FrameSplitter();
    expect(sp.push(hexBytes(row.hex))).toHaveLength(0);
    expect(sp.bufferedBytes).toBe(2);
  } else if (asserts.includes('unescape -> ')) {
    const wire = hexBytes(row.hex);
    const u = unescapeJt808(wire, 1, wire.length - 1);
    expect(u.ok).toBe(true);
    if (u.ok) expect(toHex(u.content)).toBe(asserts.split('unescape -> ')[1]!.trim().toLowerCase());
  } else if (asserts.includes('splits into 2 frames')) {
    const sp = new Jt808FrameSplitter();
    const frames = sp.push(hexBytes(row.hex));
    expect(frames.map((f) => toHex(f))).toEqual(['7e000200000123456789017fff0a7e', row.hex.slice(30).toLowerCase()]);
    expect(sp.garbageBytes).toBe(0);
    const hb = handleJt808Frame(authedSession('12345678901'), frames[0]!, ctxWith('x'));
    expect(hb.events).toEqual([{ type: 'heartbeat', deviceId: '12345678901', protocol: 'jt808' }]);
    expect(readReply(hb.replies[0]!)).toMatchObject({
      msgId: 0x8001,
      replySerial: 0x7fff,
      replyMsgId: 0x0002,
      result: 0,
    });
    const reg = handleJt808Frame(hb.session, frames[1]!, ctxWith('x'));
    expect(reg.events[0]).toMatchObject({ type: 'register', attributes: { plate: '粤A18888' } });
  } else if (asserts.includes('incomplete frame')) {
    const evenHex = row.hex.slice(0, row.hex.length - (row.hex.length % 2));
    const sp = new Jt808FrameSplitter();
    expect(sp.push(hexBytes(evenHex))).toHaveLength(0);
    expect(sp.bufferedBytes).toBe(evenHex.length / 2);
    expect(sp.garbageBytes).toBe(0);
  } else {
    throw new Error(`framing row without a check: ${asserts}`);
  }
}

function checkPositionRow(row: FrameRow, packet: Jt808Packet): void {
  const dh = row.expected.decoded_by_hand;
  const pos = dh.position;
  const errors: DecodeError[] = [];
  const deviceId = normalizeJt808Phone(packet.header.phone);
  const fix = decodePositionBody(
    packet.body,
    0,
    packet.body.length,
    { deviceId, version: packet.header.version },
    errors,
  );
  const invalidLat = Math.abs(pos.lat) > 90;
  if (invalidLat) {
    // Synthetic data with latitude 119.55: rejected as a validation case.
    expect(fix).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['bad_coordinates']);
  } else {
    expect(fix).toBeDefined();
    expectPositionMatches(fix!, pos);
    expect(fix!.deviceId).toBe(deviceId);
    const malformed = errors.filter((e) => e.code === 'malformed_item').length;
    // An item whose length runs past the body is the one malformed item; the fix survives it.
    // (SmallChi's Test7 "exception" item is TLV-well-formed: ids 0x00 and a vendor 0xEB block, kept raw.)
    expect(malformed).toBe(String(pos.extra_item_ids).includes('overruns') ? 1 : 0);
  }
  if (row.expected.checksum_ok) {
    const res = handleJt808Frame(authedSession(deviceId), hexBytes(row.wireHex), ctxWith('x'));
    if (invalidLat) {
      expect(res.fixes).toHaveLength(0);
      expect(res.dropped?.code).toBe('bad_coordinates');
      expect(readReply(res.replies[0]!)).toMatchObject({
        msgId: 0x8001,
        replyMsgId: 0x0200,
        replySerial: dh.serial,
        result: 2,
      });
    } else {
      expect(res.fixes).toHaveLength(1);
      expectPositionMatches(res.fixes[0]!, pos);
      expect(res.replies).toHaveLength(0);
      expect(res.pendingAcks).toEqual([
        expect.objectContaining({
          msgId: 0x0200,
          replySerial: dh.serial,
          phone: dh.terminal_phone_bcd,
          version: packet.header.version,
        }),
      ]);
    }
  }
}

function checkBatchRow(row: FrameRow, packet: Jt808Packet): void {
  const dh = row.expected.decoded_by_hand;
  const batch = dh.batch;
  const errors: DecodeError[] = [];
  const deviceId = normalizeJt808Phone(packet.header.phone);
  const res = decodeBatch0704(packet.body, { deviceId, version: packet.header.version }, errors);
  expect(res).toBeDefined();
  expect(res!.declaredCount).toBe(batch.count);
  expect(res!.batchType).toBe(Number(String(batch.type)[0]));
  const decodable = (batch.positions as any[]).filter((p) => Math.abs(p.lat) <= 90 && p.time_utc_if_gmt8 !== null);
  expect(res!.fixes).toHaveLength(decodable.length);
  res!.fixes.forEach((f, i) => {
    expectPositionMatches(f, decodable[i]);
    expect(f.blindArea).toBe(res!.batchType === 1);
  });
  if (decodable.length < batch.positions.length) expect(errors.length).toBeGreaterThan(0);
  if (row.expected.checksum_ok) {
    const out = handleJt808Frame(authedSession(deviceId), hexBytes(row.wireHex), ctxWith('x'));
    expect(out.fixes).toHaveLength(decodable.length);
    if (decodable.length > 0) expect(out.pendingAcks[0]).toMatchObject({ msgId: 0x0704, replySerial: dh.serial });
    else expect(readReply(out.replies[0]!)).toMatchObject({ replyMsgId: 0x0704, result: 2 });
  }
}

function checkDriverRow(row: FrameRow, packet: Jt808Packet): void {
  const d = row.expected.decoded_by_hand.driver;
  const info = decodeDriverCard0702(packet.body);
  expect(typeof info).toBe('object');
  if (typeof info === 'string') return;
  expect(info.inserted).toBe(String(d.status).startsWith('1'));
  if (d.time_gmt8 === null) expect(info.timeMs).toBeUndefined();
  else expect(info.timeMs).toBe(Date.parse(d.time_gmt8));
  if (d.ic_read_result !== undefined) expect(info.readResult).toBe(d.ic_read_result);
  if (d.driver_name !== undefined) expect(info.driverName).toBe(trimNul(d.driver_name));
  if (d.qualification_cert !== undefined) expect(info.certificateNo).toBe(trimNul(d.qualification_cert));
  if (d.issuing_agency !== undefined) expect(info.issuer).toBe(trimNul(d.issuing_agency));
  if (d.cert_valid_until_bcd !== undefined) {
    const v = d.cert_valid_until_bcd as string;
    expect(info.certificateExpiry).toBe(`${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`);
  }
  if (d.driver_id_card_2019 !== undefined) expect(info.idCardNo).toBe(d.driver_id_card_2019);
  const deviceId = normalizeJt808Phone(packet.header.phone);
  const res = handleJt808Frame(authedSession(deviceId), hexBytes(row.wireHex), ctxWith('x'));
  const ev = res.events[0] as Extract<DeviceEvent, { type: 'driverCard' }>;
  expect(ev).toMatchObject({ type: 'driverCard', deviceId, inserted: info.inserted });
  expect(ev.driverName).toBe(info.driverName);
  expect(ev.certificateExpiry).toBe(info.certificateExpiry);
  expect(res.pendingAcks).toHaveLength(1);
  if (d.time_gmt8 === null) expect(res.errors.map((e) => e.code)).toContain('driver_card_field');
}

function checkRegisterRow(row: FrameRow, packet: Jt808Packet): void {
  const r = row.expected.decoded_by_hand.register;
  const info = decodeRegister0100(packet.body, packet.header.version);
  expect(typeof info).toBe('object');
  if (typeof info === 'string') return;
  expect(info.layout).toBe(r.layout === '2011' ? 2011 : packet.header.version);
  expect(info).toMatchObject({
    provinceId: r.province_id,
    cityId: r.city_id,
    manufacturer: r.manufacturer,
    model: r.model,
    terminalId: r.terminal_id,
    plateColor: r.plate_color,
    plate: r.plate,
  });
  const wire = hexBytes(row.wireHex);
  const known = handleJt808Frame({ ...authedSession('0'), authenticated: false }, wire, ctxWith('CODE-1'));
  expect(known.events[0]).toMatchObject({
    type: 'register',
    attributes: { plate: r.plate, terminalId: r.terminal_id },
  });
  expect(readReply(known.replies[0]!)).toMatchObject({
    msgId: 0x8100,
    replySerial: packet.header.serial,
    result: 0,
    authCode: 'CODE-1',
  });
  const unknown = handleJt808Frame(known.session, wire, ctxWith(undefined));
  expect(readReply(unknown.replies[0]!)).toMatchObject({ msgId: 0x8100, result: 4, authCode: '' });
}

function checkAuthRow(row: FrameRow, packet: Jt808Packet): void {
  const a = row.expected.decoded_by_hand.auth;
  const info = decodeAuth0102(packet.body);
  expect(info.authCode).toBe(a.auth_code);
  expect(info.imei).toBe(a.imei);
  expect(info.softwareVersion).toBe(a.sw_version);
  const wire = hexBytes(row.wireHex);
  const fresh = { ...authedSession('0'), authenticated: false };
  const ok = handleJt808Frame(fresh, wire, ctxWith(a.auth_code));
  expect(ok.session.authenticated).toBe(true);
  expect(ok.events[0]).toMatchObject({ type: 'authenticate', authCode: a.auth_code });
  expect(readReply(ok.replies[0]!)).toMatchObject({
    msgId: 0x8001,
    replyMsgId: 0x0102,
    replySerial: packet.header.serial,
    result: 0,
  });
  const bad = handleJt808Frame(fresh, wire, ctxWith(a.auth_code + 'x'));
  expect(bad.session.authenticated).toBe(false);
  expect(readReply(bad.replies[0]!).result).toBe(1);
}

function checkHeartbeatRow(row: FrameRow, packet: Jt808Packet): void {
  const deviceId = normalizeJt808Phone(packet.header.phone);
  const res = handleJt808Frame(
    { ...authedSession('0'), authenticated: false },
    hexBytes(row.wireHex),
    ctxWith(undefined),
  );
  expect(res.events).toEqual([{ type: 'heartbeat', deviceId, protocol: 'jt808' }]);
  const reply = readReply(res.replies[0]!);
  expect(reply).toMatchObject({ msgId: 0x8001, replyMsgId: 0x0002, replySerial: packet.header.serial, result: 0 });
  expect(reply.phone).toBe(packet.header.phone);
  expect(reply.version).toBe(packet.header.version);
}

describe('frames.tsv', () => {
  for (const row of rows) {
    const tag = row.source
      .split(':')
      .slice(1)
      .join(':')
      .replace(/@[0-9a-f]+/, '');
    it(`line ${row.line} ${row.msgId} ${tag}`, () => {
      if (row.msgId.startsWith('n/a')) return checkFramingRow(row);
      const dh = row.expected.decoded_by_hand;
      const packet = lenientPacket(row);
      checkHeader(packet, dh);
      expect(packet.checksumOk).toBe(row.expected.checksum_ok);
      if (!row.expected.checksum_ok) {
        // Strict path: dropped, answered with 0x8001 result 2 addressed from the readable header.
        const res = handleJt808Frame(
          authedSession(normalizeJt808Phone(dh.terminal_phone_bcd)),
          hexBytes(row.wireHex),
          ctxWith('x'),
        );
        expect(res.dropped?.code).toBe('bad_checksum');
        expect(res.fixes).toHaveLength(0);
        expect(res.events).toHaveLength(0);
        expect(res.pendingAcks).toHaveLength(0);
        expect(readReply(res.replies[0]!)).toMatchObject({
          msgId: 0x8001,
          replySerial: dh.serial,
          replyMsgId: packet.header.msgId,
          result: 2,
          phone: dh.terminal_phone_bcd,
        });
      }
      switch (dh.msg_id) {
        case '0x0200':
          return checkPositionRow(row, packet);
        case '0x0704':
          return checkBatchRow(row, packet);
        case '0x0702':
          return checkDriverRow(row, packet);
        case '0x0100':
          return checkRegisterRow(row, packet);
        case '0x0102':
          return checkAuthRow(row, packet);
        case '0x0002':
          return checkHeartbeatRow(row, packet);
        default:
          throw new Error(`no check for ${dh.msg_id}`);
      }
    });
  }

  it('covers all 42 rows', () => {
    expect(rows).toHaveLength(42);
    expect(isoUtc(0)).toBe('1970-01-01T00:00:00Z');
  });
});
