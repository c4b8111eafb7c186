// Position-writer statement candidates on the real server, same rows and table as bench:ingest's raw insert:
//   unnest      — the writer's statement (column arrays + one JSON array of attributes), batch × concurrency;
//   copy-stage  — COPY FROM STDIN into a temporary table, then insert … select … on conflict do nothing, in one
//                 transaction per batch (the two-step that would keep exactly-once with COPY's parsing speed).
// Rows per second and statement latency (p50) per setting; every run's rows are counted. A fresh database is
// created and dropped. Loopback only.
//   npx tsx scripts/bench/writer-statements.ts [--rows 60000] [--reps 2]
import postgres from 'postgres';
import { insertParams, POSITION_INSERT_SQL, type PositionRow } from '../../src/pipeline/position-writer';
import { applyMigrations } from '../../src/store/migrate';
import { createPostgresDatabase } from '../../src/store/postgres-db';

const args = process.argv.slice(2);
const arg = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const N = arg('--rows', 60_000);
const REPS = arg('--reps', 2);
const SETTINGS: [batch: number, concurrency: number][] = [
  [1000, 2],
  [2000, 2],
  [2000, 4],
  [4000, 2],
];

function rows(base: number): PositionRow[] {
  const out: PositionRow[] = [];
  for (let k = 0; out.length < N; k++)
    for (let d = 0; d < 1000 && out.length < N; d++)
      out.push({
        busId: d + 1,
        deviceId: d + 1,
        timeMs: base + k * 1000,
        receivedMs: Date.now(),
        lat: 22 + d * 0.001,
        lon: 113 + k * 0.0001,
        speedKph: 36,
        headingDeg: 90,
        altitudeM: 12,
        satellites: 12,
        alarms: [],
        acc: true,
        doorOpen: false,
        late: false,
        blindArea: false,
        attributes: { alarmFlags: 0, statusFlags: 786435, mileageKm: 1234.5, signalStrength: 25 },
      });
  return out;
}

const nul = (v: number | undefined | null) => (v == null ? '\\N' : String(v));
const bool = (v: boolean | undefined) => (v == null ? '\\N' : v ? 't' : 'f');
const copyEscape = (t: string) =>
  t.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
function copyText(rs: PositionRow[]): string {
  const lines: string[] = [];
  for (const r of rs)
    lines.push(
      `${r.busId}\t${r.deviceId}\t${r.timeMs}\t${r.receivedMs}\t${r.lat}\t${r.lon}\t${nul(r.speedKph)}\t${nul(r.headingDeg)}\t${nul(r.altitudeM)}\t${nul(r.accuracyM)}\t${nul(r.satellites)}\t${copyEscape(r.alarms.join(','))}\t${bool(r.acc)}\t${bool(r.doorOpen)}\t${bool(r.late)}\t${bool(r.blindArea)}\t${r.attributes ? copyEscape(JSON.stringify(r.attributes)) : '\\N'}\n`,
    );
  return lines.join('');
}

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    throw new Error(`BENCH_DATABASE_URL must point at a loopback server (got ${host})`);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const name = `bg_stmt_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = createPostgresDatabase({ url: url.toString() });
  const sql = postgres(url.toString(), { max: 10, onnotice: () => {} });
  try {
    await applyMigrations(database);
    let base = Date.UTC(2026, 0, 1);
    const variants: Record<string, (rs: PositionRow[]) => Promise<unknown>> = {
      unnest: (rs) => database.query(POSITION_INSERT_SQL, insertParams(rs)),
      'copy-stage': (rs) =>
        sql.begin(async (tx) => {
          await tx.unsafe(
            `create temp table if not exists position_stage (b int, d int, t float8, r float8, la float8, lo float8, sp real, hd real, al real, ac real, sa smallint, am text, acc bool, door bool, lt bool, ba bool, at text) on commit delete rows`,
          );
          const w = await tx.unsafe(`copy position_stage from stdin`).writable();
          await new Promise<void>((res, rej) => {
            w.on('error', rej);
            w.end(copyText(rs), () => res());
          });
          await tx.unsafe(`insert into positions (bus_id, device_id, time, received_at, lat, lon, speed_kph, heading_deg, altitude_m, accuracy_m, satellites, alarms, acc, door_open, late, blind_area, attributes)
            select b, d, to_timestamp(t / 1000.0), to_timestamp(r / 1000.0), la, lo, sp, hd, al, ac, sa, case when am = '' then null else string_to_array(am, ',') end, acc, door, lt, ba, at::jsonb
            from position_stage on conflict (device_id, time) do nothing`);
        }),
    };
    for (let rep = 0; rep < REPS; rep++)
      for (const [batch, conc] of SETTINGS)
        for (const v of Object.keys(variants)) {
          const rs = rows(base);
          base += 1000 * 1000 * 1000;
          await database.query('truncate positions');
          let next = 0;
          const lat: number[] = [];
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: conc }, async () => {
              while (next < rs.length) {
                const slice = rs.slice(next, next + batch);
                next += batch;
                const t = performance.now();
                await variants[v]!(slice);
                lat.push(performance.now() - t);
              }
            }),
          );
          const el = performance.now() - t0;
          const [c] = await database.query<{ n: number }>('select count(*)::int as n from positions');
          if (Number(c!.n) !== rs.length) throw new Error(`${v}: ${c!.n} rows stored, ${rs.length} sent`);
          lat.sort((a, b) => a - b);
          process.stdout.write(
            `${JSON.stringify({ statement: v, batch, concurrency: conc, rowsPerS: Math.round(rs.length / (el / 1000)), p50Ms: Math.round(lat[lat.length >> 1]!) })}\n`,
          );
        }
  } finally {
    await sql.end({ timeout: 5 });
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
