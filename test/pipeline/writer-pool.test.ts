// The durable writers run on a database handle of their own (the server gives them their own connections): a fix is
// stored and acknowledged while every statement on the main handle waits (a pool taken up by reads, notices and
// jobs), and the engine's output is written on the writers' handle too.
import { describe, expect, it } from 'vitest';
import { ENGINE_PERSIST_SQL } from '../../src/pipeline/engine-store';
import { POSITION_INSERT_SQL } from '../../src/pipeline/position-writer';
import { openWriterDatabase } from '../../src/runtime/node/database';
import type { TestApp } from '../helpers/app';
import { recording, withGate } from '../helpers/faults';
import type { World } from '../helpers/world';
import { until } from '../runtime/jt808-helpers';
import { fromRouteStart } from './drive';
import { lanePipeline, WORLD_TRIPS_START_MS, withPipelineWorld } from './pipeline';

let t: TestApp;
let w: World;
const START_MS = WORLD_TRIPS_START_MS;
withPipelineWorld((app, world) => ((t = app), (w = world)));

describe('the writers on a handle of their own', () => {
  it('acknowledges a stored fix while the main handle holds every statement, and persists the engine there', async () => {
    const mainRecording = recording(t.database);
    const main = withGate(mainRecording, () => true);
    const writers = recording(t.database);
    const { ingest, runner, close } = lanePipeline(t, { database: main, writerDatabase: writers });
    const device = (await ingest.lookupDevice('json', 'A-dev-1'))!;
    const [fix] = fromRouteStart(w.a.routes[0], 'A-dev-1', START_MS + 60_000);

    main.hold();
    const ack = await ingest.submitFixes(device, [fix!], t.clock.nowMs);
    expect(ack.outcomes[0]!.status).toBe('accepted');
    const stored = await t.database.query<{ n: number }>(
      'select count(*)::int as n from positions where device_id = $1 and time = to_timestamp($2 / 1000.0)',
      [device.deviceId, fix!.timeMs],
    );
    expect(stored[0]!.n).toBe(1);
    // The engine's reads of the trip wait on the main handle; nothing was written there.
    await until(() => main.waiting > 0, 5000, 'the engine to ask the main handle for the trip');
    expect(writers.texts).toContain(POSITION_INSERT_SQL);
    expect(mainRecording.texts).not.toContain(POSITION_INSERT_SQL);

    main.release();
    await runner.idle();
    const [trip] = await t.database.query<{ status: string }>('select status from trips where id = $1', [
      w.a.trips[0].id,
    ]);
    expect(trip!.status).toBe('active');
    expect(writers.texts).toContain(ENGINE_PERSIST_SQL);
    expect(mainRecording.texts).not.toContain(ENGINE_PERSIST_SQL);
    await close();
  });

  it('gets connections of its own on a PostgreSQL server, and shares the one connection of the embedded database', async () => {
    const embedded = openWriterDatabase({}, t.database);
    expect(embedded).toBe(t.database);
    const server = openWriterDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' }, t.database);
    try {
      expect(server).not.toBe(t.database);
      expect(server.kind).toBe('postgres');
    } finally {
      await server.close();
    }
  });
});
