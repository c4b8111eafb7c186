// How the Node servers listen: a burst of a thousand connections while the server is busy is queued by the kernel,
// not dropped (a dropped SYN is retried after a second); an idle device's keep-alive connection outlives Node's
// default 5 s; the JT/T 808 server asks for the same accept queue.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging';
import { LISTEN_BACKLOG, serveHttp } from '../../src/runtime/node/listen';
import { startJt808Server } from '../../src/runtime/node/jt808-server';
import type { Ingest } from '../../src/pipeline/types';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

function listening(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    if (server.listening) resolve((server.address() as AddressInfo).port);
    else server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Connects `n` sockets from a child process at once; resolves with the slowest connect (ms) once all are open. */
function connectBurst(port: number, n: number, whenStarted: () => void): Promise<number> {
  const code = `
    const net = require('node:net');
    const started = Date.now(); let open = 0, slowest = 0; const sockets = [];
    for (let i = 0; i < ${n}; i++) {
      const s = net.connect(${port}, '127.0.0.1', () => {
        slowest = Math.max(slowest, Date.now() - started);
        if (++open === ${n}) { for (const x of sockets) x.destroy(); console.log(String(slowest)); process.exit(0); }
      });
      s.on('error', () => {});
      sockets.push(s);
    }
    process.stderr.write('started\\n');
    setTimeout(() => { console.log('timeout ' + open); process.exit(0); }, 20000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.once('data', whenStarted);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => {
      const slowest = Number(out.trim());
      if (Number.isFinite(slowest)) resolve(slowest);
      else reject(new Error(`burst: ${out.trim()}`));
    });
  });
}

describe('listening sockets', () => {
  it('queues a burst of 1,000 connections while the server is busy: none waits for a SYN retry', async () => {
    const server = serveHttp(() => new Response('ok'), { port: 0, host: '127.0.0.1' });
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = await listening(server);
    const slowestMs = await connectBurst(port, 1000, () => {
      // The server's event loop is busy for a second and a half: nothing is accepted meanwhile.
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        /* busy */
      }
    });
    // A connection beyond a full accept queue has its SYN dropped and retried after a second; with Node's default
    // queue (511) half of these would.
    expect(slowestMs).toBeLessThan(900);
  }, 30_000);

  it("keeps an idle device's keep-alive connection open past Node's default 5 s", async () => {
    const server = serveHttp(() => new Response('ok'), { port: 0, host: '127.0.0.1' });
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = await listening(server);
    let connections = 0;
    server.on('connection', () => connections++);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) =>
        http
          .get({ port, host: '127.0.0.1', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject),
      );
    expect(await get()).toBe(200);
    await new Promise((r) => setTimeout(r, 6000));
    expect(await get()).toBe(200);
    expect(connections).toBe(1);
    agent.destroy();
  }, 20_000);

  it('has the JT/T 808 server ask the kernel for the same accept queue', async () => {
    // No terminal connects: the ingest is never called.
    const ingest = {} as Ingest;
    const server = await startJt808Server({ port: 0, host: '127.0.0.1', ingest, log: silentLogger });
    closers.push(() => server.close());
    // ss shows a listening socket's accept queue limit as its Send-Q; the kernel cuts it to net.core.somaxconn.
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const line = execFileSync('ss', ['-ltnH', `sport = :${server.port}`], { encoding: 'utf8' }).trim();
    const sendQ = Number(line.split(/\s+/)[2]);
    expect(sendQ).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
  });
});
