// R8 unlicensed bus: a trip started with an expired school-bus sign or inspection, or a sign valid
// beyond the inspection. The episode stays open for the trip.
import type { TripContext } from '../context';
import { isDate, localDate } from '../dates';
import { type EventSink, openEpisode } from '../episodes';
import type { Episode } from '../events';

export type BusLicenceFailure =
  'sign_expired' | 'sign_missing' | 'inspection_expired' | 'inspection_missing' | 'sign_beyond_inspection';

export function checkBusLicence(ctx: TripContext, atMs: number): BusLicenceFailure[] {
  const today = localDate(atMs, ctx.utcOffsetMin ?? 480);
  const { signValidUntil, inspectionValidUntil } = ctx.bus;
  const failures: BusLicenceFailure[] = [];
  if (!isDate(signValidUntil)) failures.push('sign_missing');
  else if (signValidUntil < today) failures.push('sign_expired');
  if (!isDate(inspectionValidUntil)) failures.push('inspection_missing');
  else if (inspectionValidUntil < today) failures.push('inspection_expired');
  if (isDate(signValidUntil) && isDate(inspectionValidUntil) && signValidUntil > inspectionValidUntil)
    failures.push('sign_beyond_inspection');
  return failures;
}

export function unlicensedOnTripStart(timeMs: number, ctx: TripContext, sink: EventSink): Episode | null {
  const failures = checkBusLicence(ctx, timeMs);
  if (failures.length === 0) return null;
  return openEpisode(sink, {
    kind: 'unlicensedBus',
    severity: 'major',
    startMs: timeMs,
    timeMs,
    evidence: {
      failures,
      signValidUntil: ctx.bus.signValidUntil ?? null,
      inspectionValidUntil: ctx.bus.inspectionValidUntil ?? null,
    },
  });
}
