// Connection-level protection of the JT/T 808 server: the limits, the per-address connection gate and the
// per-connection token bucket (frames per second).

export interface Jt808ServerLimits {
  /** Open connections at most; more are closed at once. Default 20,000. */
  maxConnections: number;
  /** Open connections per remote address at most (carrier NAT puts many terminals behind one). Default 256. */
  maxConnectionsPerAddress: number;
  /** A connection with no traffic for this long is closed. Default 5 minutes. */
  idleTimeoutMs: number;
  /** Bytes outside frames since the last good frame before the connection is closed. Default 4,096. */
  maxGarbageBytes: number;
  /** Unreadable frames (bad checksum, bad escape …) in a row before the connection is closed. Default 16. */
  maxBadFrames: number;
  /** Token bucket per connection: sustained frames per second … Default 50. */
  framesPerS: number;
  /** … and burst size. Default 500 (a terminal back-filling its blind-area store sends many at once). */
  burstFrames: number;
  /** Frames waiting for the drain loop at most; reading pauses above it. Default 512. */
  maxPendingFrames: number;
  /** Frames handed to the ingest in one submission at most. Default 256. */
  maxBatchFrames: number;
  /** Unsent output bytes at most before the peer is considered dead. Default 1 MiB. */
  maxWriteBufferBytes: number;
}

export const DEFAULT_JT808_LIMITS: Jt808ServerLimits = {
  maxConnections: 20_000,
  maxConnectionsPerAddress: 256,
  idleTimeoutMs: 5 * 60_000,
  maxGarbageBytes: 4096,
  maxBadFrames: 16,
  framesPerS: 50,
  burstFrames: 500,
  maxPendingFrames: 512,
  maxBatchFrames: 256,
  maxWriteBufferBytes: 1 << 20,
};

/** Counts open connections, in total and per remote address, against the limits. */
export class ConnectionGate {
  private readonly perAddress = new Map<string, number>();
  private open = 0;

  constructor(private readonly limits: Pick<Jt808ServerLimits, 'maxConnections' | 'maxConnectionsPerAddress'>) {}

  get openConnections(): number {
    return this.open;
  }

  /** Connections already open from `address`. */
  fromAddress(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** Takes a place for a new connection from `address`; false when a limit is reached. */
  admit(address: string): boolean {
    const n = this.fromAddress(address);
    if (this.open >= this.limits.maxConnections || n >= this.limits.maxConnectionsPerAddress) return false;
    this.perAddress.set(address, n + 1);
    this.open++;
    return true;
  }

  /** Gives back the place of a closed connection. */
  release(address: string): void {
    this.open--;
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, n);
  }
}

/** Frames per second for one connection: `burstFrames` at once, refilled at `framesPerS`. */
export class FrameTokenBucket {
  private tokens: number;
  private lastRefillMs: number;

  constructor(
    private readonly limits: Pick<Jt808ServerLimits, 'framesPerS' | 'burstFrames'>,
    nowMs: number,
  ) {
    this.tokens = limits.burstFrames;
    this.lastRefillMs = nowMs;
  }

  refill(nowMs: number): void {
    this.tokens = Math.min(
      this.limits.burstFrames,
      this.tokens + ((nowMs - this.lastRefillMs) / 1000) * this.limits.framesPerS,
    );
    this.lastRefillMs = nowMs;
  }

  /** Takes one frame's token; false when the connection is over its rate. */
  take(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
