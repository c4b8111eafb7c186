// Retention: raw positions older than the policy are deleted in bounded chunks, so one run never holds a long
// lock or a huge transaction; what is left over goes on the next run.
import type { Database } from '../store/db';

export async function runRetention(
  database: Database,
  nowMs: number,
  cfg: { keepRawPositionsDays: number; retentionChunkRows: number; retentionMaxChunks: number },
) {
  const cutoff = new Date(nowMs - cfg.keepRawPositionsDays * 86_400_000);
  let deleted = 0;
  let chunks = 0;
  while (chunks < cfg.retentionMaxChunks) {
    const [r] = await database.query<{ n: number }>(
      `with gone as (
         delete from positions where ctid = any(array(select ctid from positions where time < $1 limit $2)) returning 1
       ) select count(*)::int as n from gone`,
      [cutoff.toISOString(), cfg.retentionChunkRows],
    );
    const n = Number(r?.n ?? 0);
    chunks++;
    deleted += n;
    if (n < cfg.retentionChunkRows) return { cutoff: cutoff.toISOString(), deleted, chunks, complete: true };
  }
  return { cutoff: cutoff.toISOString(), deleted, chunks, complete: false };
}
