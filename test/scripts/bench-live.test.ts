// bench:live end to end on a tiny fleet: the server as npm start wires it, guardians over WebSocket, both ingest
// paths and the bare broadcast; its last line is the JSON summary with the figures the closing notes quote.
// Needs the real PostgreSQL (the bench creates and drops its own database): runs on the PostgreSQL pass.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const onPostgres = process.env.TEST_DB_KIND === 'postgres' && !!process.env.TEST_DATABASE_URL;

describe.runIf(onPostgres)('npm run bench:live (tiny)', () => {
  it('delivers positions from both ingest paths to every follower and prints its JSON line', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/bench-live.ts',
        '--buses',
        '6',
        '--followers',
        '2',
        '--rate',
        '12',
        '--seconds',
        '3',
        '--runs',
        '1',
      ],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL },
        timeout: 170_000,
      },
    );
    const last = stdout.trim().split('\n').at(-1)!;
    const figures = JSON.parse(last) as Record<string, number>;
    expect(figures).toMatchObject({ bench: 'live', buses: 6, clients: 12 });
    expect(figures.httpAcceptedPerS).toBeGreaterThan(0);
    expect(figures.jt808AcceptedPerS).toBeGreaterThan(0);
    expect(figures.bareDeliveredPerS).toBeGreaterThan(0);
    expect(figures.httpDeliveryRatio).toBeGreaterThan(0.2);
    // The server's own count of what it wrote (/metrics): each follower got the fix's position.
    const perFix = JSON.parse(last) as Record<'httpMessagesPerFix' | 'jt808MessagesPerFix', Record<string, number>>;
    expect(perFix.httpMessagesPerFix.position).toBeGreaterThanOrEqual(2 * figures.httpDeliveryRatio! - 0.01);
    expect(perFix.jt808MessagesPerFix.position).toBeGreaterThan(0);
    expect(stdout).toMatch(/JT\/T 808: live messages written per accepted fix \(server \/metrics\): position \d/);
    // Holding a position or a newer one of the bus comes no later than that position's own arrival.
    expect(typeof figures.httpFreshP99Ms).toBe('number');
    if (figures.httpP99Ms !== null) expect(figures.httpFreshP99Ms).toBeLessThanOrEqual(figures.httpP99Ms!);
    expect(figures.jt808Superseded).toBeGreaterThanOrEqual(0);
    // Live reports, as a terminal on the road sends them: never old enough for the back-filled path (60 s), never
    // further ahead of the clock than the preset allows (300 s).
    expect(figures.fixAgeMaxS).toBeLessThan(60);
    expect(figures.fixAgeMinS).toBeGreaterThan(-300);
    // (12 connections: RSS noise can outweigh them, so only a figure is asked for here; the full run measures it)
    expect(Number.isFinite(figures.perConnectionKb)).toBe(true);
  }, 180_000);
});
