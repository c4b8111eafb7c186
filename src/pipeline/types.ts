// The ingest pipeline's contract with the protocol servers (JT/T 808 TCP, OsmAnd HTTP, JSON API).
// A server decodes, then hands one device's fixes to submitFixes and acknowledges only after it resolves.
import type { DeviceEvent, Fix, Protocol } from '../core/fix';
import type { RejectReason as CoreRejectReason } from '../core/filters';

export interface DeviceInfo {
  /** Registry id of the device. */
  deviceId: number;
  /** The bus the device is fitted to; a device without a bus has its positions refused. */
  busId: number | null;
  schoolId: number;
  protocol: Protocol;
  /** Terminal phone number (JT/T 808, normalized without leading zeros) or app / partner id. */
  identifier: string;
  /** Offset of the device's local clock from UTC (JT/T 808 BCD times; 480 = GMT+8). */
  tzOffsetMin: number;
  /** SHA-256 hex of the current auth code / secret, or null. */
  secretHash: string | null;
}

export type FixOutcome =
  | { status: 'accepted'; late: boolean }
  /** Already stored (same device and time): acknowledged again, stored once. */
  | { status: 'duplicate' }
  | { status: 'rejected'; reason: RejectReason };

/**
 * The filters' reasons (src/core/filters.ts), a device fitted to no bus, and a row the database refused for its data
 * (isolated from its batch; the database's message is logged and kept in rejected_fixes).
 */
export type RejectReason = Exclude<CoreRejectReason, 'duplicate'> | 'no_bus' | 'database_refused';

export interface SubmitResult {
  /** One outcome per submitted fix, in the same order. */
  outcomes: FixOutcome[];
}

/** Storage is down or saturated: nothing of this call was stored; the device should keep its data and resend. */
export class StorageUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterS = 5,
  ) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

export interface Ingest {
  /** Finds a registered device (cached); undefined when unknown: its data is refused and counted. */
  lookupDevice(protocol: Protocol, identifier: string): Promise<DeviceInfo | undefined>;
  /**
   * Filters and durably stores one device's fixes, in order. Resolves after the database commit; rejects with
   * StorageUnavailableError when the database is down or the write queue is full (nothing stored, resend later).
   */
  submitFixes(device: DeviceInfo, fixes: Fix[], receivedMs: number): Promise<SubmitResult>;
  /** Heartbeats, driver-card events and alarms: recorded (device last seen) and handed to the bus's engine. */
  submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void>;
  /** Stores a new JT/T 808 auth code for a terminal (hashed); resolves after commit. */
  saveAuthCode(device: DeviceInfo, authCode: string): Promise<void>;
  /** Counts a refused input (unknown device, bad frame …) for /metrics. */
  countRejected(protocol: Protocol, reason: string, n?: number): void;
}
