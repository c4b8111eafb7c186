// The node command `npm start` runs (package.json scripts.start: `node FLAGS… --import tsx src/runtime/node/main.ts`),
// as an argument list for spawn(process.execPath, …): the benchmarks start the server exactly as users do, heap
// flags included. `extra` goes before the script (for example --inspect).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function npmStartArgs(root: string, extra: string[] = []): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const words = String(pkg.scripts?.start ?? '')
    .split(/\s+/)
    .filter(Boolean);
  const script = words.at(-1);
  if (words[0] !== 'node' || !script?.endsWith('.ts'))
    throw new Error(`package.json scripts.start is not "node … SCRIPT.ts": ${String(pkg.scripts?.start)}`);
  return [...words.slice(1, -1), ...extra, script];
}

/** The V8 and Node flags of `npm start` (all but the tsx loader) that a process was not started with. */
export function missingStartFlags(root: string, execArgv: string[] = process.execArgv): string[] {
  const args = npmStartArgs(root);
  const flags = args
    .slice(0, -1)
    .filter((a, i) => a.startsWith('--') && a !== '--import' && args[i - 1] !== '--import');
  return flags.filter((f) => !execArgv.includes(f));
}

/**
 * For a benchmark that hosts the server in its own process: unless this process runs with `npm start`'s flags, runs
 * the same script again with them (same arguments, output inherited) and exits with its status.
 */
export function withStartFlags(root: string): void {
  const missing = missingStartFlags(root);
  if (!missing.length) return;
  const r = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
