// Outbound alerts: SOS (emergency), child-left-on-board, over-capacity and unlicensed-bus cases (including a hazard
// report about a plate no school owns) are POSTed as signed webhooks to the district's configured endpoints.
// Durable and at-least-once: each case is first written to the outbox (one row per endpoint, the body fixed
// then), sent under a lease, and marked delivered only on a 2xx; a failure is retried with backoff, a crash
// mid-delivery is retried when the lease runs out. Every attempt carries the same alert id for de-duplication.
//
// Signature: X-Busguard-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>, with the timestamp (Unix
// seconds of the attempt) in X-Busguard-Timestamp; receivers refuse timestamps outside their replay window
// (verifyAlertSignature, 5 minutes by default) and ids they have seen.
import type { Logger } from '../logging';
import type { Database } from '../store/db';
import {
  casesToAlert,
  enqueueAlerts,
  leaseDue,
  markDelivered,
  markFailed,
  releaseLeases,
} from '../store/repos/alert-outbox-repo';

export const alertKinds = ['emergency', 'childLeftOnBoard', 'overCapacity', 'unlicensedBus'] as const;

export interface AlertEndpoint {
  /** A short name (the outbox key): bureau, police… */
  name: string;
  url: string;
  /** The shared HMAC secret (at least 16 characters). */
  secret: string;
}

export interface AlertDispatcherOptions {
  database: Database;
  log: Logger;
  endpoints: AlertEndpoint[];
  now: () => number;
  /** How often the outbox is looked at (default 2 s). */
  intervalMs?: number;
  /** An attempt not finished within this is taken again (default 60 s). */
  leaseMs?: number;
  /** One attempt's time limit (default 10 s). */
  timeoutMs?: number;
  /** Cases created this long before the dispatcher first looks are still sent (default 24 h). */
  lookbackMs?: number;
}

export const SIGNATURE_HEADER = 'x-busguard-signature';
export const TIMESTAMP_HEADER = 'x-busguard-timestamp';
export const ALERT_ID_HEADER = 'x-busguard-alert-id';

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text)));
}

export async function signAlert(secret: string, timestampS: number, body: string): Promise<string> {
  return `sha256=${await hmacHex(secret, `${timestampS}.${body}`)}`;
}

/** For receivers (and the tests): the signature matches and the timestamp is inside the replay window. */
export async function verifyAlertSignature(
  secret: string,
  headers: { signature?: string | null; timestamp?: string | null },
  body: string,
  nowMs: number,
  windowS = 300,
): Promise<boolean> {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowMs / 1000 - ts) > windowS || !headers.signature) return false;
  const expected = await signAlert(secret, ts, body);
  if (expected.length !== headers.signature.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ headers.signature.charCodeAt(i);
  return diff === 0;
}

/** Retry delay after n failed attempts: 5 s, 10 s, 20 s … at most an hour. */
export const retryDelayMs = (attempts: number) => Math.min(3_600_000, 5000 * 2 ** Math.max(0, attempts - 1));

/** Writes an outbox row for every alerting case not yet enqueued for each endpoint. */
export async function enqueueNewAlerts(o: AlertDispatcherOptions, nowMs: number, sinceMs: number): Promise<number> {
  let n = 0;
  for (const ep of o.endpoints) {
    const cases = await casesToAlert(o.database.db, ep.name, alertKinds, sinceMs, 500);
    n += await enqueueAlerts(
      o.database.db,
      cases.map((c) => {
        const alertId = `busguard-alert-${c.id}`;
        const unlicensed = c.kind === 'unlicensedBus' || c.evidence.possibleUnlicensedBus === true;
        return {
          endpoint: ep.name,
          violationId: c.id,
          alertId,
          atMs: nowMs,
          body: JSON.stringify({
            id: alertId,
            type: unlicensed ? 'unlicensedBus' : c.kind,
            kind: c.kind,
            severity: c.severity,
            caseId: c.id,
            school: c.schoolId == null ? null : { id: c.schoolId, name: c.school },
            bus: c.busId == null ? null : { id: c.busId, plate: c.plate },
            plate: c.plate ?? (typeof c.evidence.plate === 'string' ? c.evidence.plate : null),
            tripId: c.tripId,
            startedAt: c.startedAt.toISOString(),
            position: c.lat != null && c.lon != null ? { lat: c.lat, lon: c.lon } : null,
            evidence: c.evidence,
          }),
        };
      }),
    );
  }
  return n;
}

