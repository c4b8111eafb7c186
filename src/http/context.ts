// What every handler can reach: dependencies, the request id and the caller.
import type { Context } from 'hono';
import type { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import type { Logger } from '../logging';
import type { EngineRunner } from '../pipeline/engine-runner';
import type { PipelineIngest } from '../pipeline/ingest';
import type { Database } from '../store/db';
import type { LiveService } from '../live/service';
import type { PushService } from '../live/push/service';

/** What the HTTP side uses of the ingest. */
export type TelemetryIngest = Pick<
  PipelineIngest,
  'directory' | 'metrics' | 'lookupDevice' | 'countRejected' | 'submitFixes' | 'submitEvents'
>;

export interface AppDeps {
  database: Database;
  log: Logger;
  /** Clock in epoch ms; injected so tests control time. */
  now: () => number;
  /**
   * The ingest pipeline (Node runtime; on Workers a front that hands each device's input to its bus's Durable
   * Object); without it telemetry endpoints answer 503.
   */
  ingest?: TelemetryIngest;
  /** The safety engine runner (Node runtime): attendant and trip actions go through it. */
  runner?: EngineRunner;
  /** The live hub (positions, ETA, notices): REST twins read it; without it they fall back to storage. */
  live?: LiveService;
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>` (METRICS_TOKEN). */
  metricsToken?: string;
  /** Token authentication with its cache (shared with the live hub); createApp makes one when none is given. */
  auth?: Authenticator;
  /** Web Push (VAPID keys, allowed push hosts, the outbox sender); createApp makes an idle one when none is given. */
  push?: PushService;
  /** TRIP_LATE_AFTER_MIN: a planned trip not started this long after its start is late (the overview counts it). */
  tripLateAfterMin?: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    principal?: Principal;
  };
}

export type Ctx = Context<AppEnv>;
