import { describe, expect, it } from 'vitest';
import { createFilterState, filterFix, type FilterState } from '../../src/core/filters';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import { fix } from './helpers';
import type { Fix } from '../../src/core/fix';

const cfg = CN_2012.filters;
function runFilters(fixes: Fix[]) {
  let st: FilterState = createFilterState();
  return fixes.map((f) => {
    const r = filterFix(st, f, cfg);
    st = r.state;
    return r.verdict.ok ? (r.verdict.late ? 'late' : 'ok') : r.verdict.reason;
  });
}

describe('filters', () => {
  it('invalid coordinates and flags', () => {
    expect(runFilters([fix(0, 0, 0, 0, { valid: false })])).toEqual(['invalid_flag']);
    expect(runFilters([fix(0, 0, 0, 0, { lat: 0, lon: 0 })])).toEqual(['null_island']);
    expect(runFilters([fix(0, 0, 0, 0, { lat: 91 })])).toEqual(['invalid_coordinates']);
    expect(runFilters([fix(0, 0, 0, 0, { lon: Number.NaN })])).toEqual(['invalid_coordinates']);
  });

  it('future time beyond the allowance, relative to receive time', () => {
    const f = fix(0, 0, 0, 0);
    expect(runFilters([{ ...f, receivedMs: f.timeMs - 300_000 }])).toEqual(['ok']);
    expect(runFilters([{ ...f, receivedMs: f.timeMs - 300_001 }])).toEqual(['future_time']);
  });

  it('duplicates, late fixes and jumps', () => {
    expect(runFilters([fix(0, 0, 0), fix(1, 10, 0), fix(1, 10, 0), fix(3, 30, 0), fix(2, 20, 0)])).toEqual([
      'ok',
      'ok',
      'duplicate',
      'ok',
      'late',
    ]);
    // 470 m in one second is rejected, the next fix is measured against the last accepted one
    expect(runFilters([fix(0, 0, 0), fix(1, 10, 0), fix(2, 480, 0), fix(3, 30, 0)])).toEqual([
      'ok',
      'ok',
      'implausible_jump',
      'ok',
    ]);
    // 55.5 m/s = 199.8 km/h passes; 56 m/s does not
    expect(runFilters([fix(0, 0, 0), fix(1, 55.5, 0)])).toEqual(['ok', 'ok']);
    expect(runFilters([fix(0, 0, 0), fix(1, 56, 0)])).toEqual(['ok', 'implausible_jump']);
  });

  it('a bad reference is replaced once several fixes agree with each other', () => {
    expect(runFilters([fix(0, 0, 0), fix(1, 5000, 0), fix(2, 5010, 0), fix(3, 5020, 0), fix(4, 5030, 0)])).toEqual([
      'ok',
      'implausible_jump',
      'implausible_jump',
      'ok',
      'ok',
    ]);
  });
});
