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
   * A school object: one message of a bus for its school's topic, stamped again in the school's own sequence (the
   * buses' sequences are their own) and sent to the topic's links.
   */
  publishToTopic(message: LiveMessage): Promise<void>;
}

export const busObjectName = (busId: number) => String(busId);

/** The object that owns `school:<id>:violations` (the same class; the bus objects publish to it). */
export const schoolObjectName = (schoolId: number) => `school:${schoolId}`;
