// Live message shapes shared by the hub, the notice service and the transports.

export const liveMessageTypes = ['position', 'eta', 'notice', 'trip', 'violation'] as const;
export type LiveMessageType = (typeof liveMessageTypes)[number];

/** A message on a topic, stamped by the topic's sequencer. `audience` limits delivery (a notice is for one guardian). */
export interface LiveMessage {
  type: LiveMessageType;
  topic: string;
  /** strictly increasing per topic (gaps possible); a client resumes a topic with the last seq it received */
  seq: number;
  /** server time, epoch ms */
  ts: number;
  data: unknown;
  audience?: { guardianId: number };
}

export interface PublishOptions {
  audience?: { guardianId: number };
}

/** A reserved place in a topic's sequence: messages after it wait until it is published or cancelled. */
export interface SeqTicket {
  readonly topic: string;
  readonly seq: number;
  /**
   * Sends the message in the reserved place and returns its seq: `seq`, or a later one when the reservation had
   * timed out (undefined when it was cancelled, or already used).
   */
  publish(type: LiveMessageType, data: unknown, opts?: PublishOptions): number | undefined;
  cancel(): void;
}

/** The publishing side of the hub. */
export interface LivePublisher {
  publish(topic: string, type: LiveMessageType, data: unknown, opts?: PublishOptions): void;
  reserve(topic: string): SeqTicket;
}

/** What goes on the wire for a topic message (the audience stays on the server). */
export function wireText(m: LiveMessage): string {
  return JSON.stringify({ type: m.type, topic: m.topic, seq: m.seq, ts: m.ts, data: m.data });
}
