// Splits a TCP byte stream into JT/T 808 wire frames (0x7E … 0x7E).
import { JT808_ESCAPE, JT808_FLAG } from './frame';

/** Largest legal frame: 2019 subpackage header (21) + body (1023) + checksum, all escaped, plus two flags. */
export const JT808_MAX_WIRE_FRAME_BYTES = 2 + 2 * (21 + 1023 + 1);

/** Smallest content between the flags: a 2013 header (12) + checksum. */
const MIN_CONTENT_BYTES = 13;

export interface FrameSplitterOptions {
  /** Maximum wire frame length including both flags; longer runs are discarded as garbage. */
  maxFrameBytes?: number;
}

/**
 * Feed arbitrary chunks with `push`; it returns the complete frames (wire form, flags included)
 * finished by that chunk. Bytes outside frames are counted in `garbageBytes`, as are candidate frames
 * that cannot be JT/T 808 (shorter than a header, or with an invalid 0x7D escape: these resync on
 * their closing flag) and runs longer than `maxFrameBytes`. Frames with a bad checksum are returned:
 * the session handler answers them. Memory stays bounded by `maxFrameBytes`.
 */
export class Jt808FrameSplitter {
  /** Bytes discarded so far. */
  garbageBytes = 0;
  /** Frames returned so far. */
  frames = 0;
  private readonly maxContent: number;
  private readonly buf: Uint8Array;
  private len = 0;
  private inFrame = false;

  constructor(options: FrameSplitterOptions = {}) {
    const max = options.maxFrameBytes ?? JT808_MAX_WIRE_FRAME_BYTES;
    if (!(max >= MIN_CONTENT_BYTES + 2))
      throw new RangeError(`maxFrameBytes must be at least ${MIN_CONTENT_BYTES + 2}`);
    this.maxContent = max - 2;
    this.buf = new Uint8Array(this.maxContent);
  }

  /** Bytes held for an unfinished frame (including its opening flag). */
  get bufferedBytes(): number {
    return this.inFrame ? this.len + 1 : 0;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (!this.inFrame) {
        const open = chunk.indexOf(JT808_FLAG, i);
        if (open < 0) {
          this.garbageBytes += n - i;
          return out;
        }
        this.garbageBytes += open - i;
        this.inFrame = true;
        this.len = 0;
        i = open + 1;
        continue;
      }
      const close = chunk.indexOf(JT808_FLAG, i);
      const stop = close < 0 ? n : close;
      const take = stop - i;
      if (this.len + take > this.maxContent) {
        // Too long to be a frame: drop what we hold and this run, then look for a new opening flag.
        this.garbageBytes += 1 + this.len + take;
        this.inFrame = false;
        this.len = 0;
        i = stop; // the closing flag (if any) is examined again as a possible opening
        continue;
      }
      this.buf.set(chunk.subarray(i, stop), this.len);
      this.len += take;
      if (close < 0) return out;
      i = close + 1;
      if (this.len === 0) {
        // "7E 7E": the first flag closed something we never saw; the second opens the next frame.
        this.garbageBytes += 1;
        continue;
      }
      if (this.plausible()) {
        const frame = new Uint8Array(this.len + 2);
        frame[0] = JT808_FLAG;
        frame.set(this.buf.subarray(0, this.len), 1);
        frame[frame.length - 1] = JT808_FLAG;
        out.push(frame);
        this.frames++;
        this.inFrame = false;
      } else {
        // Not a frame: discard it, and let its closing flag open the next candidate.
        this.garbageBytes += 1 + this.len;
      }
      this.len = 0;
    }
    return out;
  }

  /** Drops any partial frame (counted as garbage), e.g. when the connection closes. */
  flush(): void {
    if (this.inFrame) this.garbageBytes += 1 + this.len;
    this.inFrame = false;
    this.len = 0;
  }

  private plausible(): boolean {
    let unescaped = 0;
    const b = this.buf;
    for (let k = 0; k < this.len; k++) {
      if (b[k] === JT808_ESCAPE) {
        const next = b[k + 1];
        if (k + 1 >= this.len || (next !== 0x01 && next !== 0x02)) return false;
        k++;
      }
      unescaped++;
    }
    return unescaped >= MIN_CONTENT_BYTES;
  }
}
