// The database briefly away while a trip's events reach the live side: the trip's messages and ETA go out at once
// whatever happens; its riders are read again after a failure, so the guardians' notices (trip started, arrived)
// still get stored and sent; when the reads keep failing, the failure is logged and the next batch tries once, and
// when the database is back the notices that failed are made up (once each) before the trip's next ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { InProcessFanout } from '../../src/live/fanout';
import type { LiveMessage } from '../../src/live/messages';
import { createLiveHub, type LiveService } from '../../src/live/service';
import { type Logger, silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { createTestApp, type TestApp } from '../helpers/app';
import { type FaultyDatabase, withFaults } from '../helpers/faults';
import { lonAt } from '../pages/helpers';
import { buildLineWorld, type LineWorld } from '../pages/line-world';

let t: TestApp;
let ingest: PipelineIngest;
let runner: EngineRunner;
let live: LiveService;
let faulty: FaultyDatabase;
const sent: LiveMessage[] = [];
const logged: { level: string; message: string }[] = [];
const lines: (LineWorld & { identifier: string; startMs: number })[] = [];

beforeAll(async () => {
  const startMs = Math.floor((Date.now() - 4 * 60_000) / 60_000) * 60_000;
  t = await createTestApp(startMs);
  for (const [i, tag] of ['brief', 'long'].entries()) {
    const line = await buildLineWorld(t, {
      school: i === 0 ? 'Outage school' : lines[0]!.schoolId,
      route: `Outage ${tag}`,
      stops: [
        ['First', 0, 0],
        ['Middle', 1400, 3],
        ['School', 2800, 6],
      ],
      startMs,
      bus: { plate: `OUT-${i + 1}`, capacity: 40, device: `out-${tag}` },
      students: [[`Child ${tag}`, 1]],
      guardian: { name: `Parent ${tag}`, locale: 'en' },
    });
    lines.push({ ...line, identifier: `out-${tag}`, startMs });
  }
  const now = () => t.clock.nowMs;
  // Only the live side's reads of a trip's riders fail while the database is "down".
  faulty = withFaults(t.database, (text) => text.includes("'studentName'"));
  const log: Logger = {
    ...silentLogger,
    warn: (message) => void logged.push({ level: 'warn', message }),
    error: (message) => void logged.push({ level: 'error', message }),
  };
  const fanout = new InProcessFanout();
  fanout.subscribe((m) => sent.push(m));
  ingest = createIngest({ database: t.database, log: silentLogger, now, writer: { maxDelayMs: 1 } });
  runner = createEngineRunner({ database: t.database, log: silentLogger, now });
  runner.attach(ingest);
  live = createLiveHub({ database: faulty, log, now, fanout });
  live.attach({ ingest, runner });
}, 120_000);

afterAll(async () => {
  await runner?.close();
  await live?.close();
  await ingest?.close();
  await t?.close();
});

/**
 * Drives the line's bus from its first stop (10 s standing, then 36 km/h), one fix a second from `fromS`, for
 * `seconds`; waits for the engine, and for the live side unless told not to.
 */
async function drive(line: (typeof lines)[number], fromS: number, seconds: number, waitLive = true) {
  const device = (await ingest.lookupDevice('json', line.identifier))!;
  for (let s = fromS; s < fromS + seconds; s++) {
    const timeMs = line.startMs + 30_000 + s * 1000;
    const fix: Fix = {
      deviceId: line.identifier,
      protocol: 'json',
      timeMs,
      lat: 31.2,
      lon: lonAt(Math.max(0, s - 10) * 10),
      speedKph: s < 10 ? 0 : 36,
      valid: true,
      alarms: [],
      attributes: {},
    };
    t.clock.nowMs = Math.max(t.clock.nowMs, timeMs + 300);
    await ingest.submitFixes(device, [fix], t.clock.nowMs);
  }
  await runner.idle();
  if (waitLive) await live.idle();
}

const noticeKinds = async (guardianId: number) =>
  (
    await t.database.query<{ kind: string }>('select kind from notices where guardian_id = $1 order by id', [
      guardianId,
    ])
  ).map((r) => r.kind);
const tripEvents = (tripId: number) =>
  sent.filter((m) => m.topic === `trip:${tripId}` && m.type === 'trip').map((m) => (m.data as { event: string }).event);

describe('trip notices when the database is briefly away', () => {
  it('reads the riders again after a failure: the guardian is told the trip started and the bus arrived', async () => {
    const line = lines[0]!;
    faulty.down = true;
    const failedBefore = faulty.failed;
    setTimeout(() => (faulty.down = false), 600); // back before the third try (after 0.25 s and 1 s)
    await drive(line, 0, 150); // ~1400 m by the end: the child's stop
    expect(faulty.failed - failedBefore).toBeGreaterThanOrEqual(2);
    expect(tripEvents(line.tripId!)).toEqual(expect.arrayContaining(['trip.started', 'stop.departed', 'stop.arrived']));
    expect(await noticeKinds(line.guardianId!)).toEqual(expect.arrayContaining(['trip.started', 'stop.arrived']));
    // Published live too, to that guardian.
    const notices = sent.filter((m) => m.type === 'notice' && m.audience?.guardianId === line.guardianId);
    expect(notices.map((m) => (m.data as { kind: string }).kind)).toEqual(
      expect.arrayContaining(['trip.started', 'stop.arrived']),
    );
    expect(logged.filter((l) => l.message === 'live trip notices: retrying').length).toBeGreaterThanOrEqual(2);
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('when the riders cannot be read at all, the trip’s messages still go out at once; its notices are made up when the database is back', async () => {
    const line = lines[1]!;
    faulty.down = true;
    const t0 = performance.now();
    try {
      await drive(line, 0, 20, false); // the trip starts
      // Out while the riders' read is still being retried (its tries take over 5 s).
      await expect.poll(() => tripEvents(line.tripId!), { timeout: 2000 }).toContain('trip.started');
      expect(sent.some((m) => m.topic === `trip:${line.tripId}` && m.type === 'position')).toBe(true);
      await live.idle();
    } finally {
      faulty.down = false;
    }
    // The first batch tried four times; the later ones once each (an outage does not pile up waits).
    expect(performance.now() - t0).toBeLessThan(12_000);
    // Logged once for the outage, not once per batch.
    expect(logged.filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['live trip notices not sent']);
    expect(await noticeKinds(line.guardianId!)).toEqual([]);
    expect(sent.filter((m) => m.type === 'notice' && m.audience?.guardianId === line.guardianId)).toEqual([]);
    // The database is back: the trip's next notice work succeeds at its first try and makes up the trip-started
    // notice (seconds old), once; then the arrival is told as usual.
    const before = logged.length;
    await drive(line, 20, 130); // ~1400 m: the child's stop
    const kinds = await noticeKinds(line.guardianId!);
    expect(kinds.filter((k) => k === 'trip.started')).toHaveLength(1);
    expect(kinds.indexOf('trip.started')).toBeLessThan(kinds.indexOf('stop.arrived'));
    const told = sent.filter((m) => m.type === 'notice' && m.audience?.guardianId === line.guardianId);
    expect(told.map((m) => (m.data as { kind: string }).kind)).toEqual(kinds);
    expect(logged.slice(before)).toEqual([]);
  }, 30_000);
});
