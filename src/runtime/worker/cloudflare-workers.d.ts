// The runtime module the Durable Object classes extend (RPC methods on a stub need the base class).
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: import('./cf').DurableObjectState;
    protected readonly env: Env;
    constructor(ctx: import('./cf').DurableObjectState, env: Env);
  }
}
