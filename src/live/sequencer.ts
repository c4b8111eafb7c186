// Per-topic sequence numbers. A reserved place (a notice being stored) holds back later messages of the same topic
// until it is published or cancelled, so every client sees a topic's messages in seq order and "the last seq I
// received" is a sound resume point. Seqs start from the clock (ms × 1000) so they keep growing across restarts.
import type { LiveMessage, LiveMessageType, PublishOptions, SeqTicket } from './messages';

interface Slot {
  seq: number;
  state: 'pending' | 'ready' | 'cancelled';
  /** Cancelled by the timeout, not by its owner: a publish that comes later still goes out (late, not lost). */
  timedOut?: boolean;
  message?: LiveMessage;
  timer?: ReturnType<typeof setTimeout>;
}

interface TopicSeq {
  next: number;
  slots: Slot[];
}

export interface SequencerOptions {
  now: () => number;
  emit: (message: LiveMessage) => void;
  /** A reservation not resolved within this time is cancelled (a stuck insert must not stall the topic). */
  reserveTimeoutMs?: number;
  onTimeout?: (topic: string, seq: number) => void;
}

const MAX_TOPICS = 100_000;

export class TopicSequencer {
  private readonly topics = new Map<string, TopicSeq>();
  private readonly reserveTimeoutMs: number;

  constructor(private readonly opts: SequencerOptions) {
    this.reserveTimeoutMs = opts.reserveTimeoutMs ?? 10_000;
  }

  /** The last seq handed out on a topic (undefined when the topic has not been used in this process). */
  current(topic: string): number | undefined {
    const t = this.topics.get(topic);
    return t ? t.next - 1 : undefined;
  }

  publish(topic: string, type: LiveMessageType, data: unknown, opts: PublishOptions = {}): LiveMessage {
    const t = this.topic(topic);
    const message = this.stamp(topic, t.next++, type, data, opts);
    if (t.slots.length === 0) this.opts.emit(message);
    else t.slots.push({ seq: message.seq, state: 'ready', message });
    return message;
  }

  reserve(topic: string): SeqTicket {
    const t = this.topic(topic);
    const slot: Slot = { seq: t.next++, state: 'pending' };
    t.slots.push(slot);
    slot.timer = setTimeout(() => {
      if (slot.state !== 'pending') return;
      this.opts.onTimeout?.(topic, slot.seq);
      slot.timedOut = true;
      this.resolve(topic, slot, 'cancelled');
    }, this.reserveTimeoutMs);
    slot.timer.unref?.();
    return {
      topic,
      seq: slot.seq,
      publish: (type, data, opts = {}) => {
        if (slot.state === 'pending') {
          slot.message = this.stamp(topic, slot.seq, type, data, opts);
          this.resolve(topic, slot, 'ready');
          return slot.seq;
        }
        // The reservation timed out (a slow insert) and the messages behind it went on: the notice is stored all
        // the same, so it goes out now, once, in a new place at the end of the topic (clients skip seqs they are
        // past). The caller records the seq it got.
        if (!slot.timedOut || slot.message) return undefined;
        slot.message = this.publish(topic, type, data, opts);
        return slot.message.seq;
      },
      cancel: () => {
        if (slot.state === 'pending') this.resolve(topic, slot, 'cancelled');
      },
    };
  }

  /** Reservations still open (tests, diagnostics). */
  pendingCount(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.slots.filter((s) => s.state === 'pending').length;
    return n;
  }

  private resolve(topic: string, slot: Slot, state: 'ready' | 'cancelled') {
    clearTimeout(slot.timer);
    slot.state = state;
    const t = this.topics.get(topic);
    if (!t) return;
    while (t.slots.length && t.slots[0]!.state !== 'pending') {
      const head = t.slots.shift()!;
      if (head.state === 'ready' && head.message) this.opts.emit(head.message);
    }
  }

  private topic(topic: string): TopicSeq {
    let t = this.topics.get(topic);
    if (!t) {
      if (this.topics.size >= MAX_TOPICS) {
        for (const [k, v] of this.topics) {
          if (v.slots.length === 0) {
            this.topics.delete(k);
            break;
          }
        }
      }
      t = { next: Math.floor(this.opts.now()) * 1000 + 1, slots: [] };
      this.topics.set(topic, t);
    }
    return t;
  }

  private stamp(topic: string, seq: number, type: LiveMessageType, data: unknown, opts: PublishOptions): LiveMessage {
    return opts.audience
      ? { type, topic, seq, ts: this.opts.now(), data, audience: opts.audience }
      : { type, topic, seq, ts: this.opts.now(), data };
  }
}
