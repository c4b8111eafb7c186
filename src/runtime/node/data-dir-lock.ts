// One writer per data directory: the embedded database (PGlite) must never be opened by two processes at once, or
// both acknowledge positions and one of them loses them.
//
// The lock is a file created exclusively (O_CREAT|O_EXCL, atomic on local file systems) holding the owner's pid,
// host and process start time. A lock left by a process that is gone (a crash, kill -9) is stale and taken over: the
// owner is checked with signal 0 and, on Linux, its start time in /proc (so a recycled pid is not mistaken for the
// owner). The takeover itself is serialized by a second exclusive file, so two starters that both find a stale
// lock cannot both win. A lock from another host cannot be checked and is respected.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'busguard.lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (Linux /proc/<pid>/stat field 22), when known. */
  procStart?: string;
  startedAt: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(
      owner
        ? `DATA_DIR ${dir} is in use by another busguard process (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}); ` +
            'stop it first, or give this instance its own DATA_DIR'
        : `DATA_DIR ${dir} is locked by another busguard process (lock file ${join(dir, LOCK_FILE)})`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  path: string;
  owner: LockOwner;
  /** Removes the lock (only if it is still ours). Safe to call twice. */
  release(): void;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may contain spaces; fields after it are space-separated.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22
  } catch {
    return undefined;
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the lock still runs (true when it cannot be told: another host). */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false; // an earlier life of this very pid (a container restart)
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists (or is not ours to signal): on Linux, make sure it is the same process and not a recycled pid.
  if (owner.procStart !== undefined) {
    const now = procStart(owner.pid);
    if (now !== undefined && now !== owner.procStart) return false;
  }
  return true;
}

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the data directory's lock, or throws DataDirLockedError naming the running owner. */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    procStart: procStart(process.pid),
    startedAt: new Date().toISOString(),
  };
  const text = JSON.stringify(owner) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, text)) return held(path, owner, text);
    const existing = readOwner(path);
    if (existing === undefined) {
      // Being written this very moment, or garbage left by a crash mid-write: garbage older than a few seconds is stale.
      if (ageMs(path) < 5000) {
        sleepSync(100);
        continue;
      }
    } else if (ownerAlive(existing)) {
      throw new DataDirLockedError(dir, existing);
    }
    takeOver(path, existing);
  }
  throw new DataDirLockedError(dir, readOwner(path));
}

/** Removes a stale lock, unless someone else already replaced it; serialized by an exclusive takeover file. */
function takeOver(path: string, stale: LockOwner | undefined): void {
  const guard = `${path}.takeover`;
  if (!createExclusive(guard, String(process.pid))) {
    // Another starter is taking over right now; a guard left by a crash in this tiny window goes after 10 s.
    if (ageMs(guard) > 10_000) rmSync(guard, { force: true });
    sleepSync(100);
    return;
  }
  try {
    const now = readOwner(path);
    const same =
      stale === undefined
        ? now === undefined
        : now !== undefined && now.pid === stale.pid && now.startedAt === stale.startedAt;
    if (same) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

function held(path: string, owner: LockOwner, text: string): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readFileSync(path, 'utf8') === text) rmSync(path, { force: true });
    } catch {
      /* already gone */
    }
  };
  process.on('exit', release);
  return { path, owner, release };
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
