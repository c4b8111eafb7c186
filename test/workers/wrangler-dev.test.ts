// The launcher of `wrangler dev` that every Workers test and bench:workers use (scripts/workers/wrangler-dev.ts):
// a port taken between choosing it and wrangler's bind (CI saw wrangler exit 1 once, "Address already in use")
// makes it start again on a free port instead of failing the test file.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startWranglerDev, type WranglerDev } from '../../scripts/workers/wrangler-dev';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let worker: WranglerDev | undefined;
let database: TestDatabase | undefined;
let taken: Server | undefined;
afterAll(async () => {
  await worker?.dispose();
  await database?.close();
  taken?.close();
});

describe('wrangler dev launcher', () => {
  it('starts again on a free port when its port is taken, and the Worker then answers there', async () => {
    database = await createTestDatabase();
    taken = createServer((s) => s.destroy());
    const busyPort = await new Promise<number>((ok) =>
      taken!.listen(0, '127.0.0.1', () => ok((taken!.address() as { port: number }).port)),
    );
    worker = await startWranglerDev({ databaseUrl: database.url!, port: busyPort });
    expect(worker.port).not.toBe(busyPort);
    // the first try failed on the taken port, and its reason is in the output
    expect(worker.output()).toMatch(/Address already in use \(127\.0\.0\.1:\d+\)/);
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'postgres' });
  });
});
