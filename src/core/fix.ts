// Normalized telematics input, shared by every decoder, the pipeline and the engine.
// Pure types: no I/O, no clock. Times are epoch milliseconds UTC; units are in the names.

export type Protocol = 'jt808' | 'osmand' | 'json';

export type AttributeValue = string | number | boolean;

/** Named alarm flags, protocol-neutral. Decoders map their bit fields onto these names. */
export type AlarmName =
  | 'sos'
  | 'overspeed'
  | 'fatigue'
  | 'danger'
  | 'gnssFault'
  | 'gnssAntennaCut'
  | 'gnssAntennaShort'
  | 'powerUndervoltage'
  | 'powerLost'
  | 'displayFault'
  | 'ttsFault'
  | 'cameraFault'
  | 'icCardFault'
  | 'overspeedWarning'
  | 'fatigueWarning'
  | 'drivingTimeout'
  | 'parkingTimeout'
  | 'areaInOut'
  | 'routeInOut'
  | 'routeTimeAbnormal'
  | 'routeDeviation'
  | 'vssFault'
  | 'fuelAbnormal'
  | 'vehicleStolen'
  | 'illegalIgnition'
  | 'illegalMove'
  | 'collision'
  | 'rollover'
  | 'illegalDoorOpen'
  // JT/T 808-2019 alarm bits 15-17 (reserved in 2013).
  | 'illegalDriving'
  | 'tyrePressureWarning'
  | 'rightTurnBlindSpot'
  | (string & {});

export interface Fix {
  /** Protocol-level device identifier: JT/T 808 terminal phone number, OsmAnd id, JSON device id. */
  deviceId: string;
  protocol: Protocol;
  /** Registry id of the bus, filled by the pipeline once the device is resolved. */
  busId?: number;
  /** Device time, epoch ms UTC. */
  timeMs: number;
  /** Server receive time, epoch ms UTC; filled by the runtime adapter (decoders leave it unset). */
  receivedMs?: number;
  lat: number;
  lon: number;
  /** Absent when the device did not say; never defaulted to 0. */
  speedKph?: number;
  headingDeg?: number;
  altitudeM?: number;
  accuracyM?: number;
  satellites?: number;
  /** False when the device reports no GNSS fix (JT/T 808 status bit 1 clear). */
  valid: boolean;
  alarms: AlarmName[];
  /** Ignition / ACC on. */
  acc?: boolean;
  /** Any passenger door open (JT/T 808 status bit 13 = front door). */
  doorOpen?: boolean;
  /** Uploaded from the device's blind-area store (JT/T 808 0x0704 type 1). */
  blindArea?: boolean;
  attributes: Record<string, AttributeValue>;
}

/** Inputs from devices that are not positions. */
export type DeviceEvent =
  | { type: 'heartbeat'; deviceId: string; protocol: Protocol; timeMs?: number }
  | {
      type: 'driverCard';
      deviceId: string;
      protocol: Protocol;
      /** true = card inserted / driver signed on, false = card removed. */
      inserted: boolean;
      timeMs?: number;
      /** Card read result (JT/T 808 0x0702: 0 ok; others are read failures). */
      readResult?: number;
      driverName?: string;
      /** Qualification certificate number (从业资格证号). */
      certificateNo?: string;
      issuer?: string;
      /** Certificate expiry as YYYY-MM-DD. */
      certificateExpiry?: string;
      /** Driver's ID-card number when the card carries it (2019). */
      idCardNo?: string;
    }
  | { type: 'alarm'; deviceId: string; protocol: Protocol; timeMs?: number; alarms: AlarmName[]; text?: string }
  | { type: 'register'; deviceId: string; protocol: Protocol; attributes: Record<string, AttributeValue> }
  | {
      type: 'authenticate';
      deviceId: string;
      protocol: Protocol;
      authCode: string;
      imei?: string;
      softwareVersion?: string;
    }
  | { type: 'unregister'; deviceId: string; protocol: Protocol };

export interface DecodeError {
  code: string;
  message: string;
}

export interface DecodeResult<Reply = Uint8Array> {
  fixes: Fix[];
  events: DeviceEvent[];
  replies: Reply[];
  errors: DecodeError[];
}
