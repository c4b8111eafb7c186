// The few Cloudflare Workers runtime types the Worker and its Durable Objects use (the repository type-checks against
// Node's lib; @cloudflare/workers-types would replace Node's globals, so only these are declared).

export interface DurableObjectId {
  toString(): string;
  readonly name?: string;
}

export interface DurableObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTimeMs: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** A server-side WebSocket as the runtime gives it (accept() or the hibernation API). */
export interface CfWebSocket {
  /** a socket the Worker itself serves (not the hibernation API) starts with accept() */
  accept(): void;
  addEventListener(type: 'message', handler: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close' | 'error', handler: (event: { code?: number; reason?: string }) => void): void;
  send(message: string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

export interface DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  waitUntil(promise: Promise<unknown>): void;
  acceptWebSocket(ws: CfWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): CfWebSocket[];
  getTags(ws: CfWebSocket): string[];
}

export interface DurableObjectNamespace<Stub> {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): Stub & { fetch(request: Request): Promise<Response> };
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The runtime's WebSocketPair ([client, server]); only on Workers. */
export function webSocketPair(): [CfWebSocket, CfWebSocket] {
  const Pair = (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, CfWebSocket> }).WebSocketPair;
  const pair = new Pair();
  return [pair[0], pair[1]];
}

/** The 101 answer that hands `client` to the caller. */
export function upgradeResponse(client: CfWebSocket): Response {
  return new Response(null, { status: 101, webSocket: client } as ResponseInit);
}

/** The WebSocket of a fetch answer (a Durable Object that accepted an upgrade), or null. */
export function webSocketOf(response: Response): CfWebSocket | null {
  return (response as unknown as { webSocket: CfWebSocket | null }).webSocket ?? null;
}
