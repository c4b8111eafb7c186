import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeJt808Frame, Jt808FrameSplitter, toHex } from '../../../src/ingest/jt808';
import { loadFrameRows, vector } from './fixture-files';
import { hexBytes } from './helpers';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Valid wire frames from the fixtures (including ones with escapes and bad checksums). */
const validFrames = loadFrameRows()
  .filter((r) => !r.msgId.startsWith('n/a'))
  .map((r) => hexBytes(r.wireHex));

describe('Jt808FrameSplitter', () => {
  it('returns frames split across reads and several frames per read', () => {
    const a = hexBytes(vector('V1'));
    const b = hexBytes(vector('V5'));
    const sp = new Jt808FrameSplitter();
    expect(sp.push(a.subarray(0, 10))).toEqual([]);
    const out = sp.push(concat([a.subarray(10), b, b.subarray(0, 3)]));
    expect(out.map((f) => toHex(f))).toEqual([toHex(a), toHex(b)]);
    expect(sp.push(b.subarray(3)).map((f) => toHex(f))).toEqual([toHex(b)]);
    expect(sp.garbageBytes).toBe(0);
  });

  it('counts garbage between frames and resyncs on flags inside garbage', () => {
    const a = hexBytes(vector('V5'));
    const garbage = Uint8Array.from([0x01, 0x02, 0x7e, 0x03, 0x7e, 0x7e, 0x55]);
    const sp = new Jt808FrameSplitter();
    const out = sp.push(concat([garbage, a, Uint8Array.from([9, 9]), a]));
    expect(out.map((f) => toHex(f))).toEqual([toHex(a), toHex(a)]);
    expect(sp.garbageBytes).toBe(garbage.length + 2);
  });

  it('discards runs longer than the maximum frame and keeps working', () => {
    const sp = new Jt808FrameSplitter({ maxFrameBytes: 64 });
    const long = new Uint8Array(500).fill(0x11);
    long[0] = 0x7e;
    const a = hexBytes(vector('V5'));
    const out = sp.push(concat([long, a]));
    expect(out.map((f) => toHex(f))).toEqual([toHex(a)]);
    expect(sp.garbageBytes).toBe(500);
    expect(sp.bufferedBytes).toBe(0);
  });

  it('never buffers more than the maximum frame length', () => {
    const sp = new Jt808FrameSplitter({ maxFrameBytes: 100 });
    const chunk = new Uint8Array(37).fill(0x22);
    chunk[0] = 0x7e;
    for (let i = 0; i < 50; i++) {
      sp.push(chunk);
      expect(sp.bufferedBytes).toBeLessThanOrEqual(100);
    }
  });

  it('splitting a stream of valid frames at every byte offset yields the same frames', () => {
    const stream = concat(validFrames.slice(0, 6));
    const expected = validFrames.slice(0, 6).map((f) => toHex(f));
    for (let cut = 0; cut <= stream.length; cut++) {
      const sp = new Jt808FrameSplitter();
      const got = [...sp.push(stream.subarray(0, cut)), ...sp.push(stream.subarray(cut))];
      expect(got.map((f) => toHex(f))).toEqual(expected);
      expect(sp.garbageBytes).toBe(0);
    }
  });

  it('property: any chunking of any sequence of frames yields those frames', () => {
    const frameArb = fc.oneof(
      fc.constantFrom(...validFrames),
      fc
        .record({
          msgId: fc.integer({ min: 0, max: 0xffff }),
          serial: fc.integer({ min: 0, max: 0xffff }),
          body: fc.uint8Array({ maxLength: 300 }),
          v2019: fc.boolean(),
        })
        .map((r) =>
          encodeJt808Frame(
            { msgId: r.msgId, phone: '13912345678', serial: r.serial, version: r.v2019 ? 2019 : 2013 },
            r.body,
          ),
        ),
    );
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (frames, sizes) => {
          const stream = concat(frames);
          const sp = new Jt808FrameSplitter();
          const got: Uint8Array[] = [];
          let o = 0;
          let k = 0;
          while (o < stream.length) {
            const n = sizes[k++ % sizes.length]!;
            got.push(...sp.push(stream.subarray(o, o + n)));
            o += n;
          }
          expect(got.map((f) => toHex(f))).toEqual(frames.map((f) => toHex(f)));
          expect(sp.garbageBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary bytes never throw, and returned frames are flag-delimited', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const sp = new Jt808FrameSplitter({ maxFrameBytes: 128 });
        let total = 0;
        let framed = 0;
        for (const c of chunks) {
          total += c.length;
          for (const f of sp.push(c)) {
            framed += f.length;
            expect(f[0]).toBe(0x7e);
            expect(f[f.length - 1]).toBe(0x7e);
            expect(f.length).toBeLessThanOrEqual(128);
          }
        }
        // Every byte is accounted for exactly once: in a frame, discarded, or held for the next read.
        expect(framed + sp.garbageBytes + sp.bufferedBytes).toBe(total);
      }),
      { numRuns: 300 },
    );
  });
});
