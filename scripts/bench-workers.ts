// JSON ingest through the Workers runtime beside Node, in one run, against the same local PostgreSQL server:
//   - node:    `npm start` as deployed (DATABASE_URL; ingest, engine and live hub wired), its own process;
//   - workers: `wrangler dev` in local mode (workerd): Worker → one BusObject per bus → PostgreSQL (Hyperdrive's
//              local mode connects directly; there is no Hyperdrive pool and no network between them).
// The workload is bench:ingest's JSON one in small: `--devices` partner devices (default 20), each on its own bus on a
// planned trip, posting `--fixes` positions (default 1000) in batches of `--batch` (default 100), one request at a
// time per device, all devices at once. Each target gets a fleet of its own. fixes/s = acknowledged fixes / wall time
// from the first request to the last answer; every acknowledged fix is checked to be stored. The last line is one
// JSON object.
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:workers [-- --devices 20 --fixes 1000]
//
// What the Workers figure means: the cost of the object-per-bus design on one machine (an RPC hop per request into
// the bus's object, each object with its own small connection pool), with workerd, wrangler's proxy, PostgreSQL and
// the load generator sharing this machine's cores. It is not a Cloudflare production figure: there, objects of
// different buses run on many machines and Hyperdrive pools connections near the database.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { createApp } from '../src/http/app';
import { silentLogger } from '../src/logging';
import { applyMigrations } from '../src/store/migrate';
import { createPostgresDatabase } from '../src/store/postgres-db';
import { ensureAdmin } from '../src/store/repos/auth-repo';
import { npmStartArgs } from './bench/npm-start';
import { freePort, startWranglerDev } from './workers/wrangler-dev';

const args = process.argv.slice(2);
const arg = (name: string, d: number) => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : d;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const DEVICES = arg('devices', 20);
const FIXES = arg('fixes', 1000);
const BATCH = arg('batch', 100);
const ADMIN = 'bench-workers-admin-token-0123456789';
const root = resolve(import.meta.dirname, '..');
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);
const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ msg, ...fields })}\n`);

interface Fleet {
  devices: { id: number; token: string; lon0: number }[];
}

async function seed(url: string, tag: string, startMs: number): Promise<Fleet> {
  const database = createPostgresDatabase({ url, maxConnections: 4 });
  try {
    const app = createApp({ database, log: silentLogger, now: Date.now });
    const call = async (path: string, body: unknown) => {
      const res = await app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { id: number; token: string };
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const school = await call('/api/v1/schools', { name: `Bench ${tag}`, lat: 31.2, lon: 121.4 });
    const driver = await call('/api/v1/drivers', {
      schoolId: school.id,
      name: `Driver ${tag}`,
      birthDate: '1980-01-01',
      licenceClass: 'A1',
      licenceFirstIssued: '2005-01-01',
      schoolBusEndorsement: true,
      qualificationCertNo: `CERT-${tag}`,
      qualificationCertExpiry: '2030-06-30',
    });
    const fleet: Fleet = { devices: [] };
    for (let i = 0; i < DEVICES; i++) {
      const lon0 = 121.4 + i * 0.05;
      const lengthDeg = ((FIXES + 60) * 10) / M_PER_DEG_LON;
      const route = await call('/api/v1/routes', {
        schoolId: school.id,
        name: `R${tag}${i}`,
        path: {
          type: 'LineString',
          coordinates: [
            [lon0, 31.2],
            [lon0 + lengthDeg, 31.2],
          ],
        },
        stops: [
          { name: 'First', lat: 31.2, lon: lon0, scheduledTime: '07:00' },
          { name: 'School', lat: 31.2, lon: lon0 + lengthDeg, scheduledTime: '08:00' },
        ],
        // Trips are refused on an unapproved route (Art. 30).
        approvedBy: 'Bench education office',
        approvalNumber: `BENCH-${tag}-${i}`,
        approvedOn: '2026-01-05',
      });
      const bus = await call('/api/v1/buses', { schoolId: school.id, plate: `B-${tag}-${i}`, approvedCapacity: 40 });
      const device = await call('/api/v1/devices', {
        schoolId: school.id,
        busId: bus.id,
        protocol: 'json',
        identifier: `bench-${tag}-${i}`,
      });
      const user = await call('/api/v1/users', { name: `Device ${tag}${i}`, role: 'device', deviceId: device.id });
      const token = (await call(`/api/v1/users/${user.id}/tokens`, { label: 'bench' })).token;
      await call('/api/v1/trips', {
        routeId: route.id,
        busId: bus.id,
        driverId: driver.id,
        serviceDate: new Date(startMs + 8 * 3_600_000).toISOString().slice(0, 10),
        plannedStartAt: new Date(startMs).toISOString(),
      });
      fleet.devices.push({ id: device.id, token, lon0 });
    }
    return fleet;
  } finally {
    await database.close();
  }
}

/** Every device posts its drive (36 km/h east, one fix a second) in batches, one request at a time. */
async function drive(baseUrl: string, fleet: Fleet, startMs: number) {
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    fleet.devices.map(async (d) => {
      for (let k = 0; k < FIXES; k += BATCH) {
        const positions = [];
        for (let s = k; s < Math.min(FIXES, k + BATCH); s++)
          positions.push({ time: startMs + s * 1000, lat: 31.2, lon: d.lon0 + (s * 10) / M_PER_DEG_LON, speedKph: 36 });
        for (;;) {
          const res = await fetch(`${baseUrl}/api/v1/telemetry/positions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ positions }),
          });
          const body = (await res.json()) as { accepted?: number };
          if (res.status === 200 && body.accepted === positions.length) break;
          failed++;
          if (res.status !== 503) throw new Error(`${res.status} ${JSON.stringify(body)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, retried: failed };
}

async function startNode(url: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'busguard-bench-node-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, npmStartArgs(root), {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      OSMAND_PORT: String(await freePort()),
      JT808_PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('node server did not start');
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url: base,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main() {
  const name = `bg_bench_workers_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const results: Record<string, unknown> = {};
  try {
    const database = createPostgresDatabase({ url: url.toString(), maxConnections: 2 });
    await applyMigrations(database);
    await ensureAdmin(database.db, ADMIN);
    const stored = async (fleet: Fleet) =>
      (
        await database.query<{ n: number }>(
          'select count(*)::int as n from positions where device_id = any($1::int[])',
          [fleet.devices.map((d) => d.id)],
        )
      )[0]!.n;
    const startMs = Date.now() - (FIXES + 120) * 1000;
    log('load before', { loadavg: loadavg() });
    for (const target of ['node', 'workers'] as const) {
      const fleet = await seed(url.toString(), target, startMs);
      const server =
        target === 'node'
          ? await startNode(url.toString())
          : await startWranglerDev({ databaseUrl: url.toString(), vars: { LOG_LEVEL: 'warn' } }).then((w) => ({
              url: w.url,
              stop: () => w.dispose(),
            }));
      try {
        const r = await drive(server.url, fleet, startMs);
        const n = await stored(fleet);
        if (n !== DEVICES * FIXES) throw new Error(`${target}: ${n} rows stored, ${DEVICES * FIXES} acknowledged`);
        results[target] = {
          fixesPerS: Math.round((DEVICES * FIXES) / r.seconds),
          seconds: +r.seconds.toFixed(2),
          retried: r.retried,
        };
        log(target, results[target] as Record<string, unknown>);
      } finally {
        await server.stop();
      }
    }
    await database.close();
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
  log('load after', { loadavg: loadavg() });
  console.log(JSON.stringify({ workload: { devices: DEVICES, fixesPerDevice: FIXES, batch: BATCH }, ...results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
