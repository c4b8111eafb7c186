import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../scripts/lib/trace-formats';
import { replay } from '../../scripts/lib/replay-run';
import { CN_2012 } from '../../src/core/presets/cn-2012';
import type { Fix } from '../../src/core/fix';
import type { RouteInput } from '../../src/core/route';
import { opened, violations } from './helpers';

const TRACE_FILE = join(__dirname, '../fixtures/traces/munich-1hz.json');
const fixes = parseTrace(readFileSync(TRACE_FILE, 'utf8'));
const route: RouteInput = { id: 'munich', path: fixes.map((f) => [f.lon, f.lat] as [number, number]) };

/** Replaces fixes [from, from + n) by a detour that leaves the path sideways to 300 m and comes back. */
function spliceDetour(list: Fix[], from: number, n: number, offsetM: number): Fix[] {
  const out = list.slice();
  const a = list[from - 1]!,
    b = list[from + n]!;
  const mLat = 111_195,
    mLon = mLat * Math.cos((a.lat * Math.PI) / 180);
  const dx = (b.lon - a.lon) * mLon,
    dy = (b.lat - a.lat) * mLat;
  const len = Math.hypot(dx, dy);
  const nx = -dy / len,
    ny = dx / len; // left normal
  const ramp = 15;
  for (let i = 0; i < n; i++) {
    const f = list[from + i]!;
    const k = Math.min(1, i / ramp, (n - 1 - i) / ramp);
    out[from + i] = { ...f, lon: f.lon + (nx * offsetM * k) / mLon, lat: f.lat + (ny * offsetM * k) / mLat };
  }
  return out;
}

describe('Munich 1 Hz trace', () => {
  it('has 1,194 fixes and its 470 m glitch is removed by the jump filter', () => {
    expect(fixes).toHaveLength(1194);
    const r = replay(route, fixes, { config: CN_2012 });
    expect(r.rejected).toEqual({ implausible_jump: 2 });
  });

  it('replayed against its own path gives zero deviations', () => {
    const r = replay(route, fixes, { config: CN_2012 });
    expect(violations(r.events, 'routeDeviation')).toHaveLength(0);
  });

  it('with a 300 m detour spliced in gives exactly one deviation', () => {
    const detoured = spliceDetour(fixes, 300, 90, 300);
    const r = replay(route, detoured, { config: CN_2012 });
    const o = opened(r.events, 'routeDeviation');
    expect(o).toHaveLength(1);
    const closedEv = violations(r.events, 'routeDeviation').filter((e) => e.type === 'violation.closed');
    expect(closedEv).toHaveLength(1);
    expect(closedEv[0]!.peakValue!).toBeGreaterThan(250);
  });

  it('the replay CLI prints one JSON event per line in time order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busguard-replay-'));
    const routeFile = join(dir, 'munich.geojson');
    writeFileSync(
      routeFile,
      JSON.stringify({
        type: 'Feature',
        properties: { name: 'munich' },
        geometry: { type: 'LineString', coordinates: route.path },
      }),
    );
    const csv = [
      'time,lat,lon',
      ...spliceDetour(fixes, 300, 90, 300).map((f) => `${new Date(f.timeMs).toISOString()},${f.lat},${f.lon}`),
    ].join('\n');
    const traceFile = join(dir, 'trace.csv');
    writeFileSync(traceFile, csv);
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '../../scripts/replay.ts'), '--route', routeFile, '--trace', traceFile],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; time: string; kind?: string });
    expect(lines[0]!.type).toBe('trip.started');
    expect(lines.filter((l) => l.type === 'violation.opened' && l.kind === 'routeDeviation')).toHaveLength(1);
    const times = lines.map((l) => Date.parse(l.time));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
  }, 30_000);
});
