// The pure ETA: learned profiles, today's pace, dwell, the timetable fallback and the push threshold.
import { describe, expect, it } from 'vitest';
import {
  estimateEtas,
  etasChanged,
  initialPace,
  learnRouteProfile,
  scheduledInstants,
  timetableEtas,
  updatePace,
  type StopHistoryEvent,
} from '../../src/live/eta';

const stops = [
  { id: 'a', alongM: 0 },
  { id: 'b', alongM: 1000 },
  { id: 'c', alongM: 3000 },
];

function history(trips: { dep0: number; arr1: number; dwell1: number; arr2: number }[]): StopHistoryEvent[] {
  return trips.flatMap((t, k) => [
    { tripId: k, stopId: 'a', kind: 'departed', timeMs: t.dep0, dwellS: 20 },
    { tripId: k, stopId: 'b', kind: 'arrived', timeMs: t.arr1 },
    { tripId: k, stopId: 'b', kind: 'departed', timeMs: t.arr1 + t.dwell1 * 1000, dwellS: t.dwell1 },
    { tripId: k, stopId: 'c', kind: 'arrived', timeMs: t.arr2 },
  ]);
}

describe('learnRouteProfile', () => {
  it('takes median segment speeds (departure → next arrival) and median dwell of intermediate stops', () => {
    const p = learnRouteProfile(
      stops,
      history([
        { dep0: 0, arr1: 100_000, dwell1: 30, arr2: 100_000 + 30_000 + 200_000 }, // 10 m/s, 10 m/s
        { dep0: 0, arr1: 200_000, dwell1: 60, arr2: 200_000 + 60_000 + 400_000 }, // 5 m/s, 5 m/s
        { dep0: 0, arr1: 125_000, dwell1: 40, arr2: 125_000 + 40_000 + 250_000 }, // 8 m/s, 8 m/s
      ]),
    );
    expect(p.trips).toBe(3);
    expect(p.segmentSpeedMps[0]).toBeNull();
    expect(p.segmentSpeedMps[1]).toBeCloseTo(8, 6);
    expect(p.segmentSpeedMps[2]).toBeCloseTo(8, 6);
    expect(p.dwellS[1]).toBe(40);
    expect(p.dwellS[0]).toBeNull(); // first and last stops are not dwell learned
  });

  it('ignores impossible segment times', () => {
    const p = learnRouteProfile(stops, history([{ dep0: 0, arr1: 10, dwell1: 30, arr2: 1_000_000_000 }]));
    expect(p.segmentSpeedMps[1]).toBeNull(); // 100 km/s
    expect(p.segmentSpeedMps[2]).toBeNull(); // 2 mm/s
  });
});

