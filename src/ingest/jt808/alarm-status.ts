// JT/T 808 alarm DWORD → named alarms, and the status DWORD bits the platform uses.
import type { AlarmName } from '../../core/fix';
import type { Jt808HeaderVersion } from './header';

/** 2013 alarm bits. Bits 15-17 are reserved in 2013; bit 31 is reserved in 2019. */
const ALARMS_2013: (AlarmName | undefined)[] = [
  'sos', // 0
  'overspeed', // 1
  'fatigue', // 2
  'danger', // 3
  'gnssFault', // 4
  'gnssAntennaCut', // 5
  'gnssAntennaShort', // 6
  'powerUndervoltage', // 7
  'powerLost', // 8
  'displayFault', // 9
  'ttsFault', // 10
  'cameraFault', // 11
  'icCardFault', // 12
  'overspeedWarning', // 13
  'fatigueWarning', // 14
  undefined, // 15
  undefined, // 16
  undefined, // 17
  'drivingTimeout', // 18
  'parkingTimeout', // 19
  'areaInOut', // 20
  'routeInOut', // 21
  'routeTimeAbnormal', // 22
  'routeDeviation', // 23
  'vssFault', // 24
  'fuelAbnormal', // 25
  'vehicleStolen', // 26
  'illegalIgnition', // 27
  'illegalMove', // 28
  'collision', // 29
  'rollover', // 30
  'illegalDoorOpen', // 31
];

const ALARMS_2019: (AlarmName | undefined)[] = ALARMS_2013.slice();
ALARMS_2019[15] = 'illegalDriving';
ALARMS_2019[16] = 'tyrePressureWarning';
ALARMS_2019[17] = 'rightTurnBlindSpot';
ALARMS_2019[31] = undefined;

/**
 * Named alarms for an alarm DWORD. The 2019 table applies to 2019 headers; everything else uses
 * 2013 (reserved bits produce no name; the raw word stays in the `alarmFlags` attribute).
 */
export function alarmNamesFromFlags(flags: number, version: Jt808HeaderVersion): AlarmName[] {
  const out: AlarmName[] = [];
  if (flags === 0) return out;
  const table = version === 2019 ? ALARMS_2019 : ALARMS_2013;
  for (let bit = 0; bit < 32; bit++) {
    if ((flags >>> bit) & 1) {
      const name = table[bit];
      if (name !== undefined) out.push(name);
    }
  }
  return out;
}

/** Inverse mapping for building frames (tests, simulators). Unknown names are ignored. */
export function alarmFlagsFromNames(names: readonly AlarmName[], version: Jt808HeaderVersion): number {
  const table = version === 2019 ? ALARMS_2019 : ALARMS_2013;
  let flags = 0;
  for (const n of names) {
    const bit = table.indexOf(n);
    if (bit >= 0) flags |= 1 << bit;
  }
  return flags >>> 0;
}

export const STATUS_ACC = 1 << 0;
export const STATUS_FIX = 1 << 1;
export const STATUS_SOUTH = 1 << 2;
export const STATUS_WEST = 1 << 3;
export const STATUS_OUT_OF_SERVICE = 1 << 4;
export const STATUS_COORDS_ENCRYPTED = 1 << 5;
/** Door 1 (front), door 2 (middle), door 3 (rear): the passenger doors. */
export const STATUS_DOOR_FRONT = 1 << 13;
export const STATUS_DOOR_MIDDLE = 1 << 14;
export const STATUS_DOOR_REAR = 1 << 15;
export const STATUS_PASSENGER_DOORS = STATUS_DOOR_FRONT | STATUS_DOOR_MIDDLE | STATUS_DOOR_REAR;
/** 2019 only: vehicle moving. */
export const STATUS_MOVING_2019 = 1 << 22;
