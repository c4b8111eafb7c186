// JT/T 808 decode rate: 0x0200 frames with additional items through the full session path
// (unescape, checksum, header, body, Fix, pending ack). Runnable alone:
//   npx tsx scripts/bench/jt808-decode-rate.ts [seconds]
import { pathToFileURL } from 'node:url';
import {
  createJt808Session,
  encodeJt808Frame,
  fromHex,
  handleJt808Frame,
  plainAuthCodeTerminal,
  type Jt808HandlerContext,
} from '../../src/ingest/jt808';

/** 0x0200 bodies with additional items (mileage, overspeed extra, CSQ, satellites; fuel, IO, analog…). */
const SAMPLE_BODIES = [
  // school-bus overspeed (shared vectors V2)
  '0000000200 0C0003 01DC89D0 073D8AA5 000C 02D5 005A 240902073510 01040001E240 110504 00000007 300119 31010C',
  // route deviation (V3)
  '00A00000 000C0003 01DC89D0 073D8AA5 000C 012C 00B4 240902074000 1206040000010101',
  // a real-device style report: mileage, fuel, recorder speed, signals, IO, analog, CSQ, satellites
  '00000000 000C0003 01DC8A10 073D8B20 0010 01F4 010E 240902074510 010400054576 02020190 030201F4 250400000002 2A020000 2B0400000000 30011C 310111',
];

export function sampleJt808PositionFrames(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let serial = 0;
  for (const hex of SAMPLE_BODIES) {
    const body = fromHex(hex)!;
    frames.push(encodeJt808Frame({ msgId: 0x0200, phone: '013912345678', serial: serial++, version: 2013 }, body));
    frames.push(encodeJt808Frame({ msgId: 0x0200, phone: '013912345678', serial: serial++, version: 2019 }, body));
    // serial 0x7E forces escaping in the header
    frames.push(encodeJt808Frame({ msgId: 0x0200, phone: '013912345678', serial: 0x7e, version: 2013 }, body));
  }
  return frames;
}

export interface DecodeRateOptions {
  /** Wire frames to cycle through (all from terminal 13912345678); default: sample 0x0200 frames. */
  frames?: Uint8Array[];
  /** Measuring time; default 2 s (after a short warm-up). */
  seconds?: number;
}

export function measureJt808DecodeRate(options: DecodeRateOptions = {}): {
  framesPerS: number;
  frames: number;
  seconds: number;
} {
  const frames = options.frames ?? sampleJt808PositionFrames();
  const seconds = options.seconds ?? 2;
  const ctx: Jt808HandlerContext = { nowMs: 0, lookupTerminal: () => plainAuthCodeTerminal('x') };
  const session = { ...createJt808Session(), authenticated: true, deviceId: '13912345678' };
  let fixes = 0;
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) fixes += handleJt808Frame(session, frames[i % frames.length]!, ctx).fixes.length;
  };
  run(20_000); // warm-up (JIT)
  const batch = 5_000;
  let count = 0;
  const start = process.hrtime.bigint();
  const limitNs = BigInt(Math.round(seconds * 1e9));
  let elapsed: bigint;
  do {
    run(batch);
    count += batch;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limitNs);
  if (fixes === 0) throw new Error('no fixes decoded: benchmark frames are broken');
  const s = Number(elapsed) / 1e9;
  return { framesPerS: Math.round(count / s), frames: count, seconds: s };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2] ?? '3');
  const r = measureJt808DecodeRate({ seconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 3 });
  process.stdout.write(`${JSON.stringify({ benchmark: 'jt808-decode-rate', ...r })}\n`);
}
