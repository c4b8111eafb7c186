// The world both terminal-identity tests start from: a test app with the JT/T 808 server on a real TCP port, two
// schools and a manager of each (with a real token); terminal clients opened by a test are closed with the world.
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import type { Jt808TerminalClient } from '../../src/demo/jt808-terminal';
import { createTestApp, type TestApp } from '../helpers/app';
import { ok } from '../runtime/jt808-helpers';

export interface TwoSchools {
  t: TestApp;
  ingest: PipelineIngest;
  server: Jt808Server;
  schoolA: number;
  schoolB: number;
  managerA: string;
  managerB: string;
  /** Terminal connections to close at the end. */
  clients: Jt808TerminalClient[];
  close(): Promise<void>;
}

/** A user created through the API and a token for it. */
export async function tokenFor(t: TestApp, user: Record<string, unknown>): Promise<string> {
  const u = await ok(t.call('POST', '/api/v1/users', { body: user }));
  return (await ok(t.call('POST', `/api/v1/users/${u.id}/tokens`, { body: { label: 'test' } }))).token;
}

/** `nowMs`: the registry's clock (real time by default, so windows expire as the server sees them). */
export async function twoSchools(nowMs = Date.now()): Promise<TwoSchools> {
  const t = await createTestApp(nowMs);
  const ingest = createIngest({ database: t.database, log: silentLogger, writer: { maxDelayMs: 2 } });
  const server = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
  const schoolA = (await ok(t.call('POST', '/api/v1/schools', { body: { name: 'School A', lat: 31.2, lon: 121.4 } })))
    .id;
  const schoolB = (await ok(t.call('POST', '/api/v1/schools', { body: { name: 'School B', lat: 31.3, lon: 121.5 } })))
    .id;
  const managerA = await tokenFor(t, { name: 'Manager A', role: 'manager', schoolIds: [schoolA] });
  const managerB = await tokenFor(t, { name: 'Manager B', role: 'manager', schoolIds: [schoolB] });
  const clients: Jt808TerminalClient[] = [];
  return {
    t,
    ingest,
    server,
    schoolA,
    schoolB,
    managerA,
    managerB,
    clients,
    close: async () => {
      for (const c of clients) c.destroy();
      await server.close();
      await ingest.close();
      await t.close();
    },
  };
}
