// 0x0200 position report body → Fix. Also used for each 0x0704 item and the 0x0201 tail.
import type { AttributeValue, DecodeError, Fix } from '../../core/fix';
import {
  alarmNamesFromFlags,
  STATUS_ACC,
  STATUS_FIX,
  STATUS_PASSENGER_DOORS,
  STATUS_SOUTH,
  STATUS_WEST,
} from './alarm-status';
import { bcdTimeToEpochMs, JT808_DEFAULT_TZ_OFFSET_MIN } from './bcd';
import { i16, toHex, u16, u32 } from './bytes';
import type { Jt808HeaderVersion } from './header';

export const POSITION_BASE_LENGTH = 28;

export interface PositionContext {
  deviceId: string;
  version: Jt808HeaderVersion;
  /** Terminal clock offset east of UTC in minutes; JT/T 808 default GMT+8 (480). */
  tzOffsetMin?: number;
}

/**
 * Decodes a position body at body[start, end). Returns undefined (and pushes an error) when the
 * base 28 bytes are missing, the time is not a valid BCD time or the coordinates are out of range.
 * Additional items that are malformed are reported in `errors` and kept as hex in the attribute
 * `malformedItemsHex`; the fix is still returned.
 *
 * Attributes: alarmFlags, statusFlags (raw words); mileageKm (0x01), fuelL (0x02),
 * recorderSpeedKph (0x03), alarmEventId (0x04), tyrePressureHex (0x05), cabinTemperatureC (0x06),
 * overspeedAreaType / overspeedAreaId (0x11), inOutAreaType / inOutAreaId / inOutDirection 'in'|'out'
 * (0x12), routeSegmentId / routeSegmentDriveS / routeSegmentResult 'tooShort'|'tooLong' (0x13),
 * vehicleSignals (0x25), ioStatus (0x2A), analogAd0 / analogAd1 (0x2B), signalStrength (0x30);
 * 0x31 fills Fix.satellites. Any other item (or a known one with an unexpected length) is kept as
 * `itemXX` = hex value (XX = lower-case id); repeated ids are joined with ','.
 */
export function decodePositionBody(
  body: Uint8Array,
  start: number,
  end: number,
  ctx: PositionContext,
  errors: DecodeError[],
): Fix | undefined {
  if (end - start < POSITION_BASE_LENGTH) {
    errors.push({
      code: 'short_position',
      message: `position needs ${POSITION_BASE_LENGTH} bytes, got ${end - start}`,
    });
    return undefined;
  }
  const alarmFlags = u32(body, start);
  const statusFlags = u32(body, start + 4);
  let lat = u32(body, start + 8) / 1e6;
  let lon = u32(body, start + 12) / 1e6;
  if (statusFlags & STATUS_SOUTH) lat = -lat;
  if (statusFlags & STATUS_WEST) lon = -lon;
  if (lat > 90 || lat < -90 || lon > 180 || lon < -180) {
    errors.push({ code: 'bad_coordinates', message: `coordinates out of range: lat ${lat}, lon ${lon}` });
    return undefined;
  }
  const timeMs = bcdTimeToEpochMs(body, start + 22, ctx.tzOffsetMin ?? JT808_DEFAULT_TZ_OFFSET_MIN);
  if (timeMs === undefined) {
    errors.push({
      code: 'bad_time',
      message: `position time ${toHex(body, start + 22, start + 28)} is not a valid BCD time`,
    });
    return undefined;
  }
  const headingRaw = u16(body, start + 20);
  const attributes: Record<string, AttributeValue> = { alarmFlags, statusFlags };
  const fix: Fix = {
    deviceId: ctx.deviceId,
    protocol: 'jt808',
    timeMs,
    lat,
    lon,
    speedKph: u16(body, start + 18) / 10,
    altitudeM: i16(body, start + 16),
    valid: (statusFlags & STATUS_FIX) !== 0,
    alarms: alarmNamesFromFlags(alarmFlags, ctx.version),
    acc: (statusFlags & STATUS_ACC) !== 0,
    doorOpen: (statusFlags & STATUS_PASSENGER_DOORS) !== 0,
    attributes,
  };
  if (headingRaw < 360) fix.headingDeg = headingRaw;
  else attributes.headingRaw = headingRaw;

  let o = start + POSITION_BASE_LENGTH;
  while (o < end) {
    if (o + 2 > end) {
      malformed(errors, attributes, body, o, end, `item header truncated at body offset ${o - start}`);
      break;
    }
    const id = body[o]!;
    const len = body[o + 1]!;
    const v = o + 2;
    if (v + len > end) {
      malformed(errors, attributes, body, o, end, `item 0x${hex(id)} declares ${len} bytes, ${end - v} remain`);
      break;
    }
    if (!decodeKnownItem(id, len, body, v, fix, attributes)) {
      const key = `item${hex(id)}`;
      const value = toHex(body, v, v + len);
      const prev = attributes[key];
      attributes[key] = prev === undefined ? value : `${prev},${value}`;
    }
    o = v + len;
  }
  return fix;
}

