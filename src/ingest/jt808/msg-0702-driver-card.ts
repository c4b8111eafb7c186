// 0x0702 driver identity (IC card) report, 2011 / 2013 / 2019 layouts.
import { bcdDateToIso, bcdTimeToEpochMs } from './bcd';
import { decodeGbk } from './gbk';

export interface DriverCardInfo {
  layout: 2011 | 2013 | 2019;
  /** Card inserted (status 0x01) or removed (0x02). 2011 reports carry no status: treated as inserted. */
  inserted: boolean;
  status?: number;
  timeMs?: number;
  /** 0 ok; 1 key auth failed, 2 card locked, 3 card pulled, 4 checksum error. */
  readResult?: number;
  driverName?: string;
  certificateNo?: string;
  issuer?: string;
  /** YYYY-MM-DD. */
  certificateExpiry?: string;
  idCardNo?: string;
  /** Fields that could not be read (for example a non-BCD time). */
  problems: string[];
}

/**
 * Layout detection: a first byte of 0x01/0x02 is the 2013/2019 status byte (a 2011 body starts with
 * the name length, which is never 1 or 2 for a real name); 20 more bytes after the expiry date are
 * the 2019 ID-card number, whatever the header version.
 */
export function decodeDriverCard0702(body: Uint8Array, tzOffsetMin?: number): DriverCardInfo | string {
  if (body.length === 0) return 'empty driver identity body';
  const first = body[0];
  if (first !== 0x01 && first !== 0x02) return decode2011(body);
  const info: DriverCardInfo = { layout: 2013, inserted: first === 0x01, status: first, problems: [] };
  if (body.length < 7) {
    info.problems.push('time missing');
    return info;
  }
  const timeMs = bcdTimeToEpochMs(body, 1, tzOffsetMin);
  if (timeMs === undefined) info.problems.push('time is not a valid BCD time');
  else info.timeMs = timeMs;
  if (!info.inserted || body.length < 8) return info;
  info.readResult = body[7];
  if (info.readResult !== 0) return info;
  let o = 8;
  if (o >= body.length) return truncated(info);
  const nameLen = body[o++]!;
  if (o + nameLen > body.length) return truncated(info);
  info.driverName = decodeGbk(body, o, o + nameLen);
  o += nameLen;
  if (o + 20 > body.length) return truncated(info);
  info.certificateNo = decodeGbk(body, o, o + 20);
  o += 20;
  if (o >= body.length) return truncated(info);
  const orgLen = body[o++]!;
  if (o + orgLen > body.length) return truncated(info);
  info.issuer = decodeGbk(body, o, o + orgLen);
  o += orgLen;
  if (o + 4 > body.length) return truncated(info);
  const expiry = bcdDateToIso(body, o);
  if (expiry === undefined) info.problems.push('certificate expiry is not a valid BCD date');
  else info.certificateExpiry = expiry;
  o += 4;
  if (o + 20 <= body.length) {
    info.layout = 2019;
    info.idCardNo = decodeGbk(body, o, o + 20);
  }
  return info;
}

function truncated(info: DriverCardInfo): DriverCardInfo {
  info.problems.push('body ends inside the card data');
  return info;
}

function decode2011(body: Uint8Array): DriverCardInfo | string {
  const info: DriverCardInfo = { layout: 2011, inserted: true, problems: [] };
  let o = 0;
  const nameLen = body[o++]!;
  if (o + nameLen + 20 + 40 + 1 > body.length) return 'driver identity body fits no layout';
  info.driverName = decodeGbk(body, o, o + nameLen);
  o += nameLen;
  info.idCardNo = decodeGbk(body, o, o + 20);
  o += 20;
  info.certificateNo = decodeGbk(body, o, o + 40);
  o += 40;
  const orgLen = body[o++]!;
  info.issuer = decodeGbk(body, o, Math.min(body.length, o + orgLen));
  if (o + orgLen > body.length) info.problems.push('body ends inside the issuer name');
  return info;
}
