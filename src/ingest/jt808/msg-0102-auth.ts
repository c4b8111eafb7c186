// 0x0102 terminal authentication. 2013: the whole body is the auth code. 2019: code length BYTE,
// code, IMEI BYTE[15], then the software version: length BYTE + STRING per the standard, or a
// fixed-width 0x00-padded field as some implementations send it.
import { decodeGbk } from './gbk';

export interface AuthInfo {
  layout: 2013 | 2019;
  authCode: string;
  imei?: string;
  softwareVersion?: string;
}

function isImeiByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0;
}

/**
 * The 2019 layout is recognized by its shape, whatever the header says (devices send 2013 bodies
 * behind a 2019 flag and the reverse): a length byte that leaves room for a 15-byte IMEI made of
 * digits. Anything else is a 2013 code string.
 */
export function decodeAuth0102(body: Uint8Array): AuthInfo {
  const codeLen = body.length > 0 ? body[0]! : 0;
  const imeiAt = 1 + codeLen;
  if (body.length > 0 && codeLen > 0 && imeiAt + 15 <= body.length) {
    let imeiOk = true;
    for (let i = imeiAt; i < imeiAt + 15; i++) if (!isImeiByte(body[i]!)) imeiOk = false;
    let codeOk = true;
    for (let i = 1; i < imeiAt; i++) if (body[i]! < 0x20) codeOk = false;
    if (imeiOk && codeOk) {
      const rest = imeiAt + 15;
      let softwareVersion = '';
      if (rest < body.length) {
        softwareVersion =
          rest + 1 + body[rest]! === body.length
            ? decodeGbk(body, rest + 1, body.length)
            : decodeGbk(body, rest, body.length);
      }
      const info: AuthInfo = {
        layout: 2019,
        authCode: decodeGbk(body, 1, imeiAt, false),
        imei: decodeGbk(body, imeiAt, rest),
      };
      if (softwareVersion !== '') info.softwareVersion = softwareVersion;
      return info;
    }
  }
  return { layout: 2013, authCode: decodeGbk(body, 0, body.length, false) };
}
