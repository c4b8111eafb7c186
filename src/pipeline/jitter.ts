// Cache lifetimes with jitter: entries loaded together (every bus after a restart, a fleet that reports in step)
// would otherwise all expire in the same instant and reload in one burst of queries. Each lifetime is drawn
// uniformly between (1 − fraction)·base and base — never longer than the base, so a promise such as "a registry
// change reaches running trips within 30 seconds" still holds.

/** A lifetime in [(1 − fraction)·baseMs, baseMs] (default fraction 0.2); `random` is injectable for tests. */
export function jitteredTtlMs(baseMs: number, fraction = 0.2, random: () => number = Math.random): number {
  const f = Math.min(Math.max(fraction, 0), 1);
  return Math.round(baseMs * (1 - f * random()));
}
