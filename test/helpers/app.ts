// The app on a test database, with a request helper that speaks JSON and bearer tokens.
import { createApp } from '../../src/http/app';
import { silentLogger } from '../../src/logging';
import { ensureAdmin } from '../../src/store/repos/auth-repo';
import { assertContract } from './contract';
import { createTestDatabase, type TestDatabase } from './db';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  database: TestDatabase;
  app: ReturnType<typeof createApp>;
  clock: { nowMs: number };
  call: (
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; raw?: RequestInit['body']; headers?: Record<string, string> },
  ) => Promise<{ status: number; body: any; headers: Headers }>;
  close: () => Promise<void>;
}

/** Every answer is checked against the declared contract (test/helpers/contract.ts) unless `contract: false`. */
export async function createTestApp(
  startMs = Date.UTC(2026, 8, 1, 0, 0, 0),
  options: { contract?: boolean } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  await ensureAdmin(database.db, ADMIN_TOKEN);
  const clock = { nowMs: startMs };
  const app = createApp({ database, log: silentLogger, now: () => clock.nowMs });
  const call: TestApp['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: RequestInit['body'] = opts.raw;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    if (options.contract !== false) assertContract(app, method, path, res, parsed);
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return { database, app, clock, call, close: () => database.close() };
}
