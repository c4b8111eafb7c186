// The lane's filter stage over a batch (filterBatch) against the core's filterFix applied fix by fix: the same
// verdicts and the same final state — including what rejected fixes change (a run of agreeing jump rejections
// re-anchors the jump test) — and the state it started from is left as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { createFilterState, filterFix, type FilterState } from '../../src/core/filters';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { filterBatch } from '../../src/pipeline/fix-batch';
import type { DeviceInfo } from '../../src/pipeline/types';
import { fix } from '../core/helpers';

const cfg = CN_2012.filters;
const device: DeviceInfo = {
  deviceId: 7,
  busId: 3,
  schoolId: 1,
  protocol: 'json',
  identifier: 'dev7',
  tzOffsetMin: 480,
  secretHash: null,
};
const RECEIVED_MS = fix(10_000, 0, 0).timeMs;

function fold(start: FilterState, fixes: Fix[]) {
  let state = start;
  const verdicts = fixes.map((f) => {
    const r = filterFix(state, f, cfg, RECEIVED_MS);
    state = r.state;
    return r.verdict.ok ? (r.verdict.late ? 'late' : 'ok') : r.verdict.reason;
  });
  return { state, verdicts };
}

const verdictsOf = (outcomes: ReturnType<typeof filterBatch>['outcomes']) =>
  outcomes.map((o) =>
    o.status === 'accepted' ? (o.late ? 'late' : 'ok') : o.status === 'duplicate' ? 'duplicate' : o.reason,
  );

// Times from a small range (resends, late fixes) and positions that sometimes jump kilometres away.
const fixArb = fc
  .record({
    tS: fc.integer({ min: 0, max: 120 }),
    xM: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 40_000, max: 42_000 })),
    deviceId: fc.constantFrom('dev7', 'dev8'),
  })
  .map(({ tS, xM, deviceId }) => fix(tS, xM, 0, 30, { deviceId }));

describe('filterBatch', () => {
  it('re-anchors within one batch when three fixes after a wrong reference agree', () => {
    const fixes = [fix(0, 0, 0), fix(1, 5000, 0), fix(2, 5010, 0), fix(3, 5020, 0), fix(4, 5030, 0)];
    const batch = filterBatch(createFilterState(), fixes, device, 3, RECEIVED_MS, cfg, false);
    expect(verdictsOf(batch.outcomes)).toEqual(['ok', 'implausible_jump', 'implausible_jump', 'ok', 'ok']);
    expect(batch.rows.map((r) => r.timeMs)).toEqual([fixes[0]!.timeMs, fixes[3]!.timeMs, fixes[4]!.timeMs]);
  });

  it('gives the verdicts and final state of filterFix applied fix by fix, across batches, without changing its start', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fixArb, { maxLength: 40 }), { maxLength: 5 }), (batches) => {
        let state = createFilterState();
        let expected = createFilterState();
        for (const fixes of batches) {
          const before = structuredClone(state);
          const batch = filterBatch(state, fixes, device, 3, RECEIVED_MS, cfg, true);
          expect(state).toEqual(before);
          const want = fold(expected, fixes);
          expect(verdictsOf(batch.outcomes)).toEqual(want.verdicts);
          expect(batch.state).toEqual(want.state);
          expect(batch.rows).toHaveLength(want.verdicts.filter((v) => v === 'ok' || v === 'late').length);
          state = batch.state;
          expected = want.state;
        }
      }),
      { numRuns: 300 },
    );
  });
});
