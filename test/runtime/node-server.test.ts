// `npm start` as a newcomer runs it: a child process on a fresh data directory, over a real socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { npmStartArgs } from '../../scripts/bench/npm-start';
import { readyBaseUrl, stopChild } from '../helpers/child-process';

const ROOT = resolve(import.meta.dirname, '../..');
let child: ChildProcess;
let dataDir: string;
let output = '';
let base = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'busguard-start-'));
  child = spawn(process.execPath, npmStartArgs(ROOT), {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      OSMAND_PORT: '0',
      JT808_PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      DEMO: '',
      ADMIN_TOKEN: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // a loaded CI machine takes a while to build the pages and seed the demo
  base = await readyBaseUrl(child, () => output, 100_000);
}, 120_000);

afterAll(async () => {
  await stopChild(child);
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
}, 30_000);

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
    expect(demo.tokens.map((t: { role: string }) => t.role)).toEqual(
      expect.arrayContaining(['manager', 'attendant', 'guardian']),
    );
  });

  it("drives the demo buses: positions of all three protocols arrive and today's demo trips start", async () => {
    const admin = output.match(/Admin token[^:]*: (bg_\S+)/)?.[1];
    await expect
      .poll(
        async () =>
          (await (await fetch(`${base}/metrics`)).text()).match(
            /busguard_fixes_accepted_total\{protocol="(jt808|osmand|json)"\} [1-9]/g,
          )?.length ?? 0,
        { timeout: 40_000, interval: 1000 },
      )
      .toBe(3);
    await expect
      .poll(
        async () => {
          const r = (await (
            await fetch(`${base}/api/v1/trips?limit=50`, { headers: { authorization: `Bearer ${admin}` } })
          ).json()) as { items: { status: string }[] };
          return r.items.filter((t) => t.status === 'active').length;
        },
        { timeout: 40_000, interval: 1000 },
      )
      .toBe(3);
  }, 90_000);

  it('counts the live side in /metrics: sessions, messages written by type, refusals', async () => {
    const admin = output.match(/Admin token[^:]*: (bg_\S+)/)![1]!;
    const buses = (await (
      await fetch(`${base}/api/v1/buses`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as { items: { id: number }[] };
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/live`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const got: { type?: string }[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d))));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    for (const b of buses.items) ws.send(JSON.stringify({ type: 'subscribe', topic: `bus:${b.id}` }));
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'nowhere:1' }));
    // The demo simulator drives the buses: a position reaches this session.
    await expect.poll(() => got.filter((m) => m.type === 'position').length, { timeout: 40_000 }).toBeGreaterThan(0);
    const value = (text: string, series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const text = await (await fetch(`${base}/metrics`)).text();
    ws.close();
    expect(text).toContain('# TYPE busguard_live_messages_sent_total counter');
    expect(value(text, 'busguard_live_connections')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'busguard_live_topics')).toBeGreaterThanOrEqual(buses.items.length);
    const positions = got.filter((m) => m.type === 'position').length;
    expect(value(text, 'busguard_live_messages_sent_total{type="position"}')).toBeGreaterThanOrEqual(positions);
    // authenticated, one 'subscribed' per bus, the refusal
    expect(value(text, 'busguard_live_messages_sent_total{type="control"}')).toBeGreaterThanOrEqual(
      buses.items.length + 2,
    );
    expect(value(text, 'busguard_live_subscriptions_refused_total')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'busguard_live_queued_messages')).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('logs JSON lines with request ids', async () => {
    await fetch(`${base}/api/v1/buses`, { headers: { 'x-request-id': 'probe-1' } });
    await new Promise((r) => setTimeout(r, 100));
    const line = output.split('\n').find((l) => l.includes('probe-1'));
    expect(line && JSON.parse(line)).toMatchObject({ msg: 'http', status: 401, requestId: 'probe-1' });
  });
});

describe('npm run report while the server holds the embedded database', () => {
  const report = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'scripts/report.ts', ...args], {
        env: {
          ...process.env,
          PORT: new URL(base).port, // the server's, as an operator's shell would have it
          DATA_DIR: dataDir,
          DATABASE_URL: '',
          BUSGUARD_TOKEN: '',
          ADMIN_TOKEN: '',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout!.on('data', (d) => (stdout += d));
      p.stderr!.on('data', (d) => (stderr += d));
      p.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  it('goes through the API with a token, and says exactly what to do without one', async () => {
    const admin = output.match(/Admin token[^:]*: (bg_\S+)/)![1]!;
    const ok = await report(['--school', 'all', '--period', '2026-09'], { ADMIN_TOKEN: admin });
    expect(ok.code, ok.stderr).toBe(0);
    const body = JSON.parse(ok.stdout);
    expect(body.id).toBeGreaterThan(0);
    const stored = await fetch(`${base}/api/v1/reports/${body.id}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(stored.status).toBe(200);

    // With the demo's manager token from DATA_DIR/demo-tokens.json, a school by name.
    const manager = await report(
      ['--school', 'Cairns Demo Primary School', '--period', '2026-09', '--format', 'csv'],
      {},
    );
    expect(manager.code, manager.stderr).toBe(0);
    expect(manager.stdout).toContain('violations,total');

    const none = await report(['--school', 'all', '--period', '2026-09'], {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'busguard-report-')),
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--api ${base} --token <token>`);
    expect((await fetch(`${base}/readyz`)).status).toBe(200); // the server was never disturbed
  }, 120_000);
});
