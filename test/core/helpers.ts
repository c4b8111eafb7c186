// Synthetic routes and timelines for engine tests, in a local metric frame around a city centre.
import type { Fix } from '../../src/core/fix';
import type { TripContext, DriverRecord } from '../../src/core/context';
import type { EngineEvent, ViolationEvent, ViolationKind } from '../../src/core/events';
import type { EngineInput } from '../../src/core/inputs';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { mergeConfig, type ConfigOverride } from '../../src/core/presets/index';
import { prepareRoute, type StopDef, type ZoneDef } from '../../src/core/route';
import { createState, type EngineState } from '../../src/core/state';
import { step } from '../../src/core/engine';

export const ORIGIN = { lat: 31.23, lon: 121.47 };
const M_PER_DEG_LAT = 6_371_008.8 * (Math.PI / 180);
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((ORIGIN.lat * Math.PI) / 180);

export function ll(xM: number, yM: number): [number, number] {
  return [ORIGIN.lon + xM / M_PER_DEG_LON, ORIGIN.lat + yM / M_PER_DEG_LAT];
}

/** Straight path east along y = 0, one vertex every stepM. */
export function straightPath(lengthM: number, stepM = 100): [number, number][] {
  const out: [number, number][] = [];
  for (let x = 0; x <= lengthM; x += stepM) out.push(ll(x, 0));
  return out;
}

export const T0 = Date.UTC(2025, 2, 3, 0, 0, 0); // 08:00 local (UTC+8)

export const GOOD_DRIVER: DriverRecord = {
  id: 'd1',
  name: 'Driver One',
  birthDate: '1985-05-01',
  licenceClass: 'A1',
  licensedSince: '2010-01-01',
  schoolBusEndorsement: true,
  qualificationCertificateNo: 'Q1',
  qualificationExpiry: '2027-01-01',
  annualReviewDue: '2025-12-31',
  idCardNo: 'ID1',
};

export interface CtxOptions {
  lengthM?: number;
  path?: [number, number][];
  stops?: StopDef[];
  zones?: ZoneDef[];
  config?: ConfigOverride;
  capacity?: number;
  seats?: number;
  lowVisibility?: boolean;
  drivers?: DriverRecord[];
  assignedDriverId?: string;
  attendant?: TripContext['attendant'];
  bus?: Partial<TripContext['bus']>;
}

export function makeCtx(o: CtxOptions = {}): TripContext {
  const path = o.path ?? straightPath(o.lengthM ?? 20_000);
  return {
    busId: 7,
    tripId: 't1',
    routeId: 'r1',
    route: prepareRoute({ id: 'r1', path, stops: o.stops, zones: o.zones }),
    bus: {
      id: 7,
      seats: o.seats ?? 40,
      approvedCapacity: o.capacity ?? 40,
      signValidUntil: '2025-12-31',
      inspectionValidUntil: '2025-12-31',
      ...o.bus,
    },
    assignedDriverId: o.assignedDriverId ?? 'd1',
    attendant: o.attendant === undefined ? { id: 'a1', checkedIn: true } : o.attendant,
    drivers: o.drivers ?? [GOOD_DRIVER],
    config: mergeConfig(CN_2012, o.config),
    lowVisibility: o.lowVisibility,
    plannedStartMs: T0,
    plannedEndMs: T0 + 3600_000,
  };
}

export function fix(tS: number, xM: number, yM: number, speedKph?: number, extra: Partial<Fix> = {}): Fix {
  const [lon, lat] = ll(xM, yM);
  return {
    deviceId: 'dev7',
    protocol: 'json',
    timeMs: T0 + tS * 1000,
    lat,
    lon,
    speedKph,
    valid: true,
    alarms: [],
    attributes: {},
    ...extra,
  };
}

export function fixIn(f: Fix, late?: boolean): EngineInput {
  return late ? { type: 'fix', fix: f, late } : { type: 'fix', fix: f };
}

export const START: EngineInput = { type: 'tripStart', timeMs: T0 };

/** Runs inputs from a fresh (or given) state; returns the final state and all events. */
export function run(
  ctx: TripContext,
  inputs: EngineInput[],
  state: EngineState = createState(),
): { state: EngineState; events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  let s = state;
  for (const input of inputs) {
    const r = step(s, input, ctx);
    s = r.state;
    events.push(...r.events);
  }
  return { state: s, events };
}

export function violations(events: EngineEvent[], kind?: ViolationKind): ViolationEvent[] {
  return events.filter(
    (e): e is ViolationEvent =>
      e.type.startsWith('violation.') && (kind === undefined || (e as ViolationEvent).kind === kind),
  );
}

export function opened(events: EngineEvent[], kind?: ViolationKind): ViolationEvent[] {
  return violations(events, kind).filter((e) => e.type === 'violation.opened');
}

export function closed(events: EngineEvent[], kind?: ViolationKind): ViolationEvent[] {
  return violations(events, kind).filter((e) => e.type === 'violation.closed');
}

/** Drive along y = yM at speedKph, one fix every dtS, from tS for durationS; x advances with the speed. */
export function drive(opts: {
  fromS: number;
  durationS: number;
  speedKph: number;
  dtS?: number;
  x0?: number;
  yM?: number;
  gps?: boolean;
}): Fix[] {
  const dt = opts.dtS ?? 1;
  const out: Fix[] = [];
  const mps = opts.speedKph / 3.6;
  for (let t = 0; t <= opts.durationS; t += dt) {
    out.push(
      fix(opts.fromS + t, (opts.x0 ?? 0) + mps * t, opts.yM ?? 0, opts.gps === false ? undefined : opts.speedKph),
    );
  }
  return out;
}
