// Stops a child process and waits until it is gone (SIGTERM, then SIGKILL after `graceMs`), so a test does not
// remove a directory the child is still writing during its graceful shutdown.
import type { ChildProcess } from 'node:child_process';

export async function stopChild(child: ChildProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The port a server's "listening" log line (LOG_LEVEL info or lower) names, once it has been printed. */
export function listeningPort(output: string): number | undefined {
  const port = /"msg":"listening","url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output)?.[1];
  return port === undefined ? undefined : Number(port);
}

/**
 * The base URL of a server child started with PORT=0 (and LOG_LEVEL info or lower), once it answers /readyz: the
 * port is the one its "listening" log line names. A port chosen by the test instead could be taken by another
 * test's connection before the child binds it.
 */
export async function readyBaseUrl(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const port = listeningPort(output());
    if (port !== undefined) {
      const base = `http://127.0.0.1:${port}`;
      const ready = await fetch(`${base}/readyz`).catch(() => undefined);
      if (ready?.ok) return base;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start:\n${output()}`);
}