describe('estimateEtas', () => {
  const profile = { segmentSpeedMps: [null, 10, 5], dwellS: [null, 60, null], trips: 5 };

  it('divides the remaining distance by today’s pace near the bus and adds dwell at intermediate stops', () => {
    let pace = initialPace();
    pace = updatePace(pace, 0, 0, stops, profile);
    pace = updatePace(pace, 50, 5000, stops, profile); // 10 m/s: on the learned pace
    const etas = estimateEtas({ stops, nextIdx: 1, progressM: 500, nowMs: 60_000, pace, profile });
    expect(etas.map((e) => e.stopId)).toEqual(['b', 'c']);
    expect(etas[0]!.etaMs).toBeCloseTo(60_000 + 50_000, -3); // 500 m at 10 m/s
    expect(etas[0]!.remainingM).toBe(500);
    // then 60 s dwell, then 2000 m at about the learned 5 m/s (today's 10 m/s fades out within ~500 m; factor 1)
    expect(etas[1]!.etaMs).toBeGreaterThan(110_000 + 60_000 + 370_000);
    expect(etas[1]!.etaMs).toBeLessThan(110_000 + 60_000 + 400_000);
    expect(etas[1]!.remainingM).toBe(2500);
  });

  it('scales learned speeds by how today’s pace compares with history', () => {
    let slow = initialPace();
    for (let t = 0; t <= 60; t += 5) slow = updatePace(slow, t * 5, t * 1000, stops, profile); // 5 m/s where history says 10
    const slowEta = estimateEtas({ stops, nextIdx: 1, progressM: 300, nowMs: 60_000, pace: slow, profile })[1]!;
    let usual = initialPace();
    for (let t = 0; t <= 60; t += 5) usual = updatePace(usual, t * 10, t * 1000, stops, profile);
    const usualEta = estimateEtas({ stops, nextIdx: 1, progressM: 600, nowMs: 60_000, pace: usual, profile })[1]!;
    expect(slow.factor).toBeCloseTo(0.5, 1);
    // Stop c is 2000 m past b: at half the learned 5 m/s that is ~800 s instead of ~400 s.
    expect(slowEta.etaMs - usualEta.etaMs).toBeGreaterThan(400_000);
  });

  it('does not let standing (dwell, red lights) lower the moving pace', () => {
    let pace = initialPace();
    pace = updatePace(pace, 0, 0, stops);
    pace = updatePace(pace, 100, 10_000, stops); // 10 m/s
    const moving = pace.movingSpeedMps;
    pace = updatePace(pace, 101, 40_000, stops); // standing 30 s
    expect(pace.movingSpeedMps).toBe(moving);
  });

  it('counts the rest of the current dwell before driving on', () => {
    const pace = { ...initialPace(), movingSpeedMps: 10 };
    const atStop = estimateEtas({
      stops,
      nextIdx: 2,
      progressM: 1000,
      nowMs: 1_000_000,
      pace,
      profile,
      atStop: { idx: 1, arrivedMs: 1_000_000 - 20_000 },
    });
    const gone = estimateEtas({ stops, nextIdx: 2, progressM: 1000, nowMs: 1_000_000, pace, profile });
    // The stop the bus is at stays first in the list, due now, until the bus departs.
    expect(atStop.map((e) => e.stopId)).toEqual(['b', 'c']);
    expect(atStop[0]!.etaMs).toBe(1_000_000);
    expect(atStop[1]!.etaMs - gone[0]!.etaMs).toBe(40_000); // 60 s learned dwell, 20 s done
  });

  it('without pace or history uses the default speed', () => {
    const [b] = estimateEtas({
      stops,
      nextIdx: 1,
      progressM: 0,
      nowMs: 0,
      pace: initialPace(),
      defaults: { speedMps: 4 },
    });
    expect(b!.etaMs).toBe(250_000);
  });
});

describe('timetable and push threshold', () => {
  it('falls back to the schedule, shifted by a late start', () => {
    const planned = Date.parse('2026-09-01T07:00:00+08:00');
    const sched = scheduledInstants(
      new Map([
        ['a', 7 * 3600],
        ['b', 7 * 3600 + 300],
        ['c', null],
      ]),
      planned,
      480,
    );
    expect(sched.get('a')).toBe(planned);
    expect(sched.get('b')).toBe(planned + 300_000);
    expect(sched.has('c')).toBe(false);
    const etas = timetableEtas(stops, sched, planned + 120_000, planned);
    expect(etas.map((e) => e.etaMs)).toEqual([planned + 120_000, planned + 420_000]);
    expect(timetableEtas(stops, sched, planned - 600_000, planned)[0]!.etaMs).toBe(planned);
  });

  it('pushes only when a stop’s ETA moves by more than the threshold', () => {
    const a = [{ stopId: 'b', etaMs: 100_000, remainingM: 500 }];
    expect(etasChanged(undefined, a, 10)).toBe(true);
    expect(etasChanged(a, [{ stopId: 'b', etaMs: 108_000, remainingM: 450 }], 10)).toBe(false);
    expect(etasChanged(a, [{ stopId: 'b', etaMs: 111_000, remainingM: 450 }], 10)).toBe(true);
    expect(etasChanged(a, [], 10)).toBe(true);
  });
});
