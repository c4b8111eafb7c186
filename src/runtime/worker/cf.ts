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
