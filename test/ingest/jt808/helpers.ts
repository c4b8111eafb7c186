import { expect } from 'vitest';
import type { Fix } from '../../../src/core/fix';
import {
  createJt808Session,
  fromHex,
  parseJt808Packet,
  plainAuthCodeTerminal,
  type Jt808HandlerContext,
  type Jt808Session,
} from '../../../src/ingest/jt808';

export function u16Of(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function hexBytes(hex: string): Uint8Array {
  const b = fromHex(hex);
  if (!b) throw new Error(`bad hex in test data: ${hex.slice(0, 40)}`);
  return b;
}

export function ctxWith(authCode: string | undefined, nowMs = 0, tzOffsetMin?: number): Jt808HandlerContext {
  return {
    nowMs,
    lookupTerminal: () => (authCode === undefined ? undefined : plainAuthCodeTerminal(authCode, tzOffsetMin)),
  };
}

export function authedSession(deviceId: string): Jt808Session {
  return { ...createJt808Session(), authenticated: true, deviceId };
}

export interface DecodedReply {
  msgId: number;
  phone: string;
  serial: number;
  version: number;
  replySerial: number;
  replyMsgId?: number;
  result: number;
  authCode?: string;
}

/** Parses a platform reply frame (0x8001 or 0x8100) produced by the encoder. */
export function readReply(frame: Uint8Array): DecodedReply {
  const p = parseJt808Packet(frame);
  if (!p.ok) throw new Error(`reply does not parse: ${p.error.code}`);
  const { header, body } = p.packet;
  expect(body.length).toBe(header.bodyLength);
  if (header.msgId === 0x8001) {
    return {
      msgId: header.msgId,
      phone: header.phone,
      serial: header.serial,
      version: header.version,
      replySerial: u16Of(body, 0),
      replyMsgId: u16Of(body, 2),
      result: body[4]!,
    };
  }
  return {
    msgId: header.msgId,
    phone: header.phone,
    serial: header.serial,
    version: header.version,
    replySerial: u16Of(body, 0),
    result: body[2]!,
    authCode: new TextDecoder().decode(body.subarray(3)),
  };
}

export function isoUtc(timeMs: number): string {
  return new Date(timeMs).toISOString().replace('.000Z', 'Z');
}

const KNOWN_ITEM_KEYS: Record<number, string> = {
  0x01: 'mileageKm',
  0x02: 'fuelL',
  0x03: 'recorderSpeedKph',
  0x04: 'alarmEventId',
  0x05: 'tyrePressureHex',
  0x06: 'cabinTemperatureC',
  0x11: 'overspeedAreaType',
  0x12: 'inOutAreaId',
  0x13: 'routeSegmentId',
  0x25: 'vehicleSignals',
  0x2a: 'ioStatus',
  0x2b: 'analogAd0',
  0x30: 'signalStrength',
};

/** Checks a decoded fix against a `position` object of frames.tsv's decoded_by_hand. */
export function expectPositionMatches(fix: Fix, pos: Record<string, any>): void {
  expect(fix.lat).toBeCloseTo(pos.lat, 6);
  expect(fix.lon).toBeCloseTo(pos.lon, 6);
  expect(fix.speedKph).toBeCloseTo(pos.speed_kmh, 6);
  expect(fix.headingDeg).toBe(pos.course_deg);
  expect(fix.altitudeM).toBe(pos.altitude_m);
  expect(isoUtc(fix.timeMs)).toBe(pos.time_utc_if_gmt8);
  expect(fix.valid).toBe(pos.fix_valid);
  expect(fix.acc).toBe(pos.acc_on);
  expect(fix.attributes.alarmFlags).toBe(parseInt(pos.alarm_flags, 16));
  expect(fix.attributes.statusFlags).toBe(parseInt(pos.status_flags, 16));
  expect(fix.doorOpen).toBe((parseInt(pos.status_flags, 16) & 0xe000) !== 0);
  if (pos.mileage_km !== undefined) expect(fix.attributes.mileageKm).toBeCloseTo(pos.mileage_km, 6);
  if (pos.fuel_l !== undefined) expect(fix.attributes.fuelL).toBeCloseTo(pos.fuel_l, 6);
  if (pos.gnss_satellites !== undefined) expect(fix.satellites).toBe(pos.gnss_satellites);
  if (pos.rssi !== undefined) expect(fix.attributes.signalStrength).toBe(pos.rssi);
  const ids: string = pos.extra_item_ids ?? '';
  for (const token of ids.match(/0x[0-9a-f]{2}(\([^)]*\))?/g) ?? []) {
    const id = parseInt(token.slice(2, 4), 16);
    if (token.includes('overruns')) {
      expect(typeof fix.attributes.malformedItemsHex).toBe('string');
      expect(String(fix.attributes.malformedItemsHex).startsWith(token.slice(2, 4))).toBe(true);
      continue;
    }
    if (id === 0x31) {
      expect(fix.satellites).toBeTypeOf('number');
      continue;
    }
    const key = KNOWN_ITEM_KEYS[id];
    const raw = `item${token.slice(2, 4)}`;
    const present = (key !== undefined && fix.attributes[key] !== undefined) || fix.attributes[raw] !== undefined;
    expect(present, `item ${token} present`).toBe(true);
  }
  if (!ids.includes('overruns')) expect(fix.attributes.malformedItemsHex).toBeUndefined();
}
