// The pipeline as the Node server runs it: ingest (decoded fixes → lanes → position writer), the engine runner
// attached to the lanes, and the live hub attached to both. server.ts and bench:ingest build it here, so the
// benchmark measures the wiring users run.
import type { Authenticator } from '../../auth/authenticator';
import type { Logger } from '../../logging';
import { createLiveHub } from '../../live/service';
import { createEngineRunner } from '../../pipeline/engine-runner';
import { createIngest } from '../../pipeline/ingest';
import type { WriterOptions } from '../../pipeline/position-writer';
import type { Database } from '../../store/db';

export interface NodePipelineOptions {
  database: Database;
  /** where the position and engine writers run their statements (openWriterDatabase) */
  writerDatabase: Database;
  log: Logger;
  now: () => number;
  /** shared with the HTTP API; the live hub makes its own when not given */
  auth?: Authenticator;
  writer?: WriterOptions;
}

export function wireNodePipeline(opts: NodePipelineOptions) {
  const { database, writerDatabase, log, now } = opts;
  const ingest = createIngest({ database, writerDatabase, log, now, writer: opts.writer });
  const runner = createEngineRunner({ database, writerDatabase, log, now });
  runner.attach(ingest);
  const live = createLiveHub({ database, log, now, auth: opts.auth });
  live.attach({ ingest, runner });
  return {
    ingest,
    runner,
    live,
    /** in shutdown order: the ingest drains its writer before the engine and the live hub close */
    close: async () => {
      await ingest.close();
      await runner.close();
      await live.close();
    },
  };
}
