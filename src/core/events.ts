// Events the engine emits. Violation events carry a full snapshot of the episode, so the store can
// upsert one row per episode id from any of them (opened, updated or closed).
import type { Id } from './context';

export type ViolationKind =
  | 'overspeed'
  | 'overCapacity'
  | 'routeDeviation'
  | 'offStopBoarding'
  | 'fatigue'
  | 'fatiguePreWarning'
  | 'driverCredentials'
  | 'noDriver'
  | 'deviceOffline'
  | 'deviceTampered'
  | 'unlicensedBus'
  | 'noAttendant'
  | 'childLeftOnBoard'
  | 'emergency'
  /** drove through a stop where children wait without stopping (minor) */
  | 'stopSkipped'
  /** a child who does not ride this route boarded the bus */
  | 'wrongBus'
  /** a rider got on or off at a stop that is not theirs */
  | 'wrongStop'
  /** a card of no student of the school was read on the bus */
  | 'unknownCard';

export type Severity = 'critical' | 'major' | 'minor';

export interface Position {
  lat: number;
  lon: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One violation episode as kept in the engine state. Plain JSON data. */
export interface Episode {
  id: string;
  kind: ViolationKind;
  severity: Severity;
  status: 'open' | 'closed';
  startMs: number;
  /** set once closed */
  endMs?: number;
  /** time of the latest input that touched the episode */
  lastMs: number;
  /** peak of the measured value (speed km/h, distance m, onboard count, driving seconds…) */
  peakValue?: number;
  /** the limit the value was checked against */
  limit?: number;
  unit?: string;
  startPosition?: Position;
  endPosition?: Position;
  evidence: Record<string, JsonValue>;
}

export interface ViolationEvent extends Episode {
  type: 'violation.opened' | 'violation.updated' | 'violation.closed';
  /** time of the input that caused this event */
  timeMs: number;
  busId: Id;
  tripId: Id;
  routeId: Id;
  driverId: string | null;
}

interface TripRef {
  timeMs: number;
  busId: Id;
  tripId: Id;
  routeId: Id;
}

export interface StopEvent extends TripRef {
  type: 'stop.arrived' | 'stop.departed' | 'stop.missed';
  stopId: string;
  sequence: number;
  name?: string;
  arrivedMs?: number;
  departedMs?: number;
  dwellS?: number;
  position?: Position;
  /** no fix fell inside the radius: times inferred between two sparse fixes */
  inferred?: boolean;
  /** inferred: whether the bus stopped there or drove through */
  stopped?: boolean;
}

export interface ArrivedAtSchoolEvent extends TripRef {
  type: 'trip.arrivedAtSchool';
  stopId: string;
  sequence: number;
}

export interface ProgressEvent extends TripRef {
  type: 'trip.progress';
  progressM: number;
  /** 0..1 of the route length */
  fraction: number;
  distanceFromRouteM: number;
  speedKph: number | null;
  position: Position;
  /** next stop not yet arrived at, if any (while dwelling: the stop after the one the bus is at) */
  nextStopId: string | null;
  /** the stop the bus is dwelling at (arrived, not yet departed), if any */
  atStopId: string | null;
  /**
   * Stops not yet served, in route order: the stop the bus is at (until its departure), then every stop not yet
   * arrived at or passed. Empty only once the last stop is departed (or passed).
   */
  remainingStopIds: string[];
}

export interface TripLifecycleEvent extends TripRef {
  type: 'trip.started' | 'trip.ended';
  mode?: 'explicit' | 'auto';
}

/** A driver's continuous-driving block handed back when they leave the bus or the trip ends (R5, per driver and day). */
export interface DriverFatigueEvent extends TripRef {
  type: 'driver.fatigue';
  driverId: string;
  drivingSinceMs: number | null;
  stoppedSinceMs: number | null;
  /** time of the latest fix in the block */
  lastMs: number;
}

/**
 * The verdict on one attendant record that names the wrong bus, the wrong stop or an unknown card (one per record,
 * also when the episode was reported earlier on the trip): what the attendant is warned of.
 */
export interface RiderFindingEvent extends TripRef {
  type: 'rider.finding';
  kind: 'wrongBus' | 'wrongStop' | 'unknownCard';
  recordId: string | null;
  studentId: string | null;
  cardId: string | null;
  stopId: string | null;
  assignedStopId: string | null;
  boarded: boolean;
}

export type EngineEvent =
  | ViolationEvent
  | StopEvent
  | ArrivedAtSchoolEvent
  | ProgressEvent
  | TripLifecycleEvent
  | DriverFatigueEvent
  | RiderFindingEvent;