/** One attempt at every due row of every endpoint. */
export async function deliverDueAlerts(
  o: AlertDispatcherOptions,
  nowMs: number,
  signal?: AbortSignal,
): Promise<{ delivered: number; failed: number }> {
  const out = { delivered: 0, failed: 0 };
  for (const ep of o.endpoints) {
    const rows = await leaseDue(o.database.db, ep.name, nowMs, o.leaseMs ?? 60_000, 20);
    // Stopping (a restart, a deploy): the row in flight and the ones not yet tried go back at once, so the next
    // process sends them (an SOS among them) without waiting for the lease. The receiver de-duplicates by id.
    const release = async (from: number, inFlight: boolean) => {
      const back = rows.slice(from).map((r, k) => ({ violationId: r.violationId, untried: !(inFlight && k === 0) }));
      await releaseLeases(o.database.db, ep.name, back, o.now()).catch((err: unknown) =>
        o.log.warn('alert leases not released; they come back when the lease runs out', { error: String(err) }),
      );
      return out;
    };
    for (const [index, row] of rows.entries()) {
      if (signal?.aborted) return release(index, false);
      const ts = Math.floor(o.now() / 1000);
      let status: number | null = null;
      try {
        const res = await fetch(ep.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [ALERT_ID_HEADER]: row.alertId,
            [TIMESTAMP_HEADER]: String(ts),
            [SIGNATURE_HEADER]: await signAlert(ep.secret, ts, row.body),
          },
          body: row.body,
          signal: AbortSignal.any([AbortSignal.timeout(o.timeoutMs ?? 10_000), ...(signal ? [signal] : [])]),
          redirect: 'error',
        });
        status = res.status;
        await res.body?.cancel();
        if (res.ok) {
          await markDelivered(o.database.db, ep.name, row.violationId, o.now(), res.status);
          out.delivered++;
          continue;
        }
        throw new Error(`HTTP ${res.status}`);
      } catch (err) {
        if (signal?.aborted) return release(index, true);
        out.failed++;
        o.log.warn('alert webhook failed', {
          endpoint: ep.name,
          alertId: row.alertId,
          attempts: row.attempts,
          error: String(err),
        });
        await markFailed(o.database.db, {
          endpoint: ep.name,
          violationId: row.violationId,
          retryAtMs: o.now() + retryDelayMs(row.attempts),
          status,
          error: String(err),
        });
      }
    }
  }
  return out;
}

/** Runs enqueue + deliver every intervalMs until stopped; stop() aborts an attempt in flight. */
export function startAlertDispatcher(o: AlertDispatcherOptions): { stop: () => Promise<void> } {
  const abort = new AbortController();
  const sinceMs = o.now() - (o.lookbackMs ?? 24 * 3_600_000);
  let running: Promise<void> | undefined;
  const pass = async () => {
    try {
      const nowMs = o.now();
      await enqueueNewAlerts(o, nowMs, sinceMs);
      await deliverDueAlerts(o, nowMs, abort.signal);
    } catch (err) {
      if (!abort.signal.aborted) o.log.error('alert dispatcher pass failed', { error: String(err) });
    }
  };
  const timer = setInterval(() => {
    if (!running) running = pass().finally(() => (running = undefined));
  }, o.intervalMs ?? 2000);
  return {
    stop: async () => {
      clearInterval(timer);
      abort.abort();
      await running;
    },
  };
}
