// `/api/v1/live` on Workers: the same protocol as Node (src/runtime/node/live-ws.ts) — a bearer token on the upgrade
// or a first `auth` message, subscribe/unsubscribe, per-topic seq and resume — run by the same runtime-neutral
// LiveService and hub, one per client session. The session holds no engine: once the hub has authorized a
// subscription (and said `subscribed`), the session opens a link to the object that owns the topic (`bus:`/`trip:`
// → that bus's BusObject; `school:<id>:violations` → the school's object, to which the bus objects publish), which
// sends the topic's stamped messages; the hub delivers them (audience, seq) as on
// Node. The bus object keeps its links with the WebSocket Hibernation API.
import type { Revocation } from '../../auth/authenticator';
import type { Principal } from '../../auth/principal';
import type { LiveFanout } from '../../live/fanout';
import type { LiveMessage } from '../../live/messages';
import { LiveService } from '../../live/service';
import { parseTopic } from '../../live/topics';
import type { Logger } from '../../logging';
import type { Database } from '../../store/db';
import { createPostgresDatabase } from '../../store/postgres-db';
import { busObjectName, schoolObjectName } from './bus-object-rpc';
import { type CfWebSocket, upgradeResponse, webSocketOf, webSocketPair } from './cf';
import type { WorkerEnv } from './env';

export const LIVE_PATH = '/api/v1/live';

const LINK_RETRY_MS = 1000;

function refuse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message, requestId: 'live' } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** The session's fan-out: links to the objects that own its topics, opened and closed with its subscriptions. */
class LinkFanout implements LiveFanout {
  private readonly handlers = new Set<(message: LiveMessage) => void>();
  private readonly revocationHandlers = new Set<(revocation: Revocation) => void>();
  private readonly links = new Map<string, CfWebSocket | 'opening'>();
  private closed = false;

  constructor(
    private readonly env: WorkerEnv,
    private readonly database: Database,
    private readonly log: Logger,
  ) {}

  publish(message: LiveMessage): void {
    for (const h of this.handlers) h(message);
  }
  subscribe(handler: (message: LiveMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  publishRevocation(revocation: Revocation): void {
    for (const h of this.revocationHandlers) h(revocation);
  }
  subscribeRevocations(handler: (revocation: Revocation) => void): () => void {
    this.revocationHandlers.add(handler);
    return () => this.revocationHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const topic of [...this.links.keys()]) this.unfollow(topic);
    this.handlers.clear();
  }

  /** Watches what the hub tells the client: a subscription it granted opens a link, an unsubscribe closes it. */
  watch(text: string): void {
    if (!text.startsWith('{"type":"subscribed"') && !text.startsWith('{"type":"unsubscribed"')) return;
    const m = JSON.parse(text) as { type: string; topic: string };
    if (m.type === 'subscribed') void this.follow(m.topic);
    else this.unfollow(m.topic);
  }

  /** The object that owns a topic and the link's query (bus and trip topics: the bus's object). */
  private async owner(topic: string): Promise<{ name: string; query: string } | undefined> {
    const t = parseTopic(topic);
    const q = `topic=${encodeURIComponent(topic)}`;
    if (t?.kind === 'schoolViolations') return { name: schoolObjectName(t.schoolId), query: q };
    let busId: number | undefined;
    if (t?.kind === 'bus') busId = t.busId;
    if (t?.kind === 'trip') {
      const [row] = await this.database.query<{ bus_id: number }>('select bus_id from trips where id = $1', [t.tripId]);
      busId = row?.bus_id;
    }
    return busId === undefined ? undefined : { name: busObjectName(busId), query: `busId=${busId}&${q}` };
  }

  private async follow(topic: string): Promise<void> {
    if (this.closed || this.links.has(topic)) return;
    this.links.set(topic, 'opening');
    let ws: CfWebSocket | null = null;
    try {
      const owner = await this.owner(topic);
      if (!owner) {
        this.log.warn('live topic without an owning object', { topic });
        return;
      }
      const stub = this.env.BUS.get(this.env.BUS.idFromName(owner.name));
      const url = `https://topic-owner/live?${owner.query}`;
      ws = webSocketOf(await stub.fetch(new Request(url, { headers: { upgrade: 'websocket' } })));
    } catch (err) {
      this.log.warn('live link failed', { topic, error: String(err) });
    } finally {
      if (this.links.get(topic) === 'opening') this.links.delete(topic);
    }
    if (!ws) return;
    if (this.closed) {
      ws.accept();
      ws.close(1000, 'session ended');
      return;
    }
    ws.accept();
    this.links.set(topic, ws);
    this.log.debug('live link open', { topic });
    ws.addEventListener('message', (e) => {
      if (typeof e.data !== 'string') return;
      try {
        this.publish(JSON.parse(e.data) as LiveMessage);
      } catch (err) {
        this.log.warn('live link message dropped', { topic, error: String(err) });
      }
    });
    ws.addEventListener('close', () => {
      if (this.links.get(topic) !== ws) return;
      // The object went away (a deploy, a crash): follow again while the client is subscribed.
      this.links.delete(topic);
      if (!this.closed) setTimeout(() => void this.follow(topic), LINK_RETRY_MS);
    });
  }

  private unfollow(topic: string): void {
    const ws = this.links.get(topic);
    this.links.delete(topic);
    if (ws && ws !== 'opening')
      try {
        ws.close(1000, 'unsubscribed');
      } catch {
        /* already closed */
      }
  }
}

/** Answers the upgrade: the client's socket is served here, for the session's lifetime. */
export async function liveSession(request: Request, env: WorkerEnv, log: Logger): Promise<Response> {
  // The session's own client for authorization, resume and delivery receipts; Hyperdrive pools the connections.
  const database = createPostgresDatabase({ url: env.HYPERDRIVE.connectionString, maxConnections: 2 });
  const fanout = new LinkFanout(env, database, log);
  const live = new LiveService({ database, log, now: Date.now, fanout });
  const end = async () => {
    await fanout.close();
    await live.close().catch(() => undefined);
    await database.close();
  };
  let principal: Principal | undefined;
  const header = request.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    try {
      principal = match ? await live.authenticate(match[1]!) : undefined;
    } catch {
      await end();
      return refuse(503, 'unavailable', 'Authentication is unavailable');
    }
    if (!principal) {
      await end();
      return refuse(
        401,
        'unauthorized',
        match ? 'Token is unknown, expired or revoked' : 'A valid bearer token is required',
      );
    }
  }
  const [client, server] = webSocketPair();
  server.accept();
  const conn = live.hub.connect(
    {
      send: (text) => {
        server.send(text);
        fanout.watch(text);
      },
      close: (code, reason) => server.close(code, reason),
    },
    principal,
  );
  server.addEventListener('message', (e) => {
    if (typeof e.data !== 'string')
      return conn.sendControl({ type: 'error', status: 400, code: 'bad_request', message: 'Text frames only' });
    conn.receive(e.data);
  });
  server.addEventListener('close', () => {
    conn.closedByPeer();
    void end();
  });
  return upgradeResponse(client);
}
