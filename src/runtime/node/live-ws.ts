// Node transport for the live hub: WebSocket (ws) on the main HTTP server's upgrade event, path /api/v1/live.
// A bearer token on the upgrade authenticates at once (a bad one answers HTTP 401); browsers, which cannot set
// headers, send { "type": "auth", "token" } first. ws ping/pong every heartbeat interval drops dead peers.
// Node-only, so it lives with the Node runtime.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../../auth/principal';
import type { LiveService } from '../../live/service';

export const LIVE_PATH = '/api/v1/live';

export interface AttachLiveOptions {
  path?: string;
  /** ping interval; a peer that did not answer the previous ping is terminated */
  heartbeatMs?: number;
  /** how often queued messages are moved to sockets that drained */
  flushMs?: number;
  /** largest client frame, bytes */
  maxPayloadBytes?: number;
  /** a socket asked to close is destroyed after this long if the peer does not answer */
  closeTimeoutMs?: number;
}

export interface LiveAttachment {
  wss: WebSocketServer;
  close(): Promise<void>;
}

/**
 * One text message as a server WebSocket frame (RFC 6455: FIN, text opcode, unmasked, 7/16/64-bit length), built
 * once for all the followers the hub sends it to: written to each socket as it is, instead of one encoding, one
 * header and one two-part write per follower. The hub sends a message to its followers one after another, so the
 * last frame is the one to reuse.
 */
class TextFrames {
  private text: string | undefined;
  private frame = Buffer.alloc(0);

  of(text: string): Buffer {
    if (text === this.text) return this.frame;
    const payload = Buffer.byteLength(text);
    const header = payload < 126 ? 2 : payload < 65_536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(header + payload);
    frame[0] = 0x81;
    if (header === 2) frame[1] = payload;
    else if (header === 4) {
      frame[1] = 126;
      frame.writeUInt16BE(payload, 2);
    } else {
      frame[1] = 127;
      frame.writeBigUInt64BE(BigInt(payload), 2);
    }
    frame.write(text, header, 'utf8');
    this.text = text;
    this.frame = frame;
    return frame;
  }
}

function reject(socket: Duplex, status: number, code: string, message: string) {
  const body = JSON.stringify({ error: { code, message, requestId: 'live' } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function attachLive(server: Server, live: LiveService, opts: AttachLiveOptions = {}): LiveAttachment {
  const path = opts.path ?? LIVE_PATH;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 2000;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayloadBytes ?? 16 * 1024,
    perMessageDeflate: false,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  const frames = new TextFrames();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      if (server.listenerCount('upgrade') === 1)
        reject(socket, 404, 'not_found', `No WebSocket endpoint at ${url.pathname}`);
      return;
    }
    socket.on('error', () => socket.destroy());
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    const accept = (principal?: Principal) => {
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, principal));
    };
    if (!header) return accept();
    if (!match) return reject(socket, 401, 'unauthorized', 'A valid bearer token is required');
    live.authenticate(match[1]!).then(
      (principal) =>
        principal ? accept(principal) : reject(socket, 401, 'unauthorized', 'Token is unknown, expired or revoked'),
      () => reject(socket, 503, 'unavailable', 'Authentication is unavailable'),
    );
  };

  const onConnection = (ws: WebSocket, socket: Duplex, principal?: Principal) => {
    alive.set(ws, true);
    let closeTimer: ReturnType<typeof setTimeout> | undefined;
    const conn = live.hub.connect(
      {
        // Whole frames on the upgraded socket, between ws's own (pings, close): ws compresses nothing here
        // (perMessageDeflate off), so it holds nothing back. Once closing, nothing more is sent.
        send: (text) => {
          if (ws.readyState === ws.OPEN) socket.write(frames.of(text));
        },
        close: (code, reason) => {
          ws.close(code, reason);
          closeTimer = setTimeout(() => ws.terminate(), closeTimeoutMs);
          closeTimer.unref?.();
        },
        bufferedAmount: () => ws.bufferedAmount,
      },
      principal,
    );
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', (data, isBinary) => {
      alive.set(ws, true);
      if (isBinary)
        return conn.sendControl({ type: 'error', status: 400, code: 'bad_request', message: 'Text frames only' });
      conn.receive(data.toString());
    });
    ws.on('close', () => {
      clearTimeout(closeTimer);
      conn.closedByPeer();
    });
    ws.on('error', (err) => live.hub.log.warn('live socket error', { connection: conn.id, error: String(err) }));
  };

  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }, opts.heartbeatMs ?? 30_000);
  heartbeat.unref();
  const flusher = setInterval(() => live.hub.flush(), opts.flushMs ?? 50);
  flusher.unref();

  return {
    wss,
    close: async () => {
      clearInterval(heartbeat);
      clearInterval(flusher);
      server.off('upgrade', onUpgrade);
      await live.hub.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
