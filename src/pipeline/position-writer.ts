// Group commit for positions: rows from many devices are collected for a few milliseconds and written with one
// multi-row statement (unnest of column arrays). Each caller's promise settles when its rows are committed, or
// rejects with StorageUnavailableError (nothing acknowledged, the device resends). A resent fix is stored once:
// (device, time) is the table's key and conflicts are ignored.
//
// Back-pressure: the queue holds `maxQueuedRows` rows at most. A submission that does not fit waits (in arrival
// order) until commits make room — it is not refused: a queue that fills for a moment is no failure of the
// sender's. The wait is bounded (`maxAdmissionWaitMs`, then StorageUnavailableError: storage that cannot take
// rows for that long is unavailable). While the writer is `full`, callers that can slow their senders do so:
// the JT/T 808 server stops reading the sockets, the HTTP endpoints answer 503 with `retryAfterS()`; `drained()`
// resolves when the writer is no longer full.
//
// A batch the database refuses for its data (SQLSTATE class 22 or 23: a value out of range, bad text …) is not
// failed as a whole: it is split and retried until the refused rows are isolated, so every other caller's rows
// commit; the refused rows come back in the caller's result with the database's message. A connection error still
// fails the whole batch (the callers resend).
import type { Database } from '../store/db';
import type { Metrics } from './metrics';
import { StorageUnavailableError } from './types';

export interface PositionRow {
  busId: number;
  deviceId: number;
  timeMs: number;
  receivedMs: number;
  lat: number;
  lon: number;
  speedKph?: number;
  headingDeg?: number;
  altitudeM?: number;
  accuracyM?: number;
  satellites?: number;
  alarms: string[];
  acc?: boolean;
  doorOpen?: boolean;
  late: boolean;
  blindArea: boolean;
  attributes: Record<string, unknown> | null;
}

export interface WriterOptions {
  /** Rows per statement at most. */
  maxBatchRows?: number;
  /** How long the first row of a batch waits for company. */
  maxDelayMs?: number;
  /** Statements in flight at once (1 for PGlite, a few for a server). */
  concurrency?: number;
  /** Rows queued for a commit at most; past that, submissions wait for room (`full`, back-pressure). */
  maxQueuedRows?: number;
  /** How long a submission waits for room in a full queue before it fails with StorageUnavailableError. */
  maxAdmissionWaitMs?: number;
  /** A statement that takes longer fails its callers (they resend; the key makes the resend harmless). */
  statementTimeoutMs?: number;
}

/** Rows of one write() the database refused for their data (indexes into the rows given), with its message. */
export interface RefusedRow {
  index: number;
  error: string;
}

export interface WriteResult {
  /** Empty when every row committed (or was already stored). */
  refused: RefusedRow[];
}

const ALL_STORED: WriteResult = Object.freeze({ refused: Object.freeze([]) as unknown as RefusedRow[] });

/**
 * Callers of one commit acknowledged per turn of the event loop. Each caller's continuation runs at once (its lane's
 * engine step and live output, its device's acknowledgement); a commit of a thousand devices' rows settled in one
 * turn would hold every socket, timer and other commit for the time all of them take.
 */
const CALLERS_PER_TURN = 32;
const nextTurn: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

/** SQLSTATE of a driver error (postgres-js and PGlite both put it on `code`). */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Data exception (22) or integrity constraint violation (23): the rows are at fault, not the connection. */
export function isDataError(err: unknown): boolean {
  const st = sqlState(err);
  return st !== undefined && (st.startsWith('22') || st.startsWith('23'));
}

function describeDbError(err: unknown): string {
  const st = sqlState(err);
  const message = err instanceof Error ? err.message : String(err);
  return st ? `${message} (SQLSTATE ${st})` : message;
}

interface Pending {
  rows: PositionRow[];
  resolve: (result: WriteResult) => void;
  reject: (err: Error) => void;
}

/** A submission waiting for room in the queue. */
interface Waiting extends Pending {
  timer: ReturnType<typeof setTimeout>;
}

