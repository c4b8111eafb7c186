// Issue 18.4: one writer per data directory. The server is started as `npm start` does (npmStartArgs)
// in child processes with their own temporary DATA_DIR. A second instance on the same DATA_DIR exits at once,
// non-zero, naming the first one's pid, while the first keeps acknowledging fixes — and every fix it acknowledged is
// stored. A second start on a busy port fails before it touches the database. A lock left by a dead process is
// taken over; one held by a live process is respected.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../src/runtime/node/data-dir-lock';
import { createPgliteDatabase } from '../../src/store/pglite-db';
import { npmStartArgs } from '../../scripts/bench/npm-start';
import { listeningPort } from '../helpers/child-process';

const ROOT = resolve(__dirname, '../..');
const ADMIN = 'lock-test-admin-token-0123456789';
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bg-lock-'));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; ms: number }>;
}

function start(dataDir: string, env: Record<string, string> = {}): Started {
  const t0 = Date.now();
  const child = spawn(process.execPath, npmStartArgs(ROOT), {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      DEMO: '0',
      SIMULATE: '0',
      HOST: '127.0.0.1',
      PORT: '0',
      OSMAND_PORT: '0',
      JT808_PORT: '0',
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<{ code: number | null; ms: number }>((res) =>
    child.on('exit', (code) => res({ code, ms: Date.now() - t0 })),
  );
  return { child, out: () => text, exited };
}

async function httpPort(s: Started, timeoutMs = 240_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const port = listeningPort(s.out());
    if (port !== undefined) return port;
    if (s.child.exitCode !== null) throw new Error(`server exited: ${s.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start: ${s.out()}`);
}

describe('one writer per data directory', () => {
  it('a second instance on the same DATA_DIR exits at once naming the first; every fix the first acknowledged is stored', async () => {
    const dataDir = tempDir();
    const first = start(dataDir);
    const port = await httpPort(first);
    const base = `http://127.0.0.1:${port}/api/v1`;
    const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
      const r = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json().catch(() => null)) as any };
    };
    const school = await call('POST', '/schools', { name: 'Lock School', lat: 31.2, lon: 121.4 });
    expect(school.status).toBe(201);
    const bus = await call('POST', '/buses', {
      schoolId: school.body.id,
      plate: 'LOCK-1',
      approvedCapacity: 40,
      signValidUntil: '2030-01-01',
      inspectionValidUntil: '2030-01-01',
    });
    const device = await call('POST', '/devices', {
      schoolId: school.body.id,
      busId: bus.body.id,
      protocol: 'json',
      identifier: 'lock-dev',
      secret: 'secret-123',
    });
    const user = await call('POST', '/users', { name: 'Lock device', role: 'device', deviceId: device.body.id });
    const token = (await call('POST', `/users/${user.body.id}/tokens`, {})).body.token as string;

    // Fixes flow all along; every acknowledged time is remembered.
    const acked: number[] = [];
    const t0 = Date.now() - 3_600_000;
    let k = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        const times = Array.from({ length: 10 }, () => t0 + k++ * 1000);
        const r = await call(
          'POST',
          '/telemetry/positions',
          {
            positions: times.map((ms, i) => ({
              time: new Date(ms).toISOString(),
              lat: 31.2,
              lon: 121.4 + (k - 10 + i) * 0.00005,
            })),
          },
          token,
        );
        if (r.status === 200)
          for (const [i, item] of r.body.items.entries()) if (item.status === 'accepted') acked.push(times[i]!);
      }
    })();
    while (acked.length < 50) await new Promise((r) => setTimeout(r, 50));

    const second = start(dataDir);
    const exit = await second.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    // `npm start` runs node itself (tsx is a loader, not a parent process): the lock names the process we started.
    const lockPid = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).pid as number;
    expect(lockPid).toBe(first.child.pid);
    expect(second.out()).toContain(`pid ${lockPid}`);
    expect(second.out()).not.toContain('database ready');
    expect(exit.ms).toBeLessThan(30_000); // tsx start-up on a loaded machine; no database work is done
    console.log(`second instance refused in ${exit.ms} ms`);

    // The first keeps working.
    const before = acked.length;
    const until = Date.now() + 20_000;
    while (acked.length < before + 50 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    sending = false;
    await sender;
    expect(acked.length).toBeGreaterThanOrEqual(before + 50);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    // Every acknowledged fix is in the database the first instance wrote.
    const db = await createPgliteDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      const rows = await db.query<{ ms: number }>(
        'select extract(epoch from time)::float8 * 1000 as ms from positions where device_id = $1',
        [device.body.id],
      );
      const stored = new Set(rows.map((r) => Math.round(Number(r.ms))));
      const lost = acked.filter((ms) => !stored.has(ms));
      expect(lost).toEqual([]);
      expect(stored.size).toBe(new Set(acked).size);
      console.log(`${acked.length} fixes acknowledged, ${lost.length} lost`);
    } finally {
      await db.close();
    }
  }, 400_000);

  it('a second start on a busy port fails before it touches the database', async () => {
    const busyDir = tempDir();
    const first = start(busyDir);
    const port = await httpPort(first);
    const freshDir = tempDir();
    const second = start(freshDir, { PORT: String(port) });
    const exit = await second.exited;
    expect(exit.code).not.toBe(0);
    expect(second.out()).toMatch(new RegExp(`PORT ${port} .*already in use`));
    expect(existsSync(join(freshDir, 'pglite'))).toBe(false);
    expect(existsSync(join(freshDir, LOCK_FILE))).toBe(false); // released on exit
    first.child.kill('SIGTERM');
    await first.exited;
  }, 400_000);
});

describe('the lock file', () => {
  it('takes over a lock left by a dead process, respects a live one, and is released', async () => {
    const dir = tempDir();
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: dead.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(alive);
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: alive.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(`pid ${alive.pid}`);
    alive.kill('SIGKILL');
    await new Promise((r) => alive.on('exit', r));
    lockDataDir(dir).release();

    // A recycled pid (alive, but another process than the one that wrote the lock) does not hold the lock.
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.ppid, host: hostname(), procStart: '1', startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    if (existsSync(`/proc/${process.ppid}/stat`)) lockDataDir(dir).release();
  });
});
