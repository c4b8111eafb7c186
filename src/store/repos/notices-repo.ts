// Storing guardian notices: one statement for a set of notices (each dedupe key once, ever) and, when Web Push
// runs, their outbox rows (one per subscription of the notice's guardian) — a single round trip that commits both or
// neither. Notices come in bursts (every stop a bus passes tells the guardians of its children), and a transaction
// of four statements held a pooled connection across four turns of a busy event loop.
import type { Database } from '../db';

export interface NewNotice {
  guardianId: number;
  tripId: number | null;
  kind: string;
  dedupeKey: string;
  payload: Record<string, unknown>;
  textZh: string;
  textEn: string;
}

/** A notice stored by this statement (not one whose dedupe key was already stored). */
export interface StoredNotice extends NewNotice {
  id: number;
  createdAt: Date;
}

const INSERT_NOTICES_SQL = `with n as (
  insert into notices (guardian_id, trip_id, kind, dedupe_key, payload, text_zh, text_en, created_at)
  select g, t, k, d, p, z, e, to_timestamp($8 / 1000.0)
  from unnest($1::int[], $2::int[], $3::text[], $4::text[],
              array(select x from jsonb_array_elements($5::text::jsonb) with ordinality as a(x, i) order by i),
              $6::text[], $7::text[]) as u(g, t, k, d, p, z, e)
  on conflict (dedupe_key) do nothing
  returning id, guardian_id, trip_id, kind, dedupe_key, payload, text_zh, text_en, created_at),
o as (
  insert into push_outbox (subscription_id, notice_id, next_attempt_at)
  select s.id, n.id, to_timestamp($8 / 1000.0)
  from n join push_subscriptions s on s.guardian_id = n.guardian_id
  where $9::boolean
  returning 1)
select n.id, n.guardian_id as "guardianId", n.trip_id as "tripId", n.kind, n.dedupe_key as "dedupeKey", n.payload,
       n.text_zh as "textZh", n.text_en as "textEn", n.created_at as "createdAt",
       (select count(*) from o)::int as "queued"
from n`;

/**
 * Inserts the notices whose dedupe key is new; with `queueForPush`, each new notice is also queued in the Web Push
 * outbox for every subscription of its guardian, due at once. Returns the notices stored now and how many pushes
 * were queued.
 */
export async function insertNotices(
  database: Database,
  list: readonly NewNotice[],
  opts: { nowMs: number; queueForPush: boolean },
): Promise<{ stored: StoredNotice[]; queued: number }> {
  if (list.length === 0) return { stored: [], queued: 0 };
  const rows = await database.query<StoredNotice & { queued: number }>(
    INSERT_NOTICES_SQL,
    [
      list.map((n) => n.guardianId),
      list.map((n) => n.tripId),
      list.map((n) => n.kind),
      list.map((n) => n.dedupeKey),
      JSON.stringify(list.map((n) => n.payload)),
      list.map((n) => n.textZh),
      list.map((n) => n.textEn),
      opts.nowMs,
      opts.queueForPush,
    ],
    { prepare: true },
  );
  const stored = rows.map(({ queued: _, ...n }) => ({ ...n, createdAt: new Date(n.createdAt) }));
  return { stored, queued: rows[0]?.queued ?? 0 };
}

/** A notice published in a later place than the one it was stored with (its reservation timed out): replay uses it. */
export async function moveNoticeSeq(database: Database, id: number, seq: number): Promise<void> {
  await database.query(`update notices set payload = jsonb_set(payload, '{seq}', to_jsonb($2::float8)) where id = $1`, [
    id,
    seq,
  ]);
}
