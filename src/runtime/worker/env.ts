// The Worker's bindings (wrangler.toml).
import type { BusObjectRpc } from './bus-object-rpc';
import type { DurableObjectNamespace } from './cf';

export interface WorkerEnv {
  /** PostgreSQL through Hyperdrive (locally: `localConnectionString`). */
  HYPERDRIVE: { connectionString: string };
  /** One BusObject per bus, addressed by `idFromName(String(busId))`. */
  BUS: DurableObjectNamespace<BusObjectRpc>;
  LOG_LEVEL?: 'debug' | 'info' | 'warn' | 'error';
  /** Seconds between the clock ticks a bus object's alarm runs while its bus is on an active trip (default 60). */
  TICK_INTERVAL_S?: string;
  /** Zone of global jobs and district reports (default Asia/Shanghai, as DEFAULT_TIME_ZONE on Node). */
  DEFAULT_TIME_ZONE?: string;
  /** Bearer token of the JT/T 808 gateways (`wrangler secret put GATEWAY_TOKEN`); unset: no gateway endpoint. */
  GATEWAY_TOKEN?: string;
  /** The pages' static assets (wrangler.toml [assets], dist/worker-assets/ from `npm run build:worker`). */
  ASSETS?: { fetch(request: Request): Promise<Response> };
  /** The pages' maps, as on Node: a MapLibre style, or raster tiles and their attribution; unset = no basemap. */
  MAP_STYLE_URL?: string;
  TILE_URL?: string;
  TILE_ATTRIBUTION?: string;
}
