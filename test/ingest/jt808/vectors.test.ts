// test/fixtures/jt808/vectors.txt: every vector decodes; platform replies are byte-exact.
import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../../../src/core/fix';
import {
  createJt808Session,
  decodeAuth0102,
  decodeBatch0704,
  decodeDriverCard0702,
  decodePassengerFlow1005,
  decodePositionBody,
  decodeRegister0100,
  encodeGeneralResponse,
  encodeJt808Frame,
  encodePendingAck,
  encodeRegisterResponse,
  encodeTemporaryTracking,
  escapeJt808,
  handleJt808Frame,
  parseJt808Packet,
  toHex,
  unescapeJt808,
} from '../../../src/ingest/jt808';
import { loadVectors, vector } from './fixture-files';
import { authedSession, ctxWith, hexBytes, isoUtc, readReply } from './helpers';

const hex = (v: string) => toHex(hexBytes(v));
const ctx2013 = { deviceId: '13912345678', version: 2013 as const };

describe('vectors.txt', () => {
  it('has the 15 vectors', () => {
    expect(new Set(loadVectors().map((v) => v.id)).size).toBe(15);
  });

  it('V1 0x0200 with escapes decodes and re-encodes byte for byte', () => {
    const wire = hexBytes(vector('V1'));
    const res = handleJt808Frame(authedSession('123456789012'), wire, ctxWith('x'));
    expect(res.message).toMatchObject({ msgId: 0x0200, phone: '123456789012', serial: 126, version: 2013 });
    const f = res.fixes[0]!;
    expect(f).toMatchObject({
      lat: 12.222222,
      lon: 132.444444,
      speedKph: 6,
      headingDeg: 0,
      altitudeM: 40,
      alarms: ['sos'],
      valid: true,
    });
    expect(isoUtc(f.timeMs)).toBe('2018-10-15T02:10:10Z');
    expect(f.attributes).toMatchObject({ mileageKm: 10, fuelL: 12.5 });
    const p = parseJt808Packet(wire);
    if (!p.ok) throw new Error('parse');
    const again = encodeJt808Frame({ msgId: 0x0200, phone: '123456789012', serial: 126, version: 2013 }, p.packet.body);
    expect(toHex(again)).toBe(hex(vector('V1')));
  });

  for (const [label, version, phone] of [
    ['frame 2013', 2013, '013912345678'],
    ['frame 2019', 2019, '00000000013912345678'],
  ] as const) {
    it(`V2 school-bus overspeed, ${label}`, () => {
      const wire = hexBytes(vector('V2', label));
      const res = handleJt808Frame(authedSession('13912345678'), wire, ctxWith('x'));
      expect(res.message).toMatchObject({ msgId: 0x0200, phone, serial: 1, version });
      const f = res.fixes[0]!;
      expect(f).toMatchObject({
        deviceId: '13912345678',
        lat: 31.230416,
        lon: 121.473701,
        altitudeM: 12,
        speedKph: 72.5,
        headingDeg: 90,
        alarms: ['overspeed'],
        acc: true,
        valid: true,
        doorOpen: false,
        satellites: 12,
      });
      expect(isoUtc(f.timeMs)).toBe('2024-09-01T23:35:10Z');
      expect(f.attributes).toMatchObject({
        mileageKm: 12345.6,
        overspeedAreaType: 4,
        overspeedAreaId: 7,
        signalStrength: 25,
        statusFlags: 0x000c0003,
      });
      const body = hexBytes(vector('V2', 'body'));
      expect(toHex(encodeJt808Frame({ msgId: 0x0200, phone, serial: 1, version, protocolVersion: 1 }, body))).toBe(
        toHex(wire),
      );
      // The server's ack after the commit, addressed in the terminal's own header form.
      const ack = readReply(encodePendingAck(res.pendingAcks[0]!, 0));
      expect(ack).toMatchObject({ msgId: 0x8001, phone, version, replySerial: 1, replyMsgId: 0x0200, result: 0 });
    });
  }

  it('V3 route deviation + leave route', () => {
    const errors: DecodeError[] = [];
    const body = hexBytes(vector('V3'));
    const f = decodePositionBody(body, 0, body.length, ctx2013, errors)!;
    expect(errors).toEqual([]);
    expect(f.alarms).toEqual(['routeInOut', 'routeDeviation']);
    expect(f).toMatchObject({ speedKph: 30, headingDeg: 180 });
    expect(f.attributes).toMatchObject({ inOutAreaType: 4, inOutAreaId: 0x101, inOutDirection: 'out' });
    expect(isoUtc(f.timeMs)).toBe('2024-09-01T23:40:00Z');
  });

  it('V4 fatigue + segment drive time too long', () => {
    const errors: DecodeError[] = [];
    const body = hexBytes(vector('V4'));
    const f = decodePositionBody(body, 0, body.length, ctx2013, errors)!;
    expect(f.alarms).toEqual(['fatigue', 'routeTimeAbnormal']);
    expect(f.speedKph).toBe(0);
    expect(f.attributes).toMatchObject({ routeSegmentId: 9, routeSegmentDriveS: 1800, routeSegmentResult: 'tooLong' });
    expect(isoUtc(f.timeMs)).toBe('2024-09-02T03:30:00Z');
  });

  it('V5 heartbeat → 0x8001 result 0', () => {
    const res = handleJt808Frame(createJt808Session(), hexBytes(vector('V5')), ctxWith(undefined));
    expect(res.events).toEqual([{ type: 'heartbeat', deviceId: '13912345678', protocol: 'jt808' }]);
    expect(readReply(res.replies[0]!)).toMatchObject({ replySerial: 2, replyMsgId: 0x0002, result: 0 });
  });

  it('V6 0x8001 is byte-exact', () => {
    const bytes = encodeGeneralResponse({
      phone: '013912345678',
      version: 2013,
      serial: 10,
      replySerial: 1,
      replyMsgId: 0x0200,
      result: 0,
    });
    expect(toHex(bytes)).toBe(hex(vector('V6')));
    const viaAck = encodePendingAck(
      { phone: '013912345678', version: 2013, serial: 10, msgId: 0x0200, replySerial: 1 },
      0,
    );
    expect(toHex(viaAck)).toBe(hex(vector('V6')));
  });

  it('V7 0x8100 is byte-exact', () => {
    const bytes = encodeRegisterResponse({
      phone: '013912345678',
      version: 2013,
      serial: 11,
      replySerial: 3,
      result: 0,
      authCode: 'AUTH1234',
    });
    expect(toHex(bytes)).toBe(hex(vector('V7')));
  });

  it('V8 0x0102 (2013) authenticates against the registry code', () => {
    const ok = handleJt808Frame(createJt808Session(), hexBytes(vector('V8')), ctxWith('AUTH1234'));
    expect(ok.events[0]).toMatchObject({ type: 'authenticate', deviceId: '13912345678', authCode: 'AUTH1234' });
    expect(ok.session).toMatchObject({
      authenticated: true,
      deviceId: '13912345678',
      phone: '013912345678',
      version: 2013,
    });
    expect(readReply(ok.replies[0]!)).toMatchObject({ replySerial: 4, replyMsgId: 0x0102, result: 0 });
  });

  it('V9 0x8202 is byte-exact', () => {
    const bytes = encodeTemporaryTracking({
      phone: '013912345678',
      version: 2013,
      serial: 12,
      intervalS: 10,
      validityS: 600,
    });
    expect(toHex(bytes)).toBe(hex(vector('V9')));
  });

  it('V10 0x0702 (2013) driver card', () => {
    const info = decodeDriverCard0702(hexBytes(vector('V10')));
    expect(info).toMatchObject({
      layout: 2013,
      inserted: true,
      readResult: 0,
      driverName: 'ZHANG',
      certificateNo: '320102198001011234',
      issuer: 'NJ-TRANSPORT',
      certificateExpiry: '2027-06-30',
    });
    if (typeof info !== 'string') expect(isoUtc(info.timeMs!)).toBe('2024-09-01T23:00:00Z');
  });

  it('V10 cut right after the read result is reported as truncated', () => {
    const info = decodeDriverCard0702(hexBytes(vector('V10')).subarray(0, 8));
    expect(info).toMatchObject({
      layout: 2013,
      inserted: true,
      readResult: 0,
      problems: ['body ends inside the card data'],
    });
    expect(info).not.toHaveProperty('driverName');
    expect(info).not.toHaveProperty('certificateNo');
  });

  it('V11 escaping both ways', () => {
    const input = hexBytes(vector('V11', 'input'));
    const output = hexBytes(vector('V11', 'output'));
    expect(toHex(escapeJt808(input))).toBe(toHex(output));
    const back = unescapeJt808(output);
    expect(back.ok && toHex(back.content)).toBe(toHex(input));
  });

  it('V12 0x0704 blind-area batch', () => {
    const errors: DecodeError[] = [];
    const res = decodeBatch0704(hexBytes(vector('V12')), ctx2013, errors)!;
    expect(errors).toEqual([]);
    expect(res.batchType).toBe(1);
    expect(res.fixes).toHaveLength(2);
    expect(res.fixes.every((f) => f.blindArea === true)).toBe(true);
    expect(res.fixes[0]).toMatchObject({ lat: 31.230416, lon: 121.473701, speedKph: 35, headingDeg: 90 });
    expect(res.fixes[1]!.timeMs - res.fixes[0]!.timeMs).toBe(30_000);
  });

  it('V13 0x0100 (2013) body and frame → register event and 0x8100', () => {
    const info = decodeRegister0100(hexBytes(vector('V13', 'body')), 2013);
    expect(info).toEqual({
      layout: 2013,
      provinceId: 31,
      cityId: 115,
      manufacturer: 'SBT01',
      model: 'SB-T1',
      terminalId: '0000001',
      plateColor: 2,
      plate: '沪A12345',
    });
    const res = handleJt808Frame(createJt808Session(), hexBytes(vector('V13', 'frame')), ctxWith('AUTH1234'));
    expect(res.events[0]).toMatchObject({
      type: 'register',
      deviceId: '13912345678',
      attributes: { plate: '沪A12345', plateColor: 2 },
    });
    expect(readReply(res.replies[0]!)).toMatchObject({
      msgId: 0x8100,
      replySerial: 0,
      result: 0,
      authCode: 'AUTH1234',
    });
  });

  it('V14 0x0102 (2019) with IMEI and software version', () => {
    expect(decodeAuth0102(hexBytes(vector('V14', 'body')))).toEqual({
      layout: 2019,
      authCode: 'AUTH1234',
      imei: '860000000000001',
      softwareVersion: '1.0.0',
    });
    const res = handleJt808Frame(createJt808Session(), hexBytes(vector('V14', 'frame')), ctxWith('AUTH1234'));
    expect(res.session).toMatchObject({ authenticated: true, version: 2019, protocolVersion: 1 });
    expect(res.events[0]).toMatchObject({ type: 'authenticate', imei: '860000000000001', softwareVersion: '1.0.0' });
    const reply = readReply(res.replies[0]!);
    expect(reply).toMatchObject({ version: 2019, phone: '00000000013912345678', replySerial: 1, result: 0 });
  });

  it('V15 JT/T 1078 0x1005 passenger flow', () => {
    const flow = decodePassengerFlow1005(hexBytes(vector('V15')));
    expect(flow).toEqual({
      startMs: Date.parse('2024-09-02T07:20:00+08:00'),
      endMs: Date.parse('2024-09-02T07:45:00+08:00'),
      boarded: 38,
      alighted: 0,
    });
  });
});
