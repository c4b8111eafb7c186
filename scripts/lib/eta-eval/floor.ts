// A bound, not a method: the best any estimator could do in this world. It knows everything of the day that is
// already decided — the road, the day's congestion and link speeds, incidents, the bus's true position, the
// dwells and departure already done — and only the future is drawn afresh: the phase of every signal ahead and
// every dwell not finished (a dwell under way: at least as long as it has lasted). The median of many such
// futures is the prediction that minimises the absolute error given all of that; its MAE is the floor.
import { median } from './baselines';
import { type Day, drawDepartDelayS, drawDwellS, drive, type Drive, type Rand, type Road, uniform } from './world';

/** A drawn value at least `atLeast`, by rejection (the value itself after `tries` misses). */
function drawAtLeast(draw: () => number, atLeast: number, tries = 200): number {
  for (let k = 0; k < tries; k++) {
    const x = draw();
    if (x >= atLeast) return x;
  }
  return atLeast;
}

/** Arrival times of every stop (epoch ms) in `futures` drawn futures of `truth` after `nowMs`; per stop, the median. */
export function floorArrivals(
  road: Road,
  day: Day,
  truth: Drive,
  plannedStartMs: number,
  nowMs: number,
  r: Rand,
  futures: number,
): number[] {
  const s = Math.floor((nowMs - truth.startMs) / 1000);
  const x = truth.alongM[Math.min(s, truth.alongM.length - 1)]!;
  const n = road.stopsM.length;
  let next = truth.arrivedMs.findIndex((a) => a > nowMs);
  if (next < 0) next = n;
  const dwellingAt = next > 0 && truth.departedMs[next - 1]! > nowMs ? next - 1 : -1;
  const runs: number[][] = road.stopsM.map(() => []);
  for (let k = 0; k < futures; k++) {
    const d: Day = {
      ...day,
      lightOffsetS: road.lights.map((l, j) => (l.atM > x + 1.5 ? uniform(r, 0, l.cycleS) : day.lightOffsetS[j]!)),
      dwellS: day.dwellS.map((was, j) => {
        if (j === 0 || j === n - 1 || j < next - 1 || (j === next - 1 && dwellingAt < 0)) return was;
        if (j === dwellingAt) return drawAtLeast(() => drawDwellS(r), (nowMs - truth.arrivedMs[j]!) / 1000);
        return drawDwellS(r);
      }),
    };
    if (dwellingAt === 0) {
      const stoodS = (nowMs - plannedStartMs) / 1000;
      d.departDelayS = drawAtLeast(() => drawDepartDelayS(r), stoodS);
    }
    const f = drive(road, d, plannedStartMs);
    f.arrivedMs.forEach((a, j) => runs[j]!.push(a));
  }
  return runs.map(median);
}
