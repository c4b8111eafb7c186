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
