// `npm start` runs node itself with the server's heap settings, and the benchmarks start the server from the same
// command line (scripts/bench/npm-start.ts), so a change to the start script reaches what they measure.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingStartFlags, npmStartArgs } from '../../scripts/bench/npm-start';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the start command', () => {
  it('runs the Node server under node with a young generation sized for a fleet', () => {
    const args = npmStartArgs(ROOT);
    expect(args.at(-1)).toBe('src/runtime/node/main.ts');
    // Short-lived request and message objects that wait out a busy event-loop turn would otherwise be promoted
    // and collected by full GCs (bench:live single-fix HTTP: 10 % of the server's CPU in GC with the default).
    expect(args).toContain('--max-semi-space-size=64');
    expect(args.slice(args.indexOf('--import'), args.indexOf('--import') + 2)).toEqual(['--import', 'tsx']);
  });

  it('puts extra node options before the script, and names the flags a process lacks', () => {
    expect(npmStartArgs(ROOT, ['--inspect=127.0.0.1:0']).slice(-2)).toEqual([
      '--inspect=127.0.0.1:0',
      'src/runtime/node/main.ts',
    ]);
    expect(missingStartFlags(ROOT, ['--import', 'tsx'])).toEqual(['--max-semi-space-size=64']);
    expect(missingStartFlags(ROOT, ['--max-semi-space-size=64', '--import', 'tsx'])).toEqual([]);
  });
});
