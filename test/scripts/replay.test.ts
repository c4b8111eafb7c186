// `npm run replay` as a child process: --help prints the usage (exit 0), an unknown option is a clear usage error
// (exit 2), and --eta adds, for every accepted fix, the ETAs the live side would publish at that moment. Route: a
// GeoJSON written here from the Munich 1 Hz trace (its path, five stops along it); trace: the 15 s Munich fixture.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'busguard-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/replay.ts', ...args],
      { cwd: root, timeout: 60_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const oneHz = JSON.parse(readFileSync(join(root, 'test/fixtures/traces/munich-1hz.json'), 'utf8')) as {
  point: string;
}[];
const coords = oneHz.map((p) => {
  const m = /POINT\(([-\d.]+) ([-\d.]+)\)/.exec(p.point)!;
  return [Number(m[1]), Number(m[2])] as [number, number];
});
const STOP_AT = [0, 300, 600, 900, coords.length - 4];
const routeFile = join(dir, 'munich-route.geojson');
writeFileSync(
  routeFile,
  JSON.stringify({
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: {},
        geometry: { type: 'LineString', coordinates: coords.filter((_, i) => i % 5 === 0 || i === coords.length - 1) },
      },
      ...STOP_AT.map((k, i) => ({
        type: 'Feature',
        properties: { name: `Stop ${i + 1}`, sequence: i + 1 },
        geometry: { type: 'Point', coordinates: coords[k] },
      })),
    ],
  }),
);
const TRACE = join(root, 'test/fixtures/traces/munich-15s.json');

describe('replay script', () => {
  it('--help prints the usage, with --eta, and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run -s replay -- --route FILE/);
    expect(r.stdout).toContain('--eta');
    expect(r.stdout).toContain('--trace FILE');
    expect((await run(['-h'])).stdout).toBe(r.stdout);
  }, 60_000);

  it('an unknown option or a missing one is a usage error (exit 2), not a stack trace', async () => {
    const unknown = await run(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage:/);
    const missing = await run(['--route', routeFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--route and --trace are required/);
  }, 60_000);

  it('--eta prints, after every accepted fix, the ETAs to the stops still ahead', async () => {
    const r = await run(['--route', routeFile, '--trace', TRACE, '--eta']);
    expect(r.code, r.stderr).toBe(0);
    const [, fixes, rejected] = /fixes=(\d+) rejected: (.*) late=/.exec(r.stderr)!;
    const refused = rejected === 'none' ? 0 : rejected!.split(' ').reduce((n, kv) => n + Number(kv.split('=')[1]), 0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const etas = lines.filter((l) => l.type === 'eta');
    expect(etas).toHaveLength(Number(fixes) - refused);
    expect(etas.length).toBeGreaterThan(50);
    for (const e of etas) {
      expect(Object.keys(e)).toEqual(['type', 'time', 'stops']);
      expect(new Date(e.time).toISOString()).toBe(e.time);
      for (const s of e.stops) {
        expect(Object.keys(s)).toEqual(['stopId', 'etaTime']);
        expect(new Date(s.etaTime).getTime()).toBeGreaterThanOrEqual(new Date(e.time).getTime());
      }
      // Stops ahead, in route order.
      const seq = e.stops.map((s: { stopId: string }) => Number(s.stopId));
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
    }
    // Time order; an ETA follows the events of its fix.
    const times = lines.map((l) => new Date(l.time).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // A stop leaves the list once the bus is there: nothing for stop 2 after arriving at it.
    const arrived2 = lines.find((l) => l.type === 'stop.arrived' && l.stopId === '2');
    expect(arrived2).toBeDefined();
    const after = etas.filter((e) => e.time > arrived2.time);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.stops.every((s: { stopId: string }) => s.stopId !== '2'))).toBe(true);
    // The estimate for stop 4 closes in on the real arrival: half a minute before or earlier, within a minute.
    const arrivedLast = lines.find((l) => l.type === 'stop.arrived' && l.stopId === '4');
    expect(arrivedLast).toBeDefined();
    const arrivalMs = new Date(arrivedLast.time).getTime();
    const late = etas
      .filter(
        (e) =>
          new Date(e.time).getTime() < arrivalMs - 30_000 && e.stops.some((s: { stopId: string }) => s.stopId === '4'),
      )
      .at(-1);
    expect(late).toBeDefined();
    const predicted = new Date(late.stops.find((s: { stopId: string }) => s.stopId === '4').etaTime).getTime();
    expect(Math.abs(predicted - arrivalMs)).toBeLessThan(60_000);

    // Without --eta: the same events, no ETA lines.
    const plain = await run(['--route', routeFile, '--trace', TRACE]);
    expect(plain.stdout.trim().split('\n')).toEqual(
      lines.filter((l) => l.type !== 'eta').map((l) => JSON.stringify(l)),
    );
  }, 120_000);
});