/** The writer's fill state (for metrics, health and the protocol servers). */
export interface WriterFill {
  /** Rows queued for a commit (not yet in a statement). */
  queuedRows: number;
  /** Rows of submissions waiting for room. */
  waitingRows: number;
  /** Rows in statements being committed. */
  inFlightRows: number;
  /** The queue's capacity (`maxQueuedRows`). */
  capacityRows: number;
  /** True while submissions wait or the queue is at capacity: senders should slow down. */
  full: boolean;
}

/** The writer's statement: one multi-row insert of column arrays (`insertParams`); conflicts are ignored. */
export const POSITION_INSERT_SQL = `insert into positions
  (bus_id, device_id, time, received_at, lat, lon, speed_kph, heading_deg, altitude_m, accuracy_m, satellites,
   alarms, acc, door_open, late, blind_area, attributes)
select b, d, to_timestamp(t / 1000.0), to_timestamp(r / 1000.0), la, lo, sp, hd, al, ac, sa,
       case when am is null then null else array(select v from jsonb_array_elements_text(am) with ordinality as y(v, n) order by n) end,
       acc, door, lt, ba, at
from unnest($1::int[], $2::int[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::real[], $8::real[],
            $9::real[], $10::real[], $11::smallint[],
            array(select nullif(e, 'null'::jsonb) from jsonb_array_elements($12::text::jsonb) with ordinality as x(e, i) order by i),
            $13::bool[], $14::bool[], $15::bool[], $16::bool[],
            array(select nullif(e, 'null'::jsonb) from jsonb_array_elements($17::text::jsonb) with ordinality as x(e, i) order by i))
  as u(b, d, t, r, la, lo, sp, hd, al, ac, sa, am, acc, door, lt, ba, at)
on conflict (device_id, time) do nothing`;

const PREPARED = { prepare: true } as const;

/**
 * The statement's parameters: sixteen column arrays, and the attributes as one JSON array text (null where a row
 * has none) — one native JSON.stringify instead of a JSON text per row quoted again inside an array literal.
 */
export function insertParams(rows: PositionRow[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 17 }, () => new Array(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    cols[0]![i] = r.busId;
    cols[1]![i] = r.deviceId;
    cols[2]![i] = r.timeMs;
    cols[3]![i] = r.receivedMs;
    cols[4]![i] = r.lat;
    cols[5]![i] = r.lon;
    cols[6]![i] = r.speedKph ?? null;
    cols[7]![i] = r.headingDeg ?? null;
    cols[8]![i] = r.altitudeM ?? null;
    cols[9]![i] = r.accuracyM ?? null;
    cols[10]![i] = r.satellites ?? null;
    // As JSON (an alarm name may contain a comma: it is kept whole), null for the usual row without alarms.
    cols[11]![i] = r.alarms.length ? r.alarms : null;
    cols[12]![i] = r.acc ?? null;
    cols[13]![i] = r.doorOpen ?? null;
    cols[14]![i] = r.late;
    cols[15]![i] = r.blindArea;
    cols[16]![i] = r.attributes && hasKeys(r.attributes) ? r.attributes : null;
  }
  const params: unknown[] = cols;
  params[11] = JSON.stringify(cols[11]);
  params[16] = JSON.stringify(cols[16]);
  return params;
}

function hasKeys(o: Record<string, unknown>): boolean {
  for (const _ in o) return true;
  return false;
}

export class PositionWriter {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private waiting: Waiting[] = [];
  private waitingRows = 0;
  private inFlightRows = 0;
  private drainWaiters: (() => void)[] = [];
  /** Rows committed per second (moving average over commits), for Retry-After. */
  private rowsPerS = 0;
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** committed batches whose callers are still being acknowledged, a slice per turn */
  private settling = 0;
  private closed = false;
  private readonly opts: Required<WriterOptions>;
  private readonly commitLatency;
  private readonly rowsWritten;
  private readonly failures;
  private readonly refusedRows;
  private readonly admissionWaits;
  private readonly admissionTimeouts;

