import { describe, expect, it } from 'vitest';
import { shouldAutoStartTrip, locateOnRoute } from '../../src/core/trip-matching';
import { prepareRoute } from '../../src/core/route';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { projectX, projectY } from '../../src/core/geo/projection';
import { ll, makeCtx, fix, fixIn, START, run, T0 } from './helpers';
import type { EngineEvent, ProgressEvent, StopEvent } from '../../src/core/events';
import type { EngineInput } from '../../src/core/inputs';

const stopAt = (id: string, seq: number, x: number, y = 0) => ({
  id,
  sequence: seq,
  name: id,
  lat: ll(x, y)[1],
  lon: ll(x, y)[0],
});
const stopEvents = (ev: EngineEvent[]) =>
  ev
    .filter((e) => e.type.startsWith('stop.') || e.type === 'trip.arrivedAtSchool')
    .map((e) => `${e.type}:${(e as StopEvent).stopId}`);

describe('stop events', () => {
  const stops = [stopAt('A', 1, 500), stopAt('B', 2, 1500), stopAt('C', 3, 2500), stopAt('S', 4, 4000)];

  it('arrive, dwell with jitter at the radius edge, depart, miss, arrive at school', () => {
    const inputs: EngineInput[] = [START];
    let t = 0;
    for (let x = 0; x <= 460; x += 20) inputs.push(fixIn(fix(t++, x, 0, 36)));
    // dwell at A with jitter around 50–65 m (inside radius + depart margin)
    for (const d of [45, 55, 49, 60, 51, 48, 65, 10]) inputs.push(fixIn(fix(t++, 500 - d, 0, 0)));
    for (let x = 600; x <= 1400; x += 100) inputs.push(fixIn(fix(t++, x, 0, 36)));
    // B: passes at 80 m lateral, never within 50 m → missed
    for (let x = 1400; x <= 1800; x += 20) inputs.push(fixIn(fix(t++, x, 80, 36)));
    for (let x = 1900; x <= 2500; x += 100) inputs.push(fixIn(fix(t++, x, 0, 36)));
    for (let x = 2600; x <= 4000; x += 100) inputs.push(fixIn(fix(t++, x, 0, 36)));
    const { events } = run(makeCtx({ stops }), inputs);
    expect(stopEvents(events)).toEqual([
      'stop.arrived:A',
      'stop.departed:A',
      'stop.missed:B',
      'stop.arrived:C',
      'stop.departed:C',
      'stop.arrived:S',
      'trip.arrivedAtSchool:S',
    ]);
    const dep = events.find((e) => e.type === 'stop.departed') as StopEvent;
    expect(dep.dwellS).toBeGreaterThan(5);
  });

  it('emits trip.progress with metres and fraction', () => {
    const { events } = run(makeCtx({ stops, lengthM: 4000 }), [
      START,
      fixIn(fix(0, 1000, 5, 36)),
      fixIn(fix(1, 1010, 5, 36)),
      fixIn(fix(5, 2000, -5, 36)),
    ]);
    const p = events.filter((e): e is ProgressEvent => e.type === 'trip.progress');
    expect(p).toHaveLength(2);
    expect(p[1]!.progressM).toBeCloseTo(2000, 0);
    expect(p[1]!.fraction).toBeCloseTo(0.5, 3);
    expect(p[1]!.nextStopId).toBe('C'); // A and B were passed by without arriving
    expect(stopEvents(events)).toEqual(['stop.missed:A', 'stop.missed:B']);
  });
});

describe('trip matching and progress', () => {
  // A route that drives east along y=0 for 2 km, north 400 m, back west along y=20 (the same street,
  // other carriageway) for 2 km: the street is driven twice.
  const path: [number, number][] = [];
  for (let x = 0; x <= 2000; x += 50) path.push(ll(x, 0));
  for (let y = 50; y <= 400; y += 50) path.push(ll(2000, y));
  for (let y = 350; y >= 20; y -= 50) path.push(ll(1950, y));
  for (let x = 1900; x >= 0; x -= 50) path.push(ll(x, 20));
  const route = prepareRoute({ id: 'loop', path });
  const proj = route.geometry.projection;

  it('follows the pass the bus is on, not the nearest segment', () => {
    let along: number | null = null;
    const outward: number[] = [];
    for (let x = 0; x <= 2000; x += 25) {
      const [lon, lat] = ll(x, 12); // 12 m north: nearer the return carriageway (y=20) than the outward one
      const m = locateOnRoute(route.geometry, projectX(proj, lon), projectY(proj, lat), along, 2, CN_2012);
      along = m.alongM;
      outward.push(along!);
    }
    for (let i = 1; i < outward.length; i++) expect(outward[i]).toBeGreaterThanOrEqual(outward[i - 1]!);
    expect(outward[outward.length - 1]).toBeLessThan(2100);
    // and the return pass continues from there
    let m = { alongM: along, distanceM: 0 } as ReturnType<typeof locateOnRoute>;
    for (let y = 50; y <= 400; y += 50)
      m = locateOnRoute(
        route.geometry,
        projectX(proj, ll(2000, y)[0]),
        projectY(proj, ll(2000, y)[1]),
        m.alongM,
        5,
        CN_2012,
      );
    for (let x = 1950; x >= 1000; x -= 50)
      m = locateOnRoute(
        route.geometry,
        projectX(proj, ll(x, 12)[0]),
        projectY(proj, ll(x, 12)[1]),
        m.alongM,
        5,
        CN_2012,
      );
    expect(m.alongM!).toBeGreaterThan(3000);
  });

  it('auto start decision: on route, moving, inside the planned window', () => {
    const cfg = CN_2012.tripStart;
    const base = { timeMs: T0, speedKph: 20, distanceToRouteM: 30, plannedStartMs: T0, plannedEndMs: T0 + 3600_000 };
    expect(shouldAutoStartTrip(base, cfg)).toBe(true);
    expect(shouldAutoStartTrip({ ...base, speedKph: 0 }, cfg)).toBe(false);
    expect(shouldAutoStartTrip({ ...base, distanceToRouteM: 500 }, cfg)).toBe(false);
    expect(shouldAutoStartTrip({ ...base, timeMs: T0 - 31 * 60_000 }, cfg)).toBe(false);
    expect(shouldAutoStartTrip({ ...base, plannedStartMs: undefined }, cfg)).toBe(false);
  });

  it('the engine starts the trip automatically when the bus moves onto its route', () => {
    const { events, state } = run(makeCtx(), [
      fixIn(fix(-60, 0, 0, 0)),
      fixIn(fix(0, 0, 0, 20)),
      fixIn(fix(1, 6, 0, 20)),
    ]);
    expect(events[0]).toMatchObject({ type: 'trip.started', mode: 'auto', timeMs: T0 });
    expect(state.trip.status).toBe('active');
  });
});
