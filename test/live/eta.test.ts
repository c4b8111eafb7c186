// The pure ETA: learned profiles, today's pace, dwell, the timetable fallback and the push threshold; and the per-trip
// step (src/live/trip-eta.ts) the live service and the scripts advance with engine events.
import { describe, expect, it } from 'vitest';
import type { ProgressEvent, StopEvent } from '../../src/core/events';
import {
  dwellLeftS,
  estimateEtas,
  etasChanged,
  initialPace,
  initialRunPace,
  learnRouteProfile,
  runRatio,
  scheduledInstants,
  shrunkDwellMeans,
  timetableEtas,
  updatePace,
  updateRunPace,
  type StopHistoryEvent,
} from '../../src/live/eta';
import { advanceTripEta, advanceTripEtaAll, createTripEta, type TripEtaState } from '../../src/live/trip-eta';

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

describe('learned means and today’s running times', () => {
  const profile = {
    segmentSpeedMps: [null, 10, 5],
    dwellS: [null, 60, null],
    segmentMeanSpeedMps: [null, 10, 5],
    dwellMeanS: [null, 60, null],
    trips: 5,
  };

  it('learns robust means beside the medians: each value capped at 3× the median', () => {
    const p = learnRouteProfile(
      stops,
      history([
        { dep0: 0, arr1: 100_000, dwell1: 30, arr2: 100_000 + 30_000 + 200_000 },
        { dep0: 0, arr1: 200_000, dwell1: 60, arr2: 200_000 + 60_000 + 400_000 },
        { dep0: 0, arr1: 125_000, dwell1: 40, arr2: 125_000 + 40_000 + 250_000 },
        { dep0: 0, arr1: 125_000, dwell1: 600, arr2: 125_000 + 600_000 + 250_000 }, // a child very late
      ]),
    );
    expect(p.segmentMeanSpeedMps![1]).toBeCloseTo(1000 / ((100 + 200 + 125 + 125) / 4), 6);
    expect(p.segmentMeanSpeedMps![0]).toBeNull();
    expect(p.dwellS[1]).toBe(50);
    expect(p.dwellMeanS![1]).toBeCloseTo((30 + 60 + 40 + 150) / 4, 6); // 600 counts as 3 × 50
    expect(p.dwellPoolS).toEqual([30, 40, 60, 600]);
  });

  it('measures today’s pace over whole segments, shrunk towards history, one segment capped', () => {
    let run = updateRunPace(initialRunPace(), 'departed', 0, 0, stops, profile);
    run = updateRunPace(run, 'arrived', 1, 200_000, stops, profile); // 200 s where history says 100 s
    expect(run.segments).toBe(1);
    expect(runRatio(run)).toBeCloseTo((200 + 300) / (100 + 300), 6);
    // An arrival not preceded by the previous stop's departure measures nothing.
    expect(updateRunPace(run, 'arrived', 2, 900_000, stops, profile)).toBe(run);
    let jam = updateRunPace(initialRunPace(), 'departed', 0, 0, stops, profile);
    jam = updateRunPace(jam, 'arrived', 1, 5_000_000, stops, profile);
    expect(runRatio(jam)).toBeCloseTo((300 + 300) / (100 + 300), 6);
  });

  it('with today’s running times, drives every segment at its learned mean scaled by them (near the bus too)', () => {
    const fast = { ...initialPace(), movingSpeedMps: 20 };
    const asLearned = estimateEtas({
      stops,
      nextIdx: 1,
      progressM: 500,
      nowMs: 0,
      pace: fast,
      profile,
      runPace: initialRunPace(),
    });
    expect(asLearned.map((e) => Math.round(e.etaMs / 1000))).toEqual([50, 50 + 60 + 400]);
    const slow = { ...initialRunPace(), observedS: 200, learnedS: 100, segments: 1 };
    const late = estimateEtas({ stops, nextIdx: 1, progressM: 500, nowMs: 0, pace: fast, profile, runPace: slow });
    expect(late.map((e) => e.etaMs / 1000)).toEqual([62.5, 62.5 + 60 + 500]); // dwell is not scaled
  });

  it('the rest of a dwell: the median of what the route’s longer dwells, scaled to the stop, lasted beyond it', () => {
    // Robust mean of the pool 55 (median 55, nothing above 3×): a stop whose usual dwell is 55 takes it as it is.
    const p = { ...profile, dwellPoolS: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] };
    expect(dwellLeftS(55, 0, p)).toBe(55);
    expect(dwellLeftS(55, 10, p)).toBe(50); // 20…100 → 10…90 more, median 50 (the usual minus the time stood: 45)
    expect(dwellLeftS(55, 45, p)).toBe(30); // 50…100 → 5…55 more, median 30 (not 10: a bus still there stays)
    expect(dwellLeftS(55, 75, p)).toBe(0); // 80, 90, 100: too few longer ones, and past the usual
    expect(dwellLeftS(55, 40)).toBe(15); // no pool: the usual minus the time stood
    // A stop whose usual dwell is twice the route's: every dwell doubled (20…200), the stop keeps its level.
    expect(dwellLeftS(110, 45, p)).toBe(85); // 60…200 → 15…155 more, median (75 + 95) / 2
  });
});

