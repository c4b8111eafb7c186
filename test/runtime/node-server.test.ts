// `npm start` as a newcomer runs it: a child process on a fresh data directory, over a real socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let dataDir: string;
let output = '';
const port = 31000 + Math.floor(Math.random() * 2000);
const base = `http://127.0.0.1:${port}`;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'busguard-start-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', OSMAND_PORT: '0', JT808_PORT: '0', DATA_DIR: dataDir, DATABASE_URL: '', DEMO: '', ADMIN_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline && !exited) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start:\n${output}`);
}, 60_000);

afterAll(() => {
  child?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('node server on the embedded database', () => {
  it('prints an admin token once and serves the demo district with it', async () => {
    const admin = output.match(/Admin token[^:]*: (bg_\S+)/)?.[1];
    expect(admin).toBeDefined();
    const res = await fetch(`${base}/api/v1/routes`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { name: string }[] };
    expect(body.items.map((r) => r.name)).toContain('City - Redlynch');
  });

  it('writes the demo tokens to the data directory', () => {
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo-tokens.json'), 'utf8'));
    expect(demo.tokens.map((t: { role: string }) => t.role)).toEqual(expect.arrayContaining(['manager', 'attendant', 'guardian']));
  });

  it('drives the demo buses: positions of all three protocols arrive and today\'s demo trips start', async () => {
    const admin = output.match(/Admin token[^:]*: (bg_\S+)/)?.[1];
    await expect
      .poll(async () => (await (await fetch(`${base}/metrics`)).text()).match(/busguard_fixes_accepted_total\{protocol="(jt808|osmand|json)"\} [1-9]/g)?.length ?? 0, { timeout: 40_000, interval: 1000 })
      .toBe(3);
    await expect
      .poll(
        async () => {
          const r = (await (await fetch(`${base}/api/v1/trips?limit=50`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { items: { status: string }[] };
          return r.items.filter((t) => t.status === 'active').length;
        },
        { timeout: 40_000, interval: 1000 },
      )
      .toBe(3);
  }, 90_000);

  it('logs JSON lines with request ids', async () => {
    await fetch(`${base}/api/v1/buses`, { headers: { 'x-request-id': 'probe-1' } });
    await new Promise((r) => setTimeout(r, 100));
    const line = output.split('\n').find((l) => l.includes('probe-1'));
    expect(line && JSON.parse(line)).toMatchObject({ msg: 'http', status: 401, requestId: 'probe-1' });
  });
});
