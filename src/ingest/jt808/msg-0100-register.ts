// 0x0100 terminal registration (2011 / 2013 / 2019 body layouts).
import { u16 } from './bytes';
import { decodeGbk } from './gbk';
import type { Jt808HeaderVersion } from './header';

export interface RegisterInfo {
  layout: 2011 | 2013 | 2019;
  provinceId: number;
  cityId: number;
  manufacturer: string;
  model: string;
  terminalId: string;
  /** 0 unplated, 1 blue, 2 yellow, 3 black, 4 white, 5 green, 9 other. */
  plateColor: number;
  /** Plate number (GBK), or the VIN when plateColor is 0. */
  plate: string;
}

const FIXED_2011 = 2 + 2 + 5 + 8 + 7 + 1; // 25
const FIXED_2013 = 2 + 2 + 5 + 20 + 7 + 1; // 37
const FIXED_2019 = 2 + 2 + 11 + 30 + 30 + 1; // 76

/**
 * Layout: a 2019 header means the 2019 body; otherwise the body length decides between 2013
 * (≥ 37 bytes) and 2011 (25-36 bytes; no plate in use is longer than 11 GBK bytes).
 */
export function decodeRegister0100(body: Uint8Array, version: Jt808HeaderVersion): RegisterInfo | string {
  let layout: 2011 | 2013 | 2019;
  if (version === 2019 && body.length >= FIXED_2019) layout = 2019;
  else if (body.length >= FIXED_2013) layout = 2013;
  else if (body.length >= FIXED_2011) layout = 2011;
  else return `register body of ${body.length} bytes is shorter than any layout`;
  const makerLen = layout === 2019 ? 11 : 5;
  const modelLen = layout === 2019 ? 30 : layout === 2013 ? 20 : 8;
  const idLen = layout === 2019 ? 30 : 7;
  let o = 4;
  const manufacturer = decodeGbk(body, o, o + makerLen);
  o += makerLen;
  const model = decodeGbk(body, o, o + modelLen);
  o += modelLen;
  const terminalId = decodeGbk(body, o, o + idLen);
  o += idLen;
  const plateColor = body[o++]!;
  return {
    layout,
    provinceId: u16(body, 0),
    cityId: u16(body, 2),
    manufacturer,
    model,
    terminalId,
    plateColor,
    plate: decodeGbk(body, o, body.length),
  };
}
