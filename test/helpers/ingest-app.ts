// The app with the ingest pipeline on a test database (optionally behind fault injection).
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { createIngest, type PipelineIngest } from '../../src/pipeline/ingest';
import type { Database } from '../../src/store/db';
import { ADMIN_TOKEN } from './app';

export function appWithIngest(database: Database, clock: { nowMs: number }) {
  const ingest: PipelineIngest = createIngest({ database, log: silentLogger, now: () => clock.nowMs, writer: { maxDelayMs: 2 } });
  const app = createApp({ database, log: silentLogger, now: () => clock.nowMs, ingest });
  const call = async (method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
  return { ingest, app, call };
}
