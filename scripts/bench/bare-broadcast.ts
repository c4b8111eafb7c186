// bench:live's limit: a bare `ws` broadcast of the same messages. An HTTP endpoint takes one position per
// request (POST /publish {topic, data}), answers 200 and sends it, framed as the live hub frames it, to every
// client subscribed to the topic. No auth, no storage, no engine: what the wire and the clients alone cost.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const topics = new Map<string, Set<WebSocket>>();
const seq = new Map<string, number>();
const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const { topic, data } = JSON.parse(Buffer.concat(parts).toString()) as { topic: string; data: unknown };
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1}');
    const n = (seq.get(topic) ?? 0) + 1;
    seq.set(topic, n);
    const text = JSON.stringify({ type: 'position', topic, seq: n, ts: Date.now(), data });
    for (const ws of topics.get(topic) ?? []) ws.send(text);
  });
});
const wss = new WebSocketServer({ server, path: '/api/v1/live', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (raw: Buffer) => {
    const msg = JSON.parse(raw.toString()) as { type: string; topic: string };
    if (msg.type !== 'subscribe') return;
    (topics.get(msg.topic) ?? topics.set(msg.topic, new Set()).get(msg.topic)!).add(ws);
    ws.send(JSON.stringify({ type: 'subscribed', topic: msg.topic, seq: null }));
  });
  ws.on('close', () => {
    for (const set of topics.values()) set.delete(ws);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'close') process.exit(0);
});
