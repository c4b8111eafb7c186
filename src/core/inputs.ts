// Everything the engine consumes for one bus, in time order.
import type { AlarmName, DeviceEvent, Fix } from './fix';

export type EngineInput =
  | {
      type: 'fix';
      fix: Fix;
      /** set by the filters when the fix is older than the bus's newest accepted one */
      late?: boolean;
    }
  | { type: 'heartbeat'; timeMs: number }
  | DriverCardInput
  | BoardingInput
  | { type: 'alarm'; timeMs: number; alarms: AlarmName[]; lat?: number; lon?: number; source?: string }
  | { type: 'tick'; nowMs: number }
  | { type: 'tripStart'; timeMs: number }
  | { type: 'tripEnd'; timeMs: number; sweepConfirmed?: boolean };

export interface DriverCardInput {
  type: 'driverCard';
  timeMs: number;
  inserted: boolean;
  /** roster id when the pipeline already resolved the card */
  driverId?: string;
  driverName?: string;
  certificateNo?: string;
  certificateExpiry?: string;
  idCardNo?: string;
  readResult?: number;
}

/** One attendant record: head counts (per-student check-ins are records of 1). */
export interface BoardingInput {
  type: 'boarding';
  timeMs: number;
  boarded: number;
  alighted: number;
  lat?: number;
  lon?: number;
  stopId?: string;
  recordId?: string;
  /** the student of a per-student record (registry id) */
  studentId?: string;
  /** a card read that matched no student of the school */
  unknownCardId?: string;
}

/** Maps a decoded driver-card device event to an engine input. */
export function driverCardInput(ev: Extract<DeviceEvent, { type: 'driverCard' }>, timeMs: number): DriverCardInput {
  return {
    type: 'driverCard',
    timeMs: ev.timeMs ?? timeMs,
    inserted: ev.inserted,
    driverName: ev.driverName,
    certificateNo: ev.certificateNo,
    certificateExpiry: ev.certificateExpiry,
    idCardNo: ev.idCardNo,
    readResult: ev.readResult,
  };
}

export function inputTimeMs(input: EngineInput): number {
  switch (input.type) {
    case 'fix':
      return input.fix.timeMs;
    case 'tick':
      return input.nowMs;
    default:
      return input.timeMs;
  }
}