describe('dwell means shrunk towards the route’s', () => {
  it('stops that differ no more than their samples do share the route’s mean (one late child is not the stop)', () => {
    const m = shrunkDwellMeans([[], [20, 20, 20, 80], [20, 20, 20, 20], [20, 20, 20, 20], []]);
    // route: eleven 20s and an 80 capped at 3 × 20 → 280 / 12; stop 1 alone would say 30
    expect(m[1]).toBeCloseTo(280 / 12, 6);
    expect(m[2]).toBeCloseTo(280 / 12, 6);
    expect(m[0]).toBeNull();
    expect(m[4]).toBeNull();
  });

  it('stops that really differ keep their own means', () => {
    const m = shrunkDwellMeans([
      [10, 12, 8, 10],
      [60, 62, 58, 60],
    ]);
    expect(m[0]).toBeCloseTo(10, 1);
    expect(m[1]).toBeCloseTo(60, 1);
  });

  it('the profile’s mean dwells are the shrunk ones', () => {
    const four = [...stops.slice(0, 2), { id: 'x', alongM: 2000 }, { id: 'c', alongM: 3000 }];
    const events: StopHistoryEvent[] = [20, 20, 20, 80].flatMap((d1, k) => [
      { tripId: k, stopId: 'b', kind: 'departed', timeMs: 0, dwellS: d1 },
      { tripId: k, stopId: 'x', kind: 'departed', timeMs: 0, dwellS: 20 },
    ]);
    const p = learnRouteProfile(four, events);
    expect(p.dwellMeanS![1]).toBeCloseTo(200 / 8, 6); // 20 × 7 + 60 (80 capped at 3 × 20), not stop b’s 30
    expect(p.dwellMeanS![2]).toBeCloseTo(200 / 8, 6);
    expect(p.dwellS[1]).toBe(20); // the medians stay each stop’s own
  });
});

