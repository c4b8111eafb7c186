// The floor eval:eta measures (scripts/lib/eta-eval/floor.ts): the past is kept, only what is ahead is drawn again.
// Stops already reached keep their true arrival; with no signal and no stop between the bus and the next stop, the
// floor knows that arrival exactly; with signals ahead it does not, and its median stays within their cycles.
import { describe, expect, it } from 'vitest';
import { floorArrivals } from '../../scripts/lib/eta-eval/floor';
import { type Day, drive, type Road, rng } from '../../scripts/lib/eta-eval/world';

const START_MS = Date.UTC(2026, 1, 2, 21, 0, 0);

function world(lights: Road['lights']): { road: Road; day: Day } {
  const road: Road = {
    lengthM: 3000,
    stopsM: [0, 1000, 2000, 3000],
    links: [{ endM: 3000, freeMps: 10 }],
    lights,
  };
  const day: Day = {
    departDelayS: 30,
    congestion: 1,
    linkFactor: [1],
    lightOffsetS: lights.map(() => 0),
    dwellS: [0, 20, 25, 0],
  };
  return { road, day };
}

describe('eval:eta floor', () => {
  it('keeps reached stops and knows an arrival nothing random stands before', () => {
    const { road, day } = world([]);
    const truth = drive(road, day, START_MS);
    // Moving between stop 1 and stop 2, after the dwell at stop 1.
    const nowMs = truth.departedMs[1]! + 30_000;
    expect(nowMs).toBeLessThan(truth.arrivedMs[2]!);
    const floor = floorArrivals(road, day, truth, START_MS, nowMs, rng(7), 15);
    expect(floor[0]).toBe(truth.arrivedMs[0]);
    expect(floor[1]).toBe(truth.arrivedMs[1]);
    expect(floor[2]).toBe(truth.arrivedMs[2]);
    // Beyond stop 2 its dwell is drawn again: the floor does not know stop 3's arrival to the second.
    expect(floor[3]).not.toBe(truth.arrivedMs[3]);
  });

  it('draws the signals ahead again, within their cycle', () => {
    const { road, day } = world([{ atM: 1500, cycleS: 90, greenS: 40 }]);
    const truth = drive(road, day, START_MS);
    const nowMs = truth.departedMs[1]! + 5_000;
    const floor = floorArrivals(road, day, truth, START_MS, nowMs, rng(11), 41);
    // Red for 50 s of every 90 s: the median wait lies between none and the red phase (plus braking).
    const noWait = drive({ ...road, lights: [] }, day, START_MS).arrivedMs[2]!;
    expect(floor[2]!).toBeGreaterThanOrEqual(noWait);
    expect(floor[2]!).toBeLessThanOrEqual(noWait + 70_000);
    expect(floor[1]).toBe(truth.arrivedMs[1]);
  });
});
