// JT/T 1078 0x1005 passenger flow: begin BCD[6], end BCD[6], boarded WORD, alighted WORD.
import { bcdTimeToEpochMs } from './bcd';
import { u16 } from './bytes';

export interface PassengerFlowInfo {
  startMs: number;
  endMs: number;
  boarded: number;
  alighted: number;
}

export function decodePassengerFlow1005(body: Uint8Array, tzOffsetMin?: number): PassengerFlowInfo | string {
  if (body.length < 16) return `0x1005 body needs 16 bytes, got ${body.length}`;
  const startMs = bcdTimeToEpochMs(body, 0, tzOffsetMin);
  const endMs = bcdTimeToEpochMs(body, 6, tzOffsetMin);
  if (startMs === undefined || endMs === undefined) return '0x1005 times are not valid BCD times';
  return { startMs, endMs, boarded: u16(body, 12), alighted: u16(body, 14) };
}