describe('the trip ETA step', () => {
  const ref = { busId: 1, tripId: 7, routeId: 3 };
  const progress = (
    timeMs: number,
    progressM: number,
    atStopId: string | null,
    remaining: string[],
  ): ProgressEvent => ({
    type: 'trip.progress',
    ...ref,
    timeMs,
    progressM,
    fraction: progressM / 3000,
    distanceFromRouteM: 3,
    speedKph: 30,
    position: { lat: 0, lon: 0 },
    nextStopId: remaining.find((id) => id !== atStopId) ?? null,
    atStopId,
    remainingStopIds: remaining,
  });
  const stop = (type: StopEvent['type'], stopId: string, timeMs: number): StopEvent => ({
    type,
    ...ref,
    timeMs,
    stopId,
    sequence: stops.findIndex((s) => s.id === stopId) + 1,
    ...(type === 'stop.arrived'
      ? { arrivedMs: timeMs - 2000 }
      : type === 'stop.departed'
        ? { departedMs: timeMs }
        : {}),
  });
  const deepFreeze = <T>(o: T): T => {
    if (o && typeof o === 'object') {
      for (const v of Object.values(o)) deepFreeze(v);
      Object.freeze(o);
    }
    return o;
  };

  it('publishes nothing before the first progress; then every stop ahead, pushed when it moves enough', () => {
    let s: TripEtaState = createTripEta(stops, { pushThresholdS: 10 });
    s = advanceTripEta(s, stop('stop.departed', 'a', 1000));
    expect(s.published).toBeNull();
    s = advanceTripEta(s, progress(5_000, 50, null, ['b', 'c']));
    expect(s.published!.stops.map((e) => e.stopId)).toEqual(['b', 'c']);
    expect(s.published!.computedMs).toBe(5_000);
    expect(s.pushed).toBe(true);
    s = advanceTripEta(s, progress(10_000, 100, null, ['b', 'c'])); // 10 m/s: faster than the default speed
    expect(s.pushed).toBe(true);
    expect(s.lastPushed).toBe(s.published!.stops);
    const first = s.lastPushed;
    s = advanceTripEta(s, progress(15_000, 150, null, ['b', 'c'])); // on pace: nothing moved by 10 s
    expect(s.pushed).toBe(false);
    expect(s.lastPushed).toBe(first);
    expect(s.published!.computedMs).toBe(15_000);
    // Other events leave it as it is.
    const same = advanceTripEta(s, { type: 'trip.started', ...ref, timeMs: 16_000 });
    expect(same.published).toBe(s.published);
  });

  it('keeps the stop being served first, due now, until the bus departs; then drops it', () => {
    let s = createTripEta(stops);
    s = advanceTripEtaAll(s, [progress(10_000, 900, null, ['b', 'c']), stop('stop.arrived', 'b', 20_000)]);
    expect(s.atStop).toEqual({ idx: 1, arrivedMs: 18_000 });
    expect(s.published!.atStopId).toBe('b');
    s = advanceTripEta(s, progress(25_000, 1000, 'b', ['b', 'c']));
    expect(s.published!.stops.map((e) => e.stopId)).toEqual(['b', 'c']);
    expect(s.published!.stops[0]!.etaMs).toBe(25_000);
    expect(s.atStop!.arrivedMs).toBe(18_000); // the arrival time is kept while dwelling
    s = advanceTripEta(s, stop('stop.departed', 'b', 60_000));
    expect(s.atStop).toBeNull();
    expect(s.published!.atStopId).toBeNull();
    expect(s.published!.stops.map((e) => e.stopId)).toEqual(['c']);
    expect(s.nextIdx).toBe(2);
    // A missed stop leaves the list at once too.
    const missed = advanceTripEta(
      advanceTripEta(createTripEta(stops), progress(1000, 100, null, ['b', 'c'])),
      stop('stop.missed', 'b', 2000),
    );
    expect(missed.published!.stops.map((e) => e.stopId)).toEqual(['c']);
  });

  it('is pure: the state it is given is never changed', () => {
    const profile = learnRouteProfile(
      stops,
      history([{ dep0: 0, arr1: 100_000, dwell1: 30, arr2: 100_000 + 30_000 + 200_000 }]),
    );
    const s0 = deepFreeze(advanceTripEta(createTripEta(stops, { profile }), progress(10_000, 900, null, ['b', 'c'])));
    const copy = structuredClone(s0);
    const events = [
      stop('stop.departed', 'a', 11_000),
      progress(15_000, 950, null, ['b', 'c']),
      stop('stop.arrived', 'b', 120_000),
      progress(121_000, 1000, 'b', ['b', 'c']),
      stop('stop.departed', 'b', 150_000),
    ];
    const s1 = advanceTripEtaAll(s0, events);
    expect(s0).toEqual(copy);
    // With a profile, today's running time a → b is measured from the stop events (109 s against 100 learned).
    expect(s1.runPace.segments).toBe(1);
    expect(s1.runPace.observedS).toBeCloseTo(118_000 / 1000 - 11, 6);
    expect(s1.pushed).toBe(true);
  });
});
