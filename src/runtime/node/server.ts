// The Node service, wired (started by main.ts once the data directory is locked and the ports are free):
// database → admin → demo → pipeline (ingest, engine, live hub: ./pipeline.ts) → HTTP, OsmAnd and JT/T 808
// servers → jobs.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../http/app';
import type { Logger } from '../../logging';
import { ensureAdmin } from '../../store/repos/auth-repo';
import type { Config } from './config';
import { openAuthDatabase, openDatabase, openWriterDatabase } from './database';
import type { DataDirLock } from './data-dir-lock';
import { createAuthenticator } from '../../auth/authenticator';
import { startOsmandServer } from './osmand-server';
import { serveHttp } from './listen';
import { registerEventLoopMetrics } from './event-loop-metrics';
import { registerLiveMetrics } from '../../live/live-metrics';
import { registerJt808Metrics, startJt808Server } from './jt808-server';
import { startScheduler } from './scheduler';
import { attachLive } from './live-ws';
import { wireNodePipeline } from './pipeline';
import { loadPageAssets, registerPages } from './pages';
import { startAlertDispatcher } from '../../jobs/alert-webhooks';
import { liveCaseEventPublisher } from '../../jobs/case-deadlines';
import { liveAlertPublisher } from '../../jobs/sweep-deadlines';
import type { AddressInfo } from 'node:net';
import { refreshDemoDay, seedDemoIfEmpty } from '../../demo/seed';
import { startDemoSimulator } from './demo-simulator';
import { createPushService } from '../../live/push/service';

export async function runServer(config: Config, log: Logger, lock: DataDirLock | undefined): Promise<void> {
  const database = await openDatabase(config);
  log.info('database ready', { kind: database.kind, dataDir: database.kind === 'pglite' ? config.dataDir : undefined });

  const admin = await ensureAdmin(database.db, config.adminToken);
  if (admin.revokedTokenIds.length)
    log.warn('ADMIN_TOKEN changed: the previous admin token is revoked', { tokenIds: admin.revokedTokenIds });
  if (admin.createdToken) {
    console.log(`\n  Admin token (shown once, store it): ${admin.createdToken}\n`);
  }
  if (config.demo) {
    const demo = await seedDemoIfEmpty(database, { now: Date.now() });
    if (demo) {
      const file = join(config.dataDir, 'demo-tokens.json');
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
      printDemo(demo);
    }
    if (config.simulate) await refreshDemoDay(database, { now: Date.now() });
  }

  // The position and engine writers on connections of their own (postgres): see openWriterDatabase.
  const writerDatabase = openWriterDatabase(config, database);
  // Request authentication on its own small pool (postgres), apart from the position writer's connections, so a
  // burst of positions does not queue sign-ins; PGlite is one connection for everything.
  const authDatabase = openAuthDatabase(config, database);
  // node:crypto's synchronous SHA-256 for the token cache key: Web Crypto's digest goes through the thread pool
  // and a promise job per request (about 9 % of the server's CPU under bench:live's single-fix posts).
  const auth = createAuthenticator({ database: authDatabase, now: Date.now, log, hash: sha256Hex });
  const pipeline = wireNodePipeline({ database, writerDatabase, log, now: Date.now, auth });
  const { ingest, runner, live } = pipeline;
  // Web Push: every stored guardian notice is queued for the guardian's subscriptions by the statement that stores it.
  const push = createPushService({
    database,
    log,
    now: Date.now,
    allowedHosts: config.push.allowedHosts,
    vapid: config.push.vapid,
  });
  await push.vapidKeys(); // generated and stored on first start
  live.notices.setOutbox(push);
  push.start();
  for (const tokenId of admin.revokedTokenIds) auth.revoke({ kind: 'token', tokenId });
  const deps = {
    database,
    log,
    now: Date.now,
    ingest,
    runner,
    live,
    auth,
    push,
    metricsToken: config.metricsToken,
    tripLateAfterMin: config.jobs.lateAfterMin,
  };
  // Jobs (node-cron, in each school's time zone): engine ticks for device-offline and fatigue, trip lateness,
  // the end-of-trip sweep deadline, compliance expiries, retention and the reports.
  const scheduler = startScheduler({
    database,
    log,
    tick: (nowMs) => runner.tick(nowMs),
    runner,
    publishAlert: liveAlertPublisher(live.hub),
    publishCaseEvent: liveCaseEventPublisher(live.hub),
    onTripLate: (tripId) => live.notices.noticeTripNotStarted(tripId),
    config: config.jobs,
  });
  // Critical alerts to the district's webhooks (durable outbox, at least once).
  const alerts = config.alertWebhooks.length
    ? startAlertDispatcher({ database, log, endpoints: config.alertWebhooks, now: Date.now })
    : undefined;
  const app = createApp(deps);
  registerPages(app, await loadPageAssets(), config.pages); // /parent, /attendant, /manager, /assets/
  const server = serveHttp(app.fetch, { port: config.port, host: config.host }, (info) => {
    log.info('listening', { url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${info.port}` });
  });
  const liveWs = attachLive(server, live);
  const osmand = startOsmandServer(deps, { port: config.osmandPort, host: config.host });
  log.info('osmand listening', { port: await boundPort(osmand) });
  const jt808 = await startJt808Server({ port: config.jt808Port, host: config.host, ingest, log });
  registerJt808Metrics(ingest.metrics, jt808);
  const loopDelay = registerEventLoopMetrics(ingest.metrics);
  registerLiveMetrics(ingest.metrics, live.hub);

  const simulator = config.simulate
    ? startDemoSimulator(
        { http: await boundPort(server), jt808: jt808.port, osmand: await boundPort(osmand), dataDir: config.dataDir },
        log,
      )
    : undefined;

  const shutdown = async (signal: string) => {
    log.info('shutting down', { signal });
    simulator?.stop();
    await scheduler.stop();
    loopDelay.stop();
    await alerts?.stop();
    server.close();
    osmand.close();
    await jt808.close(); // closes terminal connections; in-flight submissions settle before the ingest closes
    await liveWs.close();
    await pipeline.close();
    await push.close();
    await auth.close();
    if (authDatabase !== database) await authDatabase.close();
    if (writerDatabase !== database) await writerDatabase.close();
    await database.close();
    lock?.release();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** SHA-256 hex of a token, as src/auth/tokens.ts `hashToken` computes it. */
function sha256Hex(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The port a server listens on (the configured one may be 0: any free port). */
async function boundPort(server: {
  address(): unknown;
  listening?: boolean;
  once(event: 'listening', cb: () => void): unknown;
}): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

function printDemo(demo: { tokens: { role: string; name: string; token: string }[] }) {
  console.log('\n  Demo district seeded. Tokens for trying the API (shown once; also in DATA_DIR/demo-tokens.json):');
  for (const t of demo.tokens) console.log(`    ${t.role.padEnd(9)} ${t.name.padEnd(28)} ${t.token}`);
  console.log('');
}
