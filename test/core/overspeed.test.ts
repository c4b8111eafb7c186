import { describe, expect, it } from 'vitest';
import { serializeState, deserializeState } from '../../src/core/state';
import { ll, makeCtx, fix, fixIn, START, run, opened, closed, violations, drive } from './helpers';
import type { EngineInput } from '../../src/core/inputs';

const fixes = (list: ReturnType<typeof drive>): EngineInput[] => list.map((f) => fixIn(f));

function square(cx: number, cy: number, half: number): [number, number][] {
  return [ll(cx - half, cy - half), ll(cx + half, cy - half), ll(cx + half, cy + half), ll(cx - half, cy + half)];
}

describe('R1 overspeed', () => {
  it('at the limit (60) never opens', () => {
    const { events } = run(makeCtx(), [START, ...fixes(drive({ fromS: 0, durationS: 60, speedKph: 60 }))]);
    expect(violations(events, 'overspeed')).toHaveLength(0);
  });

  it('just over the limit for exactly 10 s opens once, at the 10 s fix, with start at the first fix over', () => {
    const over = drive({ fromS: 0, durationS: 10, speedKph: 61 });
    const back = drive({ fromS: 11, durationS: 5, speedKph: 50, x0: 200 });
    const { events } = run(makeCtx(), [START, ...fixes(over), ...fixes(back)]);
    const o = opened(events, 'overspeed');
    expect(o).toHaveLength(1);
    expect(o[0]!.timeMs - o[0]!.startMs).toBe(10_000);
    expect(o[0]!.severity).toBe('major');
    expect(o[0]!.limit).toBe(60);
    const c = closed(events, 'overspeed');
    expect(c).toHaveLength(1);
    expect(c[0]!.id).toBe(o[0]!.id);
    expect(c[0]!.peakValue).toBe(61);
    expect(c[0]!.evidence.distanceOverM).toBeGreaterThan(160);
  });

  it('brief overspeed (9 s) does not open', () => {
    const over = drive({ fromS: 0, durationS: 9, speedKph: 75 });
    const back = drive({ fromS: 10, durationS: 5, speedKph: 50, x0: 200 });
    const { events } = run(makeCtx(), [START, ...fixes(over), ...fixes(back)]);
    expect(violations(events, 'overspeed')).toHaveLength(0);
  });

  it('needs at least 2 fixes: one fix over never opens, two fixes 10 s apart do', () => {
    const one = run(makeCtx(), [START, fixIn(fix(0, 0, 0, 90)), fixIn(fix(10, 250, 0, 50))]);
    expect(violations(one.events, 'overspeed')).toHaveLength(0);
    const two = run(makeCtx(), [START, fixIn(fix(0, 0, 0, 90)), fixIn(fix(10, 250, 0, 90))]);
    expect(opened(two.events, 'overspeed')).toHaveLength(1);
  });

  it('severity critical at ≥ 20 % over, major just under', () => {
    const crit = run(makeCtx(), [START, ...fixes(drive({ fromS: 0, durationS: 12, speedKph: 72 }))]);
    expect(opened(crit.events, 'overspeed')[0]!.severity).toBe('critical');
    const major = run(makeCtx(), [START, ...fixes(drive({ fromS: 0, durationS: 12, speedKph: 71.9 }))]);
    expect(opened(major.events, 'overspeed')[0]!.severity).toBe('major');
  });

  it('escalates to critical with an update when the peak grows', () => {
    const a = drive({ fromS: 0, durationS: 12, speedKph: 65 });
    const b = drive({ fromS: 13, durationS: 3, speedKph: 80, x0: 250 });
    const { events } = run(makeCtx(), [START, ...fixes(a), ...fixes(b)]);
    const v = violations(events, 'overspeed');
    expect(v.filter((e) => e.type === 'violation.opened')).toHaveLength(1);
    expect(v.some((e) => e.type === 'violation.updated' && e.severity === 'critical')).toBe(true);
  });

  it('hazard zone and low visibility bring the limit to 20; posted limit and expressway apply', () => {
    const hazard = makeCtx({ zones: [{ id: 'z-bend', polygon: square(500, 0, 1000), hazard: true }] });
    const h = run(hazard, [START, ...fixes(drive({ fromS: 0, durationS: 15, speedKph: 30 }))]);
    expect(opened(h.events, 'overspeed')[0]!.limit).toBe(20);
    expect(opened(h.events, 'overspeed')[0]!.evidence.limitReason).toBe('hazard');
    const lowVis = run(makeCtx({ lowVisibility: true }), [
      START,
      ...fixes(drive({ fromS: 0, durationS: 15, speedKph: 30 })),
    ]);
    expect(opened(lowVis.events, 'overspeed')[0]!.limit).toBe(20);
    const posted = makeCtx({ zones: [{ id: 'z40', polygon: square(500, 0, 1000), postedLimitKph: 40 }] });
    expect(
      opened(run(posted, [START, ...fixes(drive({ fromS: 0, durationS: 15, speedKph: 45 }))]).events, 'overspeed')[0]!
        .limit,
    ).toBe(40);
    const expressway = makeCtx({ zones: [{ id: 'g15', polygon: square(500, 0, 2000), roadClass: 'expressway' }] });
    expect(
      violations(
        run(expressway, [START, ...fixes(drive({ fromS: 0, durationS: 15, speedKph: 75 }))]).events,
        'overspeed',
      ),
    ).toHaveLength(0);
    expect(
      opened(run(expressway, [START, ...fixes(drive({ fromS: 0, durationS: 15, speedKph: 85 }))]).events, 'overspeed'),
    ).toHaveLength(1);
  });

  it('preset overrides apply from the next fix (config in the context)', () => {
    const ctx = makeCtx({ config: { overspeed: { otherLimitKph: 50 } } });
    expect(
      opened(run(ctx, [START, ...fixes(drive({ fromS: 0, durationS: 12, speedKph: 55 }))]).events, 'overspeed'),
    ).toHaveLength(1);
  });

  it('derives speed from successive fixes when the device sends none', () => {
    const { events } = run(makeCtx(), [START, ...fixes(drive({ fromS: 0, durationS: 15, speedKph: 90, gps: false }))]);
    const o = opened(events, 'overspeed');
    expect(o).toHaveLength(1);
    expect(o[0]!.evidence.speedSource).toBe('derived');
    expect(o[0]!.peakValue).toBeCloseTo(90, 0);
  });

  it('only while students are aboard when boarding data exists', () => {
    const ctx = makeCtx();
    const empty = run(ctx, [
      START,
      { type: 'boarding', timeMs: ctx.plannedStartMs!, boarded: 0, alighted: 0 },
      ...fixes(drive({ fromS: 1, durationS: 15, speedKph: 80 })),
    ]);
    expect(violations(empty.events, 'overspeed')).toHaveLength(0);
    const loaded = run(ctx, [
      START,
      { type: 'boarding', timeMs: ctx.plannedStartMs!, boarded: 3, alighted: 0 },
      ...fixes(drive({ fromS: 1, durationS: 15, speedKph: 80 })),
    ]);
    expect(opened(loaded.events, 'overspeed')).toHaveLength(1);
  });

  it('terminal overspeed alarms are evidence only', () => {
    const alarmOnly = run(makeCtx(), [
      START,
      fixIn(fix(0, 0, 0, 50, { alarms: ['overspeed'] })),
      fixIn(fix(12, 150, 0, 50, { alarms: ['overspeed'] })),
    ]);
    expect(violations(alarmOnly.events, 'overspeed')).toHaveLength(0);
    const f = drive({ fromS: 0, durationS: 12, speedKph: 70 });
    f[3] = { ...f[3]!, alarms: ['overspeed'] };
    expect(opened(run(makeCtx(), [START, ...fixes(f)]).events, 'overspeed')[0]!.evidence.terminalAlarm).toBe(true);
  });

  it('a long gap closes the episode at the last fix over the limit', () => {
    const a = drive({ fromS: 0, durationS: 12, speedKph: 70 });
    const b = drive({ fromS: 200, durationS: 3, speedKph: 70, x0: 3000 });
    const { events } = run(makeCtx(), [START, ...fixes(a), ...fixes(b)]);
    const c = closed(events, 'overspeed');
    expect(c[0]!.endMs).toBe(a[a.length - 1]!.timeMs);
  });

  it('out-of-order fix is late and does not extend or reopen the episode', () => {
    const a = drive({ fromS: 0, durationS: 12, speedKph: 70 });
    const lateFix = fix(5, 100, 0, 120);
    const { events } = run(makeCtx(), [START, ...fixes(a), fixIn(lateFix), fixIn(fix(13, 260, 0, 40))]);
    const v = violations(events, 'overspeed');
    expect(v.filter((e) => e.type === 'violation.opened')).toHaveLength(1);
    expect(Math.max(...v.map((e) => e.peakValue ?? 0))).toBe(70);
  });

  it('restart mid-episode continues the same id without a duplicate open', () => {
    const ctx = makeCtx();
    const all = [START, ...fixes(drive({ fromS: 0, durationS: 30, speedKph: 70 })), fixIn(fix(31, 600, 0, 40))];
    const straight = run(ctx, all);
    const first = run(ctx, all.slice(0, 16));
    const restored = deserializeState(serializeState(first.state));
    const second = run(ctx, all.slice(16), restored);
    const events = [...first.events, ...second.events];
    expect(opened(events, 'overspeed')).toHaveLength(1);
    expect(closed(second.events, 'overspeed')[0]!.id).toBe(opened(first.events, 'overspeed')[0]!.id);
    expect(events).toEqual(straight.events);
  });
});
