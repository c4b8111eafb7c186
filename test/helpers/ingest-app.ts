// The app with the ingest pipeline on a test database (optionally behind fault injection).
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import type { Database } from '../../src/store/db';
import { ADMIN_TOKEN, createTestApp, type TestApp } from './app';
import { assertContract } from './contract';
import { withFaults, type FaultyDatabase } from './faults';
import { buildWorld, type World } from './world';

export function appWithIngest(database: Database, clock: { nowMs: number }) {
  const ingest: PipelineIngest = createIngest({
    database,
    log: silentLogger,
    now: () => clock.nowMs,
    writer: { maxDelayMs: 2 },
  });
  const app = createApp({ database, log: silentLogger, now: () => clock.nowMs, ingest });
  const call = async (method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    assertContract(app, method, path, res, body);
    return { status: res.status, body, headers: res.headers };
  };
  return { ingest, app, call };
}

/** The two-school world with the ingest pipeline in front of a fault-injectable database, for one test file. */
export interface IngestWorld {
  t: TestApp;
  w: World;
  faulty: FaultyDatabase;
  api: ReturnType<typeof appWithIngest>;
}

export async function setupIngestWorld(startMs: number): Promise<IngestWorld> {
  const t = await createTestApp(startMs);
  const w = await buildWorld(t);
  const faulty = withFaults(t.database);
  return { t, w, faulty, api: appWithIngest(faulty, t.clock) };
}

export async function teardownIngestWorld(s: IngestWorld | undefined): Promise<void> {
  await s?.api.ingest.close();
  await s?.t.close();
}
