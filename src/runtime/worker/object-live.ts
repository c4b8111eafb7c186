// The live side inside a bus object: the same LiveService as Node reads the lane output and publishes position, eta,
// trip, violation and notice messages, stamped by its sequencer; the fan-out sends each stamped message to the
// links the Workers' live sessions opened to this object for the topic (hibernatable sockets tagged with the topic,
// so an object whose followers are idle is evicted from memory and woken by the next input).
import type { Revocation } from '../../auth/authenticator';
import type { LiveFanout } from '../../live/fanout';
import type { LiveMessage } from '../../live/messages';
import type { CfWebSocket, DurableObjectState } from './cf';
import { upgradeResponse, webSocketPair } from './cf';

/** Messages of these types are kept per topic and sent to a new link at once (the hub's snapshot on Node). */
const SNAPSHOT_TYPES = new Set(['position', 'eta']);

export class ObjectFanout implements LiveFanout {
  private readonly handlers = new Set<(message: LiveMessage) => void>();
  private readonly snapshots = new Map<string, Map<string, string>>();

  constructor(private readonly ctx: DurableObjectState) {}

  /**
   * Set in a bus object: messages of topics another object owns (`school:<id>:violations`) go there instead, in
   * this bus's order. Unset in the object that owns such a topic.
   */
  forward?: (message: LiveMessage) => boolean;

  publish(message: LiveMessage): void {
    if (this.forward?.(message)) return;
    const text = JSON.stringify(message);
    if (SNAPSHOT_TYPES.has(message.type)) {
      let snap = this.snapshots.get(message.topic);
      if (!snap) this.snapshots.set(message.topic, (snap = new Map()));
      snap.set(message.type, text);
    }
    for (const ws of this.ctx.getWebSockets(message.topic)) {
      try {
        ws.send(text);
      } catch {
        /* a link that went away: its close event cleans up */
      }
    }
    for (const h of this.handlers) h(message);
  }

  subscribe(handler: (message: LiveMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Revocations end sessions where they are held: in the Worker's live sessions, not here. */
  publishRevocation(_revocation: Revocation): void {}

  subscribeRevocations(_handler: (revocation: Revocation) => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }

  /** A live session's link for `topic` (the session already authorized the subscription). */
  accept(topic: string): Response {
    const [client, server] = webSocketPair();
    this.ctx.acceptWebSocket(server, [topic]);
    for (const text of this.snapshots.get(topic)?.values() ?? []) server.send(text);
    return upgradeResponse(client);
  }

  /** A link closed by the session. */
  closed(ws: CfWebSocket, code: number): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    } catch {
      /* already closed */
    }
  }
}
