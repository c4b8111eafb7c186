// A bus's position reaches the live side without waiting for the database beyond the fix's own commit: not for the
// engine's write (under load it waits for the other lanes' statement; the engine's events, here the trip start, still
// go out only after they are persisted), and not for the reload of a trip context near the end of its lifetime; an
// engine write that failed is written with the next input.
import { describe, expect, it } from 'vitest';
import type { LaneOutput } from '../../src/pipeline/bus-lane';
import { ENGINE_PERSIST_SQL } from '../../src/pipeline/engine-store';
import { BUS_TRIPS_SQL } from '../../src/pipeline/trip-context';
import type { Database } from '../../src/store/db';
import type { TestApp } from '../helpers/app';
import { withFaults, withGate } from '../helpers/faults';
import type { World } from '../helpers/world';
import { until } from '../runtime/jt808-helpers';
import { fromRouteStart } from './drive';
import { lanePipeline, WORLD_TRIPS_START_MS, withPipelineWorld } from './pipeline';

let t: TestApp;
let w: World;
const START_MS = WORLD_TRIPS_START_MS;
withPipelineWorld((app, world) => ((t = app), (w = world)));

/** The pipeline with the engine on `engineDatabase`, and every lane output it publishes. */
function pipeline(engineDatabase: Database, contextTtlMs?: number) {
  const p = lanePipeline(t, { engineDatabase, contextTtlMs });
  const outputs: LaneOutput[] = [];
  p.runner.lanes.onOutput((o) => outputs.push(o));
  return { ...p, outputs };
}

const tripStatus = async (tripId: number) =>
  (await t.database.query<{ status: string }>('select status from trips where id = $1', [tripId]))[0]!.status;

describe('bus lane output under a slow engine write', () => {
  it('publishes the position at once and the trip start once it is persisted', async () => {
    const engineDb = withGate(t.database, (text) => text === ENGINE_PERSIST_SQL);
    const { ingest, runner, outputs } = pipeline(engineDb);
    const device = (await ingest.lookupDevice('json', 'A-dev-1'))!;
    const tripId = w.a.trips[0].id;
    const status = () => tripStatus(tripId);
    const before = await status();
    expect(before).not.toBe('active');

    const [first] = fromRouteStart(w.a.routes[0], 'A-dev-1', START_MS + 60_000);
    engineDb.hold();
    const ack = await ingest.submitFixes(device, [first!], t.clock.nowMs);
    expect(ack.outcomes[0]!.status).toBe('accepted');
    await until(() => engineDb.waiting === 1, 5000, 'the engine write to be held');
    await until(() => outputs.some((o) => o.position), 5000, 'the position output');

    // The engine's write is still held: the position is out, placed on the trip; no event is.
    const early = outputs.find((o) => o.position)!;
    expect(early.position).toMatchObject({ busId: device.busId, tripId, timeMs: first!.timeMs });
    expect(outputs.flatMap((o) => o.events)).toEqual([]);
    expect(await status()).toBe(before);

    engineDb.release();
    await runner.idle();
    const late = outputs.filter((o) => o.events.length);
    expect(late.flatMap((o) => o.events.map((e) => e.type))).toContain('trip.started');
    // The position is not published twice, and the events come after it.
    expect(outputs.filter((o) => o.position)).toHaveLength(1);
    expect(outputs.indexOf(late[0]!)).toBeGreaterThan(outputs.indexOf(early));
    expect(await status()).toBe('active');
    await ingest.close();
  });

  it('reloads an ageing trip context after the output, and a context past its lifetime before the step', async () => {
    const CONTEXT_TTL_MS = 30_000;
    const reads = withGate(t.database, (text) => text === BUS_TRIPS_SQL);
    const { ingest, runner, outputs } = pipeline(reads, CONTEXT_TTL_MS);
    const device = (await ingest.lookupDevice('json', 'A-dev-1'))!;
    const fixes = fromRouteStart(w.a.routes[0], 'A-dev-1', START_MS + 600_000, 2);
    const positionOf = (timeMs: number) => outputs.some((o) => o.position?.timeMs === timeMs);
    await ingest.submitFixes(device, [fixes[0]!], t.clock.nowMs);
    await runner.idle();
    const lane = runner.lanes.existing(device.busId!)!;
    const loadedMs = lane.trip!.loadedMs;
    expect(positionOf(fixes[0]!.timeMs)).toBe(true);

    // At the lifetime's shortest draw (four fifths of 30 s), within it: stepped first, reloaded after.
    t.clock.nowMs = loadedMs + CONTEXT_TTL_MS * 0.8;
    reads.hold();
    await ingest.submitFixes(device, [fixes[1]!], t.clock.nowMs);
    await until(() => reads.waiting === 1, 5000, 'the reload to be held');
    expect(positionOf(fixes[1]!.timeMs)).toBe(true);
    reads.release();
    await runner.idle();
    expect(lane.trip!.loadedMs).toBe(t.clock.nowMs);

    // Past the longest lifetime: the context is reloaded before the step, so the output waits for it.
    t.clock.nowMs += CONTEXT_TTL_MS + 1;
    reads.hold();
    await ingest.submitFixes(device, [fixes[2]!], t.clock.nowMs);
    await until(() => reads.waiting === 1, 5000, 'the reload to be held');
    expect(positionOf(fixes[2]!.timeMs)).toBe(false);
    reads.release();
    await runner.idle();
    expect(positionOf(fixes[2]!.timeMs)).toBe(true);
    expect(lane.trip!.loadedMs).toBe(t.clock.nowMs);
    await ingest.close();
  });

  it('writes a failed engine write again with the next input', async () => {
    const engineDb = withFaults(t.database, (text) => text === ENGINE_PERSIST_SQL);
    const { ingest, runner } = pipeline(engineDb);
    const device = (await ingest.lookupDevice('json', 'B-dev-1'))!;
    const status = () => tripStatus(w.b.trips[0].id);
    const fixes = fromRouteStart(w.b.routes[0], 'B-dev-1', START_MS + 60_000, 1);
    engineDb.down = true;
    await ingest.submitFixes(device, [fixes[0]!], t.clock.nowMs);
    await runner.idle();
    engineDb.down = false;
    expect(engineDb.failed).toBe(1); // the trip start's write was refused
    expect(await status()).not.toBe('active');
    await ingest.submitFixes(device, [fixes[1]!], t.clock.nowMs);
    await runner.idle();
    expect(await status()).toBe('active');
    await ingest.close();
  });
});
