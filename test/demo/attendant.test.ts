// The demo drives a simulated attendant too: check-in, the children boarding at their stops, everyone off at the
// last stop and the end-of-trip sweep — so demo trips end cleanly, without a false "child left on board" alarm.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDemoDay, seedDemo } from '../../src/demo/seed';
import { simulate } from '../../src/demo/simulate';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createEngineRunner, type EngineRunner } from '../../src/pipeline/engine-runner';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import { startOsmandServer } from '../../src/runtime/node/osmand-server';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { demoSimOptions } from '../helpers/demo-sim';

const ADMIN = 'sim-attendant-admin-token-0123456789';
let database: TestDatabase;
let ingest: PipelineIngest;
let runner: EngineRunner;
let http: ServerType;
let osmand: ServerType;
let jt808: Jt808Server;
let demo: Awaited<ReturnType<typeof seedDemo>>;
const listening = (s: ServerType) => new Promise<void>((r) => (s.listening ? r() : s.once('listening', () => r())));

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureAdmin(database.db, ADMIN);
  demo = await seedDemo(database, { now: Date.now() });
  await refreshDemoDay(database, { now: Date.now() });
  ingest = createIngest({ database, log: silentLogger, writer: { maxDelayMs: 2 } });
  runner = createEngineRunner({ database, log: silentLogger, now: Date.now });
  runner.attach(ingest);
  const deps = { database, log: silentLogger, now: Date.now, ingest, runner };
  http = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' });
  osmand = startOsmandServer(deps, { port: 0, host: '127.0.0.1' });
  await Promise.all([listening(http), listening(osmand)]);
  jt808 = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
}, 120_000);

afterAll(async () => {
  await jt808?.close();
  http?.close();
  osmand?.close();
  await ingest?.close();
  await runner?.close();
  await database?.close();
});

describe('demo attendant', () => {
  it('checks in, records boardings at stops and confirms the sweep: no child-left-on-board alarm', async () => {
    const o = demoSimOptions(demo, {
      apiUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      adminToken: ADMIN,
      jt808Port: jt808.port,
      osmandPort: (osmand.address() as AddressInfo).port,
      speedup: 300,
      durationS: 12,
    });
    expect(o.attendantTokens.size).toBe(3);
    const summary = await simulate(o);
    expect(summary.buses).toHaveLength(3);
    for (const b of summary.buses) {
      expect(b.attendant, JSON.stringify(b)).toMatchObject({ checkedIn: true, swept: true, errors: 0 });
      expect(b.attendant!.boarded, JSON.stringify(b)).toBeGreaterThan(0);
      expect(b.attendant!.gotOff).toBe(b.attendant!.boarded);
    }
    const [records] = await database.query<{ n: number }>(
      "select count(*)::int as n from boarding_records where kind = 'student'",
    );
    expect(Number(records!.n)).toBeGreaterThan(0);
    const sweeps = await database.query<{ confirmed_empty: boolean; onboard_at_confirm: number }>(
      'select confirmed_empty, onboard_at_confirm from trip_sweeps',
    );
    expect(sweeps).toHaveLength(3);
    expect(sweeps.every((s) => s.confirmed_empty === true && Number(s.onboard_at_confirm) === 0)).toBe(true);
    const alarms = await database.query("select id from violations where kind = 'childLeftOnBoard'");
    expect(alarms).toEqual([]);
  }, 90_000);
});
