// Engine state for one bus on one trip. Plain JSON data: checkpoint it with serializeState and
// continue with deserializeState after a restart; the open episodes keep their ids.
import type { Episode } from './events';
import { type BoardingState, initialBoarding } from './rules/over-capacity';
import { type DeviationState, initialDeviation } from './rules/route-deviation';
import { type DeviceState, initialDevice } from './rules/device-monitor';
import { type DriverState, initialDriver } from './rules/driver-credentials';
import { type FatigueState, initialFatigue } from './rules/fatigue';
import { type OffStopState, initialOffStop } from './rules/off-stop-boarding';
import { type OverspeedState, initialOverspeed } from './rules/overspeed';
import { type StopsState, initialStops } from './rules/stops';
import { type RiderCheckState, initialRiderCheck } from './rules/rider-check';

export const STATE_VERSION = 1;

export interface TripStatus {
  status: 'planned' | 'active' | 'ended';
  startedMs: number | null;
  endedMs: number | null;
  mode: 'explicit' | 'auto' | null;
}

export interface LastFix {
  timeMs: number;
  lat: number;
  lon: number;
  x: number;
  y: number;
  /** speed at that fix (GPS or derived), km/h; absent in older checkpoints */
  speedKph?: number | null;
}

export interface EngineState {
  version: number;
  trip: TripStatus;
  /** newest fix taken in time order */
  last: LastFix | null;
  /** newest real-time position or heartbeat (device offline rule) */
  lastSeenMs: number | null;
  progress: { alongM: number | null; distanceM: number; emittedMs: number | null };
  boarding: BoardingState;
  overspeed: OverspeedState;
  deviation: DeviationState;
  offStop: OffStopState;
  fatigue: FatigueState;
  driver: DriverState;
  device: DeviceState;
  stops: StopsState;
  emergency: Episode | null;
  unlicensed: Episode | null;
  noAttendant: Episode | null;
  /** wrong-bus, wrong-stop and unknown-card findings already reported on this trip */
  riders: RiderCheckState;
}

export function createState(): EngineState {
  return {
    version: STATE_VERSION,
    trip: { status: 'planned', startedMs: null, endedMs: null, mode: null },
    last: null,
    lastSeenMs: null,
    progress: { alongM: null, distanceM: 0, emittedMs: null },
    boarding: initialBoarding(),
    overspeed: initialOverspeed(),
    deviation: initialDeviation(),
    offStop: initialOffStop(),
    fatigue: initialFatigue(),
    driver: initialDriver(),
    device: initialDevice(),
    stops: initialStops(),
    emergency: null,
    unlicensed: null,
    noAttendant: null,
    riders: initialRiderCheck(),
  };
}

/**
 * Copy of the top level only, in the canonical field order; the sub-states are shared (the engine
 * replaces them, never modifies them). This is what step does before running an input in place.
 */
export function cloneState(s: EngineState): EngineState {
  return {
    version: s.version,
    trip: s.trip,
    last: s.last,
    lastSeenMs: s.lastSeenMs,
    progress: s.progress,
    boarding: s.boarding,
    overspeed: s.overspeed,
    deviation: s.deviation,
    offStop: s.offStop,
    fatigue: s.fatigue,
    driver: s.driver,
    device: s.device,
    stops: s.stops,
    emergency: s.emergency,
    unlicensed: s.unlicensed,
    noAttendant: s.noAttendant,
    riders: s.riders,
  };
}

/** True when every top-level field of a and b is the same value (sub-states compared by identity). */
export function sameTopLevel(a: EngineState, b: EngineState): boolean {
  return (
    a.trip === b.trip &&
    a.last === b.last &&
    a.lastSeenMs === b.lastSeenMs &&
    a.progress === b.progress &&
    a.boarding === b.boarding &&
    a.overspeed === b.overspeed &&
    a.deviation === b.deviation &&
    a.offStop === b.offStop &&
    a.fatigue === b.fatigue &&
    a.driver === b.driver &&
    a.device === b.device &&
    a.stops === b.stops &&
    a.emergency === b.emergency &&
    a.unlicensed === b.unlicensed &&
    a.noAttendant === b.noAttendant &&
    a.riders === b.riders &&
    a.version === b.version
  );
}

export function serializeState(state: EngineState): string {
  return JSON.stringify(state);
}

export function deserializeState(text: string): EngineState {
  const parsed = JSON.parse(text) as EngineState;
  if (!parsed || typeof parsed !== 'object' || parsed.version !== STATE_VERSION) {
    throw new Error(`unsupported engine state version: ${(parsed as { version?: unknown })?.version}`);
  }
  // Checkpoints written before the rider checks existed.
  parsed.riders ??= initialRiderCheck();
  return parsed;
}

/** Every open episode in the state (for dashboards and tests). */
export function openEpisodes(state: EngineState): Episode[] {
  const all = [
    state.boarding.open,
    state.overspeed.open,
    state.deviation.open,
    state.offStop.doorOpen,
    state.fatigue.preWarning,
    state.fatigue.violation,
    state.driver.credentials,
    state.driver.noDriver,
    state.device.offline,
    state.device.tamper,
    state.emergency,
    state.unlicensed,
    state.noAttendant,
  ];
  return all.filter((e): e is Episode => e !== null && e.status === 'open');
}
