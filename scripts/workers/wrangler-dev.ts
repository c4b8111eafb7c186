// `wrangler dev` in local mode (workerd on loopback, no login, no network) for the Workers tests and benchmark: the repository's
// wrangler.toml with its Hyperdrive binding pointed at a test database, its Durable Object state in a temporary
// folder, and the whole process group stopped by the test.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildWorkerAssets, workerAssetsDir } from '../build-worker-assets';

const root = resolve(import.meta.dirname, '../..');

export interface WranglerDev {
  url: string;
  port: number;
  /** everything wrangler and the Worker printed so far */
  output(): string;
  /** stops workerd and wrangler (the state folder stays, so a restart continues with the objects' storage) */
  stop(): Promise<void>;
  /** starts again on the same port and state (the objects start fresh: a restart) */
  restart(): Promise<void>;
  /** stops and removes the state */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** The repository's wrangler.toml, with `main` absolute, the local database and extra vars. */
function configFor(databaseUrl: string, vars: Record<string, string>): string {
  const url = new URL(databaseUrl);
  if (!url.password) url.password = 'postgres'; // wrangler insists on one; a trust server ignores it
  let toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(root, 'src/runtime/worker/index.ts'))}`)
    .replace(/^directory = .*$/m, `directory = ${JSON.stringify(workerAssetsDir)}`)
    .replace(/^localConnectionString = .*$/m, `localConnectionString = ${JSON.stringify(url.toString())}`);
  for (const [k, v] of Object.entries(vars)) {
    const line = `${k} = ${JSON.stringify(v)}`;
    const re = new RegExp(`^${k} = .*$`, 'm');
    toml = re.test(toml) ? toml.replace(re, line) : toml.replace(/^\[vars\]$/m, `[vars]\n${line}`);
  }
  return toml;
}

export async function startWranglerDev(opts: {
  databaseUrl: string;
  vars?: Record<string, string>;
  timeoutMs?: number;
  /** the port of the first try (default: a free one); a try that fails to start moves to a free one */
  port?: number;
}): Promise<WranglerDev> {
  // The pages' static assets ([assets]): scripts/e2e-workers.sh builds them once; built here when missing.
  if (!existsSync(join(workerAssetsDir, 'pages-manifest.json'))) await buildWorkerAssets();
  const dir = mkdtempSync(join(tmpdir(), 'busguard-wrangler-'));
  const configPath = join(dir, 'wrangler.toml');
  writeFileSync(configPath, configFor(opts.databaseUrl, opts.vars ?? {}));
  let port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('CLOUDFLARE_')) delete env[k];
  // Nothing leaves the machine: no telemetry, no `Request.cf` download (miniflare's own switch), and wrangler's
  // version check is pointed at a closed loopback port.
  Object.assign(env, {
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    npm_config_registry: 'http://127.0.0.1:9/',
    WRANGLER_LOG_PATH: join(dir, 'logs'),
    CI: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  });
  let log = '';
  let child: ChildProcess | undefined;

  const launch = async () => {
    const wrangler = join(root, 'node_modules/wrangler/bin/wrangler.js');
    const args = [
      wrangler,
      'dev',
      '--config',
      configPath,
      '--local',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort()),
      '--persist-to',
      join(dir, 'state'),
      '--show-interactive-dev-session=false',
      '--test-scheduled', // GET /__scheduled runs the Cron Trigger (wrangler dev does not fire it by itself)
    ];
    const c = spawn(process.execPath, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const from = log.length;
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`wrangler dev not ready in time:\n${log.slice(-4000)}`)),
        opts.timeoutMs ?? 90_000,
      );
      const onData = (b: Buffer) => {
        log += b.toString();
        if (/Ready on http/.test(log.slice(-2000))) {
          clearTimeout(timer);
          ok();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      c.once('exit', (code) => {
        clearTimeout(timer);
        fail(new EarlyExit(code, log.slice(from), join(dir, 'logs')));
      });
    });
  };

  // A wrangler that exits before it is ready (seen once in CI in many runs; its reason was lost) is started again,
  // up to START_TRIES times, after saying why on stderr: a port taken between freePort() and wrangler's bind
  // (an outgoing connection may be given the same number) is the likely cause, so a first start picks a new port;
  // a restart keeps its port, which the objects' clients know, and waits a moment instead. A start that fails every
  // try throws with every reason.
  const start = async (keepPort: boolean) => {
    const reasons: string[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        await launch();
        return;
      } catch (e) {
        if (!(e instanceof EarlyExit)) throw e;
        await stop();
        reasons.push(`try ${attempt}: ${e.message}`);
        if (attempt >= START_TRIES) {
          throw new Error(
            `wrangler dev exited before it was ready, ${attempt} times: ${reasons.join('; ')}\n${e.output.slice(-4000)}`,
            { cause: e },
          );
        }
        process.stderr.write(
          `wrangler dev exited before it was ready (try ${attempt} of ${START_TRIES}): ${e.message}; starting it again\n`,
        );
        if (keepPort) await new Promise((r) => setTimeout(r, 1000));
        else port = await freePort();
      }
    }
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((ok) => c.once('exit', () => ok()));
    try {
      process.kill(-c.pid!, 'SIGTERM'); // the group: wrangler, esbuild and workerd
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
    // workerd may outlive wrangler by a moment: make sure nothing of the group is left.
    for (let i = 0; i < 50 && groupAlive(c.pid!); i++) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(c.pid!)) process.kill(-c.pid!, 'SIGKILL');
  };

  await start(false);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => log,
    stop,
    restart: async () => {
      await stop();
      await start(true);
    },
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const START_TRIES = 3;

/** wrangler exited before "Ready on": the message names the reason it gave (its first error line). */
class EarlyExit extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
    logDir: string,
  ) {
    super(`wrangler dev exited (${code}): ${reasonOf(output, logDir)}`);
  }
}

/** The first error wrangler printed ("✘ [ERROR] …"), else the first of its log files, else its last line. */
function reasonOf(output: string, logDir: string): string {
  const last = output.trim().split('\n').at(-1)?.trim();
  return (errorLine(output) ?? errorInLogFiles(logDir) ?? last ?? 'no output').slice(0, 500);
}

/** The "[ERROR]" line of wrangler's text (colours removed), else a line naming an error. */
function errorLine(text: string): string | undefined {
  const lines = text
    .replace(/\x1b\[[0-9;]*m/g, '') // without the terminal colours
    .split('\n')
    .map((l) => l.trim());
  return lines.find((l) => l.includes('[ERROR]')) ?? lines.find((l) => /\bError\b|EADDRINUSE|already in use/.test(l));
}

/** The first error line of wrangler's log files (WRANGLER_LOG_PATH), newest first. */
function errorInLogFiles(logDir: string): string | undefined {
  try {
    for (const f of readdirSync(logDir).sort().reverse()) {
      const line = errorLine(readFileSync(join(logDir, f), 'utf8'));
      if (line) return line;
    }
  } catch {
    /* no log folder yet */
  }
  return undefined;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
