// Fan-out of stamped topic messages to every instance that has subscribers. In one process it is a direct call;
// across Node instances a Postgres LISTEN/NOTIFY implementation (one channel, messages over 8 kB sent as a
// reference to a row) and on Workers a Durable Object per topic can stand behind the same interface.
// Sequencing stays with the publisher (the bus's engine owner), so every instance sees the same seq numbers.
// Revocations (a token revoked, a user disabled) travel the same way: every instance closes that token's or user's
// sessions and drops it from its token cache.
import type { Revocation } from '../auth/authenticator';
import type { LiveMessage } from './messages';

export interface LiveFanout {
  /** Sends a stamped message to every instance (including this one). */
  publish(message: LiveMessage): void;
  /** Receives every message published anywhere; returns the unsubscribe function. */
  subscribe(handler: (message: LiveMessage) => void): () => void;
  /** Announces ended credentials to every instance (including this one). */
  publishRevocation(revocation: Revocation): void;
  /** Receives every revocation published anywhere; returns the unsubscribe function. */
  subscribeRevocations(handler: (revocation: Revocation) => void): () => void;
  close(): Promise<void>;
}

export class InProcessFanout implements LiveFanout {
  private readonly handlers = new Set<(message: LiveMessage) => void>();
  private readonly revocationHandlers = new Set<(revocation: Revocation) => void>();

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
    this.handlers.clear();
    this.revocationHandlers.clear();
  }
}
