// The attendant's offline queue: boarding records wait in localStorage (surviving reloads and restarts of the
// browser) until the API has taken them. The batch API is idempotent by client id, so a batch resent after a
// lost answer is harmless; each record leaves the queue only once the API has named it applied, duplicate or
// rejected.
import type { BoardingResult, Counts } from '../../http/contract';
import { ApiError, type Api } from '../shared/api';

export type BoardingRecord =
  | { type: 'count'; clientId: string; recordedAt: string; stopId?: number; boarded?: number; alighted?: number }
  | {
      type: 'student';
      clientId: string;
      recordedAt: string;
      stopId?: number;
      studentId: number;
      event: 'boarded' | 'gotOff';
    };

export interface Queued {
  tripId: number;
  record: BoardingRecord;
}

export interface Refused {
  tripId: number;
  clientId: string;
  /** the server's code (rejected reason or error code), shown in the page's language */
  reason?: string;
  message: string;
}

export interface FlushResult {
  tripId: number;
  counts?: Counts;
  warnings: BoardingResult['warnings'];
  violations: BoardingResult['violations'];
}

const KEY = 'bg.att.queue';
const REFUSED_KEY = 'bg.att.refused';

function read<T>(key: string): T[] {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}
function write(key: string, v: unknown[]) {
  localStorage.setItem(key, JSON.stringify(v));
}

export class BoardingQueue {
  private flushing: Promise<void> | null = null;
  constructor(
    private readonly api: Api,
    private readonly onChange: () => void,
    private readonly onResult: (r: FlushResult) => void,
  ) {
    window.addEventListener('online', () => void this.flush());
    window.addEventListener('storage', (ev) => ev.key === KEY && this.onChange());
    setInterval(() => {
      if (this.all().length) void this.flush();
    }, 8000);
  }

  all(): Queued[] {
    return read<Queued>(KEY);
  }

  pending(tripId: number): BoardingRecord[] {
    return this.all()
      .filter((q) => q.tripId === tripId)
      .map((q) => q.record);
  }

  refused(tripId: number): Refused[] {
    return read<Refused>(REFUSED_KEY).filter((r) => r.tripId === tripId);
  }

  add(tripId: number, record: BoardingRecord) {
    write(KEY, [...this.all(), { tripId, record }]);
    this.onChange();
    void this.flush();
  }

  /** Sends what is queued, one batch per trip; one flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.run().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async run() {
    const trips = [...new Set(this.all().map((q) => q.tripId))];
    for (const tripId of trips) {
      const records = this.pending(tripId).slice(0, 500);
      if (!records.length) continue;
      let res: BoardingResult;
      try {
        res = await this.api.post(`/api/v1/trips/${tripId}/boarding`, { records });
      } catch (err) {
        if (err instanceof ApiError && (err.network || err.status >= 500 || err.status === 429)) return; // keep; retried later
        // The API refused the batch as a whole (trip cancelled, not yours today, malformed): keep them visible.
        const message = err instanceof Error ? err.message : String(err);
        const reason = err instanceof ApiError ? err.code : undefined;
        this.remove(
          tripId,
          new Set(records.map((r) => r.clientId)),
          records.map((r) => ({ tripId, clientId: r.clientId, reason, message })),
        );
        continue;
      }
      const done = new Set<string>([...res.applied, ...res.duplicates, ...res.rejected.map((r) => r.clientId)]);
      this.remove(
        tripId,
        done,
        res.rejected.map((r) => ({ tripId, clientId: r.clientId, reason: r.reason, message: r.message })),
      );
      this.onResult({
        tripId,
        counts: res.counts,
        warnings: res.warnings ?? [],
        violations: (res.violations ?? []).filter((v) => v.event === 'violation.opened'),
      });
    }
  }

  private remove(tripId: number, ids: Set<string>, refused: Refused[]) {
    write(
      KEY,
      this.all().filter((q) => !(q.tripId === tripId && ids.has(q.record.clientId))),
    );
    if (refused.length) write(REFUSED_KEY, [...read<Refused>(REFUSED_KEY), ...refused].slice(-100));
    this.onChange();
  }
}
