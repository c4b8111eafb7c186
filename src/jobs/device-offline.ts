// R7 every minute: the engine runner owns device state; the job only gives it the clock.
import type { JobDeps } from './types';

export async function runDeviceOffline(deps: JobDeps, nowMs: number): Promise<{ ticked: boolean }> {
  if (!deps.tick) return { ticked: false };
  await deps.tick(nowMs);
  return { ticked: true };
}
