// Live tests: the app and the WebSocket endpoint on a real http.Server (127.0.0.1, port 0), and a ws client
// that records every message and can wait for one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import WebSocket from 'ws';
import { createApp } from '../../src/http/app';
import type { AppDeps } from '../../src/http/context';
import { ApiRegistry } from '../../src/http/openapi';
import { registerLive } from '../../src/http/resources/live';
import { attachLive, type AttachLiveOptions, type LiveAttachment } from '../../src/runtime/node/live-ws';
import type { LiveService } from '../../src/live/service';

export interface LiveServer {
  server: Server;
  url: string;
  wsUrl: string;
  attachment: LiveAttachment;
  close(): Promise<void>;
}

export async function startLiveServer(
  deps: AppDeps & { live: LiveService },
  opts: AttachLiveOptions = {},
): Promise<LiveServer> {
  const app = createApp(deps);
  // Idempotent with the hook in createApp: Hono takes the first matching route.
  registerLive(app, new ApiRegistry(), deps);
  const server = createServer(getRequestListener(app.fetch));
  const attachment = attachLive(server, deps.live, opts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/live`,
    attachment,
    close: async () => {
      await attachment.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface LiveClient {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  send(obj: unknown): void;
  waitFor(pred: (m: any) => boolean, what?: string, timeoutMs?: number): Promise<any>;
  of(type: string, topic?: string): any[];
  close(): Promise<void>;
}

export async function connect(
  url: string,
  opts: { token?: string; headers?: Record<string, string>; autoPong?: boolean } = {},
): Promise<LiveClient> {
  const headers = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const ws = new WebSocket(url, { headers, autoPong: opts.autoPong ?? true });
  const messages: any[] = [];
  const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    closed,
    send: (obj) => ws.send(JSON.stringify(obj)),
    of: (type, topic) => messages.filter((m) => m.type === type && (topic === undefined || m.topic === topic)),
    waitFor: (pred, what = 'message', timeoutMs = 5000) => {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages.slice(-5))}`)),
          timeoutMs,
        );
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

/** Subscribes and waits for the answer (subscribed or error) for that topic. */
export async function subscribe(c: LiveClient, topic: string, lastSeq?: number): Promise<any> {
  c.send(lastSeq === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, lastSeq });
  return c.waitFor((m) => (m.type === 'subscribed' || m.type === 'error') && m.topic === topic, `answer for ${topic}`);
}
