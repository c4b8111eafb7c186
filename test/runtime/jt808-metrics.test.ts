// The JT/T 808 server's counters appear on /metrics beside the ingest's.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import { registerJt808Metrics, startJt808Server, type Jt808Server } from '../../src/runtime/node/jt808-server';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
let ingest: PipelineIngest;
let server: Jt808Server;
beforeAll(async () => {
  database = await createTestDatabase();
  ingest = createIngest({ database, log: silentLogger });
  server = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
  registerJt808Metrics(ingest.metrics, server);
});
afterAll(async () => {
  await server.close();
  await ingest.close();
  await database.close();
});

describe('JT/T 808 metrics', () => {
  it('counts connections and bad frames', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    // A heartbeat from terminal 013912345678 with a wrong checksum (the right one is 0x30).
    socket.write(Buffer.from('7E000200000139123456780002317E', 'hex'));
    await new Promise((r) => socket.once('data', r));
    const app = createApp({ database, log: silentLogger, now: Date.now, ingest });
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/^busguard_jt808_connections_open 1$/m);
    expect(text).toMatch(/^busguard_jt808_bad_frames_total 1$/m);
    expect(text).toMatch(/^# TYPE busguard_jt808_frames_in_total counter$/m);
    socket.destroy();
  });
});