  constructor(
    private readonly database: Database,
    metrics: Metrics,
    opts: WriterOptions = {},
  ) {
    this.opts = {
      maxBatchRows: opts.maxBatchRows ?? 2000,
      maxDelayMs: opts.maxDelayMs ?? 4,
      concurrency: opts.concurrency ?? (database.kind === 'pglite' ? 1 : 4),
      maxQueuedRows: opts.maxQueuedRows ?? 100_000,
      maxAdmissionWaitMs: opts.maxAdmissionWaitMs ?? 30_000,
      statementTimeoutMs: opts.statementTimeoutMs ?? 15_000,
    };
    this.commitLatency = metrics.summary(
      'busguard_position_batch_commit_seconds',
      'Time to commit one batch of positions',
    );
    this.rowsWritten = metrics.counter(
      'busguard_positions_written_total',
      'Position rows sent to the database (duplicates included)',
    );
    this.failures = metrics.counter('busguard_position_batch_failures_total', 'Position batches that failed to commit');
    this.refusedRows = metrics.counter(
      'busguard_position_rows_refused_total',
      'Position rows the database refused for their data (isolated from their batch)',
    );
    this.admissionWaits = metrics.counter(
      'busguard_position_admission_waits_total',
      'Position submissions that waited for room in a full queue',
    );
    this.admissionTimeouts = metrics.counter(
      'busguard_position_admission_timeouts_total',
      'Position submissions that found no room in time (storage unavailable)',
    );
    metrics.gauge('busguard_position_queue_rows', 'Position rows waiting for a commit', () => this.queuedRows);
    metrics.gauge(
      'busguard_position_waiting_rows',
      'Position rows waiting for room in a full queue',
      () => this.waitingRows,
    );
  }

  get queued(): number {
    return this.queuedRows;
  }

  /** True while submissions wait for room or the queue is at capacity: senders should slow down. */
  get full(): boolean {
    return this.waiting.length > 0 || this.queuedRows >= this.opts.maxQueuedRows;
  }

  fill(): WriterFill {
    return {
      queuedRows: this.queuedRows,
      waitingRows: this.waitingRows,
      inFlightRows: this.inFlightRows,
      capacityRows: this.opts.maxQueuedRows,
      full: this.full,
    };
  }

  /** Resolves as soon as the writer is not full (at once when it is not). */
  drained(): Promise<void> {
    if (!this.full || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Seconds a sender told "full" should wait before resending: the time to commit what is queued, 1–30 s. */
  retryAfterS(): number {
    const rows = this.queuedRows + this.waitingRows + this.inFlightRows;
    const s = this.rowsPerS > 0 ? rows / this.rowsPerS : 1;
    return Math.min(30, Math.max(1, Math.ceil(s)));
  }

  /**
   * Resolves once every row is committed, or refused by the database for its data (listed in the result). When the
   * queue is full it waits for room (bounded), see above.
   */
  write(rows: PositionRow[]): Promise<WriteResult> {
    if (rows.length === 0) return Promise.resolve(ALL_STORED);
    if (this.closed) return Promise.reject(new StorageUnavailableError('shutting down'));
    return new Promise<WriteResult>((resolve, reject) => {
      if (this.waiting.length === 0 && this.fits(rows.length)) {
        this.enqueue({ rows, resolve, reject });
        return;
      }
      this.admissionWaits.inc();
      const w: Waiting = {
        rows,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(w);
          if (i < 0) return;
          this.waiting.splice(i, 1);
          this.waitingRows -= rows.length;
          this.admissionTimeouts.inc();
          reject(
            new StorageUnavailableError(
              `position queue full for ${this.opts.maxAdmissionWaitMs} ms`,
              this.retryAfterS(),
            ),
          );
          this.signalDrained();
        }, this.opts.maxAdmissionWaitMs),
      };
      this.waiting.push(w);
      this.waitingRows += rows.length;
    });
  }

  /** Room for `n` more rows (a submission larger than the whole queue gets in when the queue is empty). */
  private fits(n: number): boolean {
    return this.closed || this.queuedRows === 0 || this.queuedRows + n <= this.opts.maxQueuedRows;
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    this.queuedRows += p.rows.length;
    if (this.queuedRows >= this.opts.maxBatchRows) this.pump();
    else this.timer ??= setTimeout(() => this.pump(), this.opts.maxDelayMs);
  }

