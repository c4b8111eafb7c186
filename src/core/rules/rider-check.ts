// Who got on and off where (attendant records): a child who is not a rider of the trip's route boarded the bus
// (wrong bus), a rider got on or off at a stop that is not theirs (wrong stop; the school's stops excepted), or a card
// of no student of the school was read (unknown card). Each is one instant episode, reported once per trip and child
// (or card); severities come from the preset.
import type { TripContext } from '../context';
import { type EventSink, instantEpisode } from '../episodes';
import { projectX, projectY } from '../geo/projection';
import type { BoardingInput } from '../inputs';
import { nearestStopM } from './off-stop-boarding';

export interface RiderCheckState {
  /** findings already reported on this trip: `wrongBus:<student>`, `wrongStop:<student>`, `unknownCard:<card>` */
  flagged: string[];
}

export function initialRiderCheck(): RiderCheckState {
  return { flagged: [] };
}

/** The stop a record was made at: the one it names, else the stop whose radius holds its position. */
export function recordStopId(input: BoardingInput, ctx: TripContext): string | null {
  if (input.stopId !== undefined) return input.stopId;
  if (input.lat === undefined || input.lon === undefined || ctx.route.stops.length === 0) return null;
  const proj = ctx.route.geometry.projection;
  const near = nearestStopM(ctx, projectX(proj, input.lon), projectY(proj, input.lat));
  return near.distanceM <= near.radiusM ? near.stopId : null;
}

export function riderCheckOnBoarding(
  st: RiderCheckState,
  input: BoardingInput,
  ctx: TripContext,
  sink: EventSink,
): RiderCheckState {
  const cfg = ctx.config.riders;
  const at = recordStopId(input, ctx);
  let kind: 'wrongBus' | 'wrongStop' | 'unknownCard';
  let subject: string;
  let assigned: string | null = null;
  if (input.unknownCardId !== undefined) {
    kind = 'unknownCard';
    subject = input.unknownCardId;
  } else if (input.studentId !== undefined && ctx.riderStops) {
    const mine = ctx.riderStops[input.studentId];
    subject = input.studentId;
    if (mine === undefined) kind = 'wrongBus';
    else if (at !== null && at !== mine && !(ctx.schoolStopIds ?? []).includes(at)) {
      kind = 'wrongStop';
      assigned = mine;
    } else return st;
  } else return st;

  const studentId = kind === 'unknownCard' ? null : subject;
  const cardId = kind === 'unknownCard' ? subject : null;
  sink.events.push({
    type: 'rider.finding',
    timeMs: input.timeMs,
    busId: ctx.busId,
    tripId: ctx.tripId,
    routeId: ctx.routeId,
    kind,
    recordId: input.recordId ?? null,
    studentId,
    cardId,
    stopId: at,
    assignedStopId: assigned,
    boarded: input.boarded > 0,
  });
  const key = `${kind}:${subject}`;
  if (st.flagged.includes(key)) return st;
  instantEpisode(sink, {
    kind,
    severity:
      kind === 'wrongBus'
        ? cfg.wrongBusSeverity
        : kind === 'wrongStop'
          ? cfg.wrongStopSeverity
          : cfg.unknownCardSeverity,
    startMs: input.timeMs,
    timeMs: input.timeMs,
    position: input.lat !== undefined && input.lon !== undefined ? { lat: input.lat, lon: input.lon } : undefined,
    discriminator: subject,
    evidence: {
      source: 'boarding',
      recordId: input.recordId ?? null,
      studentId: studentId === null ? null : idValue(studentId),
      cardId,
      stopId: at === null ? null : idValue(at),
      assignedStopId: assigned === null ? null : idValue(assigned),
      boarded: input.boarded,
      alighted: input.alighted,
    },
  });
  return { flagged: [...st.flagged, key] };
}

/** Registry ids are numbers in the evidence when they are (the core itself takes any string id). */
function idValue(id: string): string | number {
  return /^\d{1,15}$/.test(id) ? Number(id) : id;
}
