// Web Push delivery: every stored guardian notice gets one outbox row per subscription of that guardian, written by
// the statement that stores the notice (NoticeService.setOutbox, src/store/repos/notices-repo.ts), so a restart
// loses nothing. A sender claims due rows (it moves them a lease ahead: a crash mid-send retries them after the
// lease), encrypts the payload (aes128gcm, RFC 8291) and signs a VAPID JWT (RFC 8292) with `web-push`, and POSTs it
// itself: only to PUSH_ALLOWED_HOSTS, no redirects followed, a timeout on every request.
//   2xx → row done; 404/410 → the subscription is gone: deleted (its rows with it);
//   429, 5xx, network error or timeout → retried after RETRY_DELAYS_S (or the push service's Retry-After when
//   longer, at most an hour), given up after the last delay; any other status → row dropped (logged).
import { eq, inArray } from 'drizzle-orm';
import webpush from 'web-push';
import type { Logger } from '../../logging';
import type { Database } from '../../store/db';
import { guardians, notices, pushOutbox, pushSubscriptions } from '../../store/schema';
import type { Locale } from '../notice-rules';
import { DEFAULT_PUSH_ALLOWED_HOSTS, endpointProblem, type HostRule, parseAllowedHosts } from './hosts';
import { DEFAULT_VAPID_SUBJECT, loadVapidKeys, type VapidKeys } from './keys';
import { pushPayload, pushTopic } from './payload';

/** Delay before retry n (after the n-th failed attempt); after the last one the push is given up. */
export const RETRY_DELAYS_S = [10, 30, 120, 600, 1800] as const;
/** How long a push service keeps an undelivered message (TTL header): notices are about the next hour. */
export const PUSH_TTL_S = 3600;
const LEASE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const BATCH = 50;

export interface PushServiceOptions {
  database: Database;
  log: Logger;
  now: () => number;
  /** PUSH_ALLOWED_HOSTS entries (default: the major browsers' push services) */
  allowedHosts?: string | readonly string[];
  vapid?: Partial<VapidKeys> & { subject?: string };
  /** how often due rows are looked for when nothing wakes the sender */
  pollMs?: number;
  fetch?: typeof fetch;
}

export interface PushSendReport {
  sent: number;
  retried: number;
  gone: number;
  dropped: number;
}