  /** Moves waiting submissions into the queue while they fit, in arrival order. */
  private admit(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.rows.length)) {
      const w = this.waiting.shift()!;
      clearTimeout(w.timer);
      this.waitingRows -= w.rows.length;
      this.queue.push(w);
      this.queuedRows += w.rows.length;
    }
    this.signalDrained();
  }

  private signalDrained(): void {
    if (this.drainWaiters.length === 0 || this.full) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const batch: Pending[] = [];
      let n = 0;
      while (this.queue.length > 0 && (n === 0 || n + this.queue[0]!.rows.length <= this.opts.maxBatchRows)) {
        const p = this.queue.shift()!;
        batch.push(p);
        n += p.rows.length;
      }
      this.queuedRows -= n;
      this.inFlightRows += n;
      this.inFlight++;
      this.admit();
      void this.commit(batch, n).finally(() => {
        this.inFlight--;
        this.inFlightRows -= n;
        if (this.queue.length > 0) {
          if (this.queuedRows >= this.opts.maxBatchRows || this.inFlight === 0) this.pump();
          else this.timer ??= setTimeout(() => this.pump(), this.opts.maxDelayMs);
        }
      });
    }
  }

  /** One statement, bounded by the statement timeout. */
  private async run(rows: PositionRow[]): Promise<void> {
    let timeout: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        // Prepared: the same text runs hundreds of times a second (single-fix posts commit a few rows at a time).
        this.database.query(POSITION_INSERT_SQL, insertParams(rows), PREPARED),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error('statement timeout')), this.opts.statementTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  }

  private async commit(batch: Pending[], n: number): Promise<void> {
    const rows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((p) => p.rows);
    const started = performance.now();
    let refused: Map<number, string> | undefined;
    try {
      try {
        await this.run(rows);
      } catch (err) {
        if (!isDataError(err)) throw err;
        refused = new Map();
        await this.isolate(rows, 0, rows.length, err, refused);
      }
    } catch (err) {
      this.failures.inc();
      const e = new StorageUnavailableError(`database write failed: ${(err as Error).message}`);
      for (const p of batch) p.reject(e);
      return;
    }
    const elapsedS = (performance.now() - started) / 1000;
    this.commitLatency.observe(elapsedS);
    this.rowsWritten.inc({}, n - (refused?.size ?? 0));
    // Statements run `concurrency` at a time: one commit's rate times that is the writer's.
    const rate = (n * this.opts.concurrency) / Math.max(elapsedS, 0.001);
    this.rowsPerS = this.rowsPerS === 0 ? rate : 0.8 * this.rowsPerS + 0.2 * rate;
    if (!refused) {
      this.resolveInSlices(batch, 0);
      return;
    }
    this.failures.inc();
    this.refusedRows.inc({}, refused.size);
    let offset = 0;
    for (const p of batch) {
      const mine: RefusedRow[] = [];
      for (let i = 0; i < p.rows.length; i++) {
        const error = refused.get(offset + i);
        if (error !== undefined) mine.push({ index: i, error });
      }
      offset += p.rows.length;
      p.resolve(mine.length ? { refused: mine } : ALL_STORED);
    }
  }

  private resolveInSlices(batch: Pending[], from: number): void {
    const to = Math.min(batch.length, from + CALLERS_PER_TURN);
    for (let i = from; i < to; i++) batch[i]!.resolve(ALL_STORED);
    if (to >= batch.length) return;
    this.settling++;
    nextTurn(() => {
      this.settling--;
      this.resolveInSlices(batch, to);
    });
  }

  /**
   * rows[from, to) failed with a data error: retries each half, and halves of halves, until the refused rows stand
   * alone (at most about 2·n statements, log2(n) deep). A connection error on the way fails the whole batch.
   */
  private async isolate(
    rows: PositionRow[],
    from: number,
    to: number,
    err: unknown,
    refused: Map<number, string>,
  ): Promise<void> {
    if (to - from === 1) {
      refused.set(from, describeDbError(err));
      return;
    }
    const mid = (from + to) >>> 1;
    for (const [a, b] of [
      [from, mid],
      [mid, to],
    ] as const) {
      try {
        await this.run(rows.slice(a, b));
      } catch (e) {
        if (!isDataError(e)) throw e;
        await this.isolate(rows, a, b, e, refused);
      }
    }
  }

  /** Writes what is queued and waiting (every caller settled), then refuses new rows. */
  async close(): Promise<void> {
    this.closed = true;
    this.admit();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    while (this.queue.length > 0 || this.inFlight > 0 || this.settling > 0) {
      this.pump();
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
