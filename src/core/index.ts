// Public API of the pure safety engine.
export type { Fix, DeviceEvent, AlarmName } from './fix';
export type { TripContext, DriverRecord, BusInfo, AttendantInfo, Id } from './context';
export type { EngineInput, DriverCardInput, BoardingInput } from './inputs';
export { driverCardInput, inputTimeMs } from './inputs';
export type {
  EngineEvent,
  ViolationEvent,
  StopEvent,
  ProgressEvent,
  ArrivedAtSchoolEvent,
  TripLifecycleEvent,
  Episode,
  ViolationKind,
  Severity,
  Position,
} from './events';
export type { EngineState } from './state';
export { createState, cloneState, serializeState, deserializeState, openEpisodes } from './state';
export { step, stepMany, stepInPlace, type StepResult } from './engine';
export { prepareRoute, type PreparedRoute, type RouteInput, type StopDef, type ZoneDef, type RoadClass } from './route';
export { shouldAutoStartTrip, locateOnRoute } from './trip-matching';
export { CN_2012, PRESETS, getPreset, mergeConfig, type RuleConfig, type ConfigOverride } from './presets/index';
export { episodeId } from './episodes';
