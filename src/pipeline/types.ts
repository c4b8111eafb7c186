// The ingest pipeline's contract with the protocol servers (JT/T 808 TCP, OsmAnd HTTP, JSON API).
// A server decodes, then hands one device's fixes to submitFixes and acknowledges only after it resolves.
import type { DeviceEvent, Fix, Protocol } from '../core/fix';
import type { RejectReason as CoreRejectReason } from '../core/filters';
import type { Jt808RegistrationFacts } from '../ingest/jt808/registration';

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
    /** 'down': the database failed or timed out; 'full': the write queue is full (busy, not broken). */
    readonly reason: 'down' | 'full' = 'down',
  ) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

export interface SubmitOptions {
  /**
   * When the position writer's queue is full: 'wait' (default) for room, bounded in time (a sender that can be
   * slowed down — the JT/T 808 server stops reading its socket meanwhile); 'refuse' at once with
   * StorageUnavailableError and a Retry-After estimate (HTTP answers 503: the client resends later).
   */
  whenFull?: 'wait' | 'refuse';
}

export interface Ingest {
  /** Finds a registered device (cached); undefined when unknown: its data is refused and counted. */
  lookupDevice(protocol: Protocol, identifier: string): Promise<DeviceInfo | undefined>;
  /**
   * Filters and durably stores one device's fixes, in order. Resolves after the database commit; rejects with
   * StorageUnavailableError when the database is down, when the write queue stayed full past the writer's bound,
   * or (with `whenFull: 'refuse'`) when the queue is full (nothing stored, resend later).
   */
  submitFixes(device: DeviceInfo, fixes: Fix[], receivedMs: number, options?: SubmitOptions): Promise<SubmitResult>;
  /** True while the position write queue is full: submissions wait; a server should stop reading from senders. */
  storageFull?(): boolean;
  /** Heartbeats, driver-card events and alarms: recorded (device last seen) and handed to the bus's engine. */
  submitEvents(device: DeviceInfo, events: DeviceEvent[], receivedMs: number): Promise<void>;
  /** What a JT/T 808 registration (0x0100) naming `plate` is decided on, read fresh from the registry. */
  registrationFacts(device: DeviceInfo, plate: string): Promise<Jt808RegistrationFacts>;
  /**
   * Stores a newly issued JT/T 808 auth code (hashed) if the terminal may still register (no code yet, or an open
   * re-registration window, which this uses up); resolves after commit. False when it may not (any more).
   */
  completeRegistration(device: DeviceInfo, authCode: string): Promise<boolean>;
  /** Counts a refused input (unknown device, bad frame …) for /metrics. */
  countRejected(protocol: Protocol, reason: string, n?: number): void;
}