export class PushService {
  readonly rules: HostRule[];
  readonly subject: string;
  private keys?: VapidKeys;
  private keysLoading?: Promise<VapidKeys>;
  private timer?: ReturnType<typeof setTimeout>;
  private running?: Promise<PushSendReport>;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: PushServiceOptions) {
    this.rules = parseAllowedHosts(opts.allowedHosts ?? DEFAULT_PUSH_ALLOWED_HOSTS);
    this.subject = opts.vapid?.subject ?? DEFAULT_VAPID_SUBJECT;
    if (!/^(mailto:|https:\/\/)/.test(this.subject)) throw new Error('VAPID_SUBJECT must be a mailto: or https: URL');
  }

  /** The VAPID key pair (loaded or generated once). */
  vapidKeys(): Promise<VapidKeys> {
    if (this.keys) return Promise.resolve(this.keys);
    this.keysLoading ??= loadVapidKeys(this.opts.database, this.opts.vapid).then(
      (k) => (this.keys = k),
      (err) => {
        this.keysLoading = undefined;
        throw err;
      },
    );
    return this.keysLoading;
  }

  /** Why this endpoint may not be used, or null. */
  endpointProblem(endpoint: string): string | null {
    return endpointProblem(endpoint, this.rules);
  }

  /** NoticeOutbox: something was queued; send soon. */
  wake(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Starts the sender (due rows every pollMs, and at once when woken). */
  start(): void {
    this.stopped = false;
    this.wake();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    try {
      await this.drain();
    } catch (err) {
      this.opts.log.warn('push sender failed; retrying', { error: String(err) });
    } finally {
      if (!this.stopped) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.tick(), this.opts.pollMs ?? 1000);
      }
    }
  }

  /** Sends every row due now (one pass at a time; a call during a pass runs another pass after it). */
  async drain(): Promise<PushSendReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const total: PushSendReport = { sent: 0, retried: 0, gone: 0, dropped: 0 };
    this.running = (async () => {
      do {
        this.again = false;
        for (;;) {
          const r = await this.sendDue();
          total.sent += r.sent;
          total.retried += r.retried;
          total.gone += r.gone;
          total.dropped += r.dropped;
          if (r.claimed < BATCH) break;
        }
      } while (this.again);
      return total;
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sendDue(): Promise<PushSendReport & { claimed: number }> {
    const nowMs = this.opts.now();
    const claimed = await this.opts.database.query<{ id: number }>(
      `update push_outbox set next_attempt_at = to_timestamp($1 / 1000.0)
        where id in (select id from push_outbox where next_attempt_at <= to_timestamp($2 / 1000.0)
                     order by next_attempt_at, id limit ${BATCH} for update skip locked)
        returning id`,
      [nowMs + LEASE_MS, nowMs],
    );
    const report = { sent: 0, retried: 0, gone: 0, dropped: 0, claimed: claimed.length };
    if (claimed.length === 0) return report;
    const db = this.opts.database.db;
    const rows = await db
      .select({ outbox: pushOutbox, sub: pushSubscriptions, notice: notices, locale: guardians.locale })
      .from(pushOutbox)
      .innerJoin(pushSubscriptions, eq(pushSubscriptions.id, pushOutbox.subscriptionId))
      .innerJoin(notices, eq(notices.id, pushOutbox.noticeId))
      .innerJoin(guardians, eq(guardians.id, pushSubscriptions.guardianId))
      .where(
        inArray(
          pushOutbox.id,
          claimed.map((c) => Number(c.id)),
        ),
      );
    const keys = await this.vapidKeys();
    const goneSubs = new Set<number>();
    for (const row of rows) {
      if (goneSubs.has(row.sub.id)) continue;
      const outcome = await this.sendOne(row, keys);
      const attempts = row.outbox.attempts + 1;
      if (outcome.kind === 'sent') {
        report.sent++;
        await db.delete(pushOutbox).where(eq(pushOutbox.id, row.outbox.id));
        await db
          .update(pushSubscriptions)
          .set({ lastSuccessAt: new Date(this.opts.now()) })
          .where(eq(pushSubscriptions.id, row.sub.id));
      } else if (outcome.kind === 'gone') {
        report.gone++;
        goneSubs.add(row.sub.id);
        await db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, row.sub.id));
        this.opts.log.info('push subscription gone; deleted', { subscriptionId: row.sub.id, status: outcome.status });
      } else if (outcome.kind === 'retry' && attempts <= RETRY_DELAYS_S.length) {
        report.retried++;
        const delayS = Math.max(RETRY_DELAYS_S[attempts - 1]!, Math.min(outcome.retryAfterS ?? 0, 3600));
        await db
          .update(pushOutbox)
          .set({ attempts, nextAttemptAt: new Date(this.opts.now() + delayS * 1000), lastError: outcome.error })
          .where(eq(pushOutbox.id, row.outbox.id));
      } else {
        report.dropped++;
        await db.delete(pushOutbox).where(eq(pushOutbox.id, row.outbox.id));
        this.opts.log.warn('push given up', {
          subscriptionId: row.sub.id,
          noticeId: row.notice.id,
          attempts,
          error: outcome.error,
        });
      }
    }
    return report;
  }

  private async sendOne(
    row: {
      sub: typeof pushSubscriptions.$inferSelect;
      notice: typeof notices.$inferSelect;
      locale: string;
    },
    keys: VapidKeys,
  ): Promise<
    | { kind: 'sent' }
    | { kind: 'gone'; status: number }
    | { kind: 'retry'; error: string; retryAfterS?: number }
    | { kind: 'drop'; error: string }
  > {
    const problem = this.endpointProblem(row.sub.endpoint);
    if (problem) return { kind: 'drop', error: problem };
    const locale: Locale = row.locale === 'en' ? 'en' : 'zh-CN';
    const payload = pushPayload(row.notice, locale);
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(
        { endpoint: row.sub.endpoint, keys: { p256dh: row.sub.p256dh, auth: row.sub.auth } },
        JSON.stringify(payload),
        {
          vapidDetails: { subject: this.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
          TTL: PUSH_TTL_S,
          contentEncoding: 'aes128gcm',
          urgency: 'high',
          topic: pushTopic(row.notice),
        },
      );
    } catch (err) {
      return { kind: 'drop', error: `cannot encrypt for this subscription: ${String(err)}` };
    }
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(details.endpoint, {
        method: 'POST',
        headers: details.headers as Record<string, string>,
        body: new Uint8Array(details.body as Buffer),
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      return { kind: 'retry', error: `network: ${String(err)}` };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
    if (res.status === 404 || res.status === 410) return { kind: 'gone', status: res.status };
    if (res.status === 429 || res.status >= 500) {
      const ra = Number(res.headers.get('retry-after'));
      return {
        kind: 'retry',
        error: `HTTP ${res.status}`,
        retryAfterS: Number.isFinite(ra) && ra > 0 ? ra : undefined,
      };
    }
    return { kind: 'drop', error: `HTTP ${res.status}` };
  }
}

export function createPushService(opts: PushServiceOptions): PushService {
  return new PushService(opts);
}
