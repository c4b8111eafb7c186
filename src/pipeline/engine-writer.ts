// Group commit for the engine's output: the lanes' writes that arrive while a statement is in flight are flushed
// together with the next one (one statement for all of them, src/pipeline/engine-store.ts). A lane's promise settles
// when its rows are committed; a failure is reported to every lane of the flush, which keeps its rows and retries
// with its next input. A statement the database refuses for its data (class 22/23) is retried one lane at a time, so
// one lane's bad row does not hold the others back.
import type { Database } from '../store/db';
import { type EngineWrite, persistEngineWrites } from './engine-store';
import { isDataError } from './position-writer';

interface Pending {
  write: EngineWrite;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class EngineWriter {
  private queue: Pending[] = [];
  private flushing = false;
  /** statements committed and lane writes they carried (diagnostics, benchmarks) */
  statements = 0;
  writes = 0;

  constructor(private readonly database: Database) {}

  write(write: EngineWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      // Let the lanes that are ready in this turn of the event loop join the first statement.
      await Promise.resolve();
      while (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      await persistEngineWrites(
        this.database,
        batch.map((p) => p.write),
      );
      this.statements++;
      this.writes += batch.length;
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length > 1 && isDataError(err)) {
        for (const p of batch) await this.commit([p]);
        return;
      }
      const e = err instanceof Error ? err : new Error(String(err));
      for (const p of batch) p.reject(e);
    }
  }
}