function malformed(
  errors: DecodeError[],
  attributes: Record<string, AttributeValue>,
  body: Uint8Array,
  from: number,
  end: number,
  message: string,
): void {
  errors.push({ code: 'malformed_item', message });
  attributes.malformedItemsHex = toHex(body, from, end);
}

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));
function hex(v: number): string {
  return HEX2[v]!;
}

/** Returns false when the item is not a standard one or has an unexpected length. */
function decodeKnownItem(
  id: number,
  len: number,
  b: Uint8Array,
  v: number,
  fix: Fix,
  a: Record<string, AttributeValue>,
): boolean {
  switch (id) {
    case 0x01:
      if (len !== 4) return false;
      a.mileageKm = u32(b, v) / 10;
      return true;
    case 0x02:
      if (len !== 2) return false;
      a.fuelL = u16(b, v) / 10;
      return true;
    case 0x03:
      if (len !== 2) return false;
      a.recorderSpeedKph = u16(b, v) / 10;
      return true;
    case 0x04:
      if (len !== 2) return false;
      a.alarmEventId = u16(b, v);
      return true;
    case 0x05:
      if (len !== 30) return false;
      a.tyrePressureHex = toHex(b, v, v + len);
      return true;
    case 0x06: {
      if (len !== 2) return false;
      const raw = u16(b, v); // sign-magnitude: bit 15 set = below zero
      a.cabinTemperatureC = raw & 0x8000 ? -(raw & 0x7fff) : raw;
      return true;
    }
    case 0x11:
      if (len === 1) {
        a.overspeedAreaType = b[v]!;
        return true;
      }
      if (len !== 5) return false;
      a.overspeedAreaType = b[v]!;
      a.overspeedAreaId = u32(b, v + 1);
      return true;
    case 0x12:
      if (len !== 6) return false;
      a.inOutAreaType = b[v]!;
      a.inOutAreaId = u32(b, v + 1);
      a.inOutDirection = b[v + 5] === 0 ? 'in' : 'out';
      return true;
    case 0x13:
      if (len !== 7) return false;
      a.routeSegmentId = u32(b, v);
      a.routeSegmentDriveS = u16(b, v + 4);
      a.routeSegmentResult = b[v + 6] === 0 ? 'tooShort' : 'tooLong';
      return true;
    case 0x25:
      if (len !== 4) return false;
      a.vehicleSignals = u32(b, v);
      return true;
    case 0x2a:
      if (len !== 2) return false;
      a.ioStatus = u16(b, v);
      return true;
    case 0x2b:
      if (len !== 4) return false;
      a.analogAd0 = u16(b, v + 2);
      a.analogAd1 = u16(b, v);
      return true;
    case 0x30:
      if (len !== 1) return false;
      a.signalStrength = b[v]!;
      return true;
    case 0x31:
      if (len !== 1) return false;
      fix.satellites = b[v];
      return true;
    default:
      return false;
  }
}
