// A lane output's trip.progress events that a later one supersedes are not estimated or published.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/core/events';
import { latestProgressOnly } from '../../src/live/latest-progress';

const ref = { busId: 1, tripId: 7, routeId: 3 };
const progress = (timeMs: number): EngineEvent => ({
  type: 'trip.progress',
  timeMs,
  ...ref,
  progressM: timeMs / 100,
  fraction: 0,
  distanceFromRouteM: 0,
  speedKph: 30,
  position: { lat: 31, lon: 121 },
  nextStopId: 's2',
  atStopId: null,
  remainingStopIds: ['s2'],
});
const arrived = (timeMs: number): EngineEvent => ({
  type: 'stop.arrived',
  timeMs,
  ...ref,
  stopId: 's2',
  sequence: 2,
  arrivedMs: timeMs,
});
const ended = (timeMs: number): EngineEvent => ({ type: 'trip.ended', timeMs, ...ref, mode: 'auto' });

describe('latestProgressOnly', () => {
  it('keeps the newest progress of each run, and every stop and trip event in its place', () => {
    const out = latestProgressOnly([
      progress(1000),
      progress(6000),
      progress(11000),
      arrived(12000),
      progress(13000),
      progress(18000),
      ended(19000),
    ]);
    expect(out.map((e) => `${e.type}@${e.timeMs}`)).toEqual([
      'trip.progress@11000',
      'stop.arrived@12000',
      'trip.progress@18000',
      'trip.ended@19000',
    ]);
  });

  it('for any sequence: the other events unchanged and in order; exactly the last progress of each run kept', () => {
    const kind = fc.constantFrom('p', 'a', 'e');
    fc.assert(
      fc.property(fc.array(kind, { maxLength: 40 }), (kinds) => {
        const events = kinds.map((k, i) => (k === 'p' ? progress(i) : k === 'a' ? arrived(i) : ended(i)));
        const out = latestProgressOnly(events);
        expect(out.filter((e) => e.type !== 'trip.progress')).toEqual(events.filter((e) => e.type !== 'trip.progress'));
        const lastOfRuns = events.filter(
          (e, i) => e.type === 'trip.progress' && events[i + 1]?.type !== 'trip.progress',
        );
        expect(out.filter((e) => e.type === 'trip.progress')).toEqual(lastOfRuns);
        expect(out.map((e) => e.timeMs)).toEqual([...out.map((e) => e.timeMs)].sort((a, b) => a - b));
      }),
    );
  });
});
