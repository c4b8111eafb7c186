// What the Worker calls on a bus's object (Durable Object RPC). Errors do not cross the boundary as classes, so a
// refused write comes back as a value and the Worker raises the StorageUnavailableError the HTTP side maps to 503.
import type { DeviceEvent, Fix } from '../../core/fix';
import type { LiveMessage } from '../../live/messages';
import type { DeviceInfo, SubmitResult } from '../../pipeline/types';

export interface StorageFailure {
  ok: false;
  message: string;
  retryAfterS: number;
  reason: 'down' | 'full';
}

export type SubmitReply = { ok: true; result: SubmitResult } | StorageFailure;

export interface BusObjectRpc {
  /** Filters, stores and acknowledges (after the commit) one device's fixes in the bus's lane. */
  submitFixes(
    busId: number,
    device: DeviceInfo,
    fixes: Fix[],
    receivedMs: number,
    refuseWhenFull: boolean,
  ): Promise<SubmitReply>;
  /** Records a device's events, then runs them through the lane (not awaited by the answer, as on Node). */
  submitEvents(
    busId: number,
    device: DeviceInfo,
    events: DeviceEvent[],
    receivedMs: number,
  ): Promise<{ ok: true } | StorageFailure>;
  /**
   * A school object: one message for its school's topic — of a bus (stamped again: the buses' sequences are their
   * own), of a job or of an HTTP route (not stamped yet) — stamped in the school's own sequence and sent to the
   * topic's links.
   */
  publishToTopic(message: TopicMessage): Promise<void>;
  /**
   * A bus object: the "trip not started" notices of one of its bus's trips (the lateness job), stored and published
   * on the trip's topic by the object's live side, in the topic's sequence. Returns how many notices were new.
   */
  noticeTripNotStarted(busId: number, tripId: number): Promise<number>;
}

/** What a topic's owner needs of a message to publish it (its own sequencer stamps seq and ts). */
export type TopicMessage = Pick<LiveMessage, 'type' | 'topic' | 'data' | 'audience'>;

export const busObjectName = (busId: number) => String(busId);

/** The object that owns `school:<id>:violations` (the same class; the bus objects publish to it). */
export const schoolObjectName = (schoolId: number) => `school:${schoolId}`;
