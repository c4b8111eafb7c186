// School topics on Workers. `school:<id>:violations` is owned by the school's object (a BusObject named
// `schoolObjectName(id)`), which stamps every message in the topic's one sequence and sends it to the topic's links
// — so seq and resume work as on Node, whoever published. This publisher is what the Worker's other publishers hand
// their school-topic messages to: a bus object's live side (its violations), the Cron Trigger's jobs (the
// child-left-on-board alert, case reminders and escalations) and the HTTP app (the sweep route's alert). Node's
// publishers (liveAlertPublisher, liveCaseEventPublisher) build the messages on top of it unchanged.
import { type CaseDeadlineEvent, liveCaseEventPublisher } from '../../jobs/case-deadlines';
import { type LeftOnBoardAlert, liveAlertPublisher } from '../../jobs/sweep-deadlines';
import type { LiveMessageType, LivePublisher, PublishOptions, SeqTicket } from '../../live/messages';
import { parseTopic } from '../../live/topics';
import type { Logger } from '../../logging';
import { type BusObjectRpc, schoolObjectName, type TopicMessage } from './bus-object-rpc';
import type { DurableObjectNamespace } from './cf';

export class SchoolTopicPublisher implements LivePublisher {
  /** messages go one after another, in the order they were published */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: DurableObjectNamespace<BusObjectRpc>,
    private readonly log: Logger,
    /** told of every send (a Durable Object or a Worker keeps itself alive until it is done: waitUntil) */
    private readonly pending?: (send: Promise<void>) => void,
  ) {}

  /** Sends a school topic's message to the school's object; false (nothing sent) for any other topic. */
  send(message: TopicMessage): boolean {
    const topic = parseTopic(message.topic);
    if (topic?.kind !== 'schoolViolations') return false;
    const stub = this.bus.get(this.bus.idFromName(schoolObjectName(topic.schoolId)));
    this.tail = this.tail
      .then(() => stub.publishToTopic(message))
      .catch((err) => this.log.warn('school topic publish failed', { topic: message.topic, error: String(err) }));
    this.pending?.(this.tail);
    return true;
  }

  publish(topic: string, type: LiveMessageType, data: unknown, opts: PublishOptions = {}): void {
    if (!this.send(opts.audience ? { type, topic, data, audience: opts.audience } : { type, topic, data }))
      this.log.warn('not a school topic: message dropped', { topic, type });
  }

  /** Only a topic's owner hands out places in its sequence (stored notices); a school topic has none. */
  reserve(topic: string): SeqTicket {
    throw new Error(`no reserved places on ${topic} outside its owner`);
  }

  /** Resolves once every message published so far reached the school's object (or failed and was logged). */
  settled(): Promise<void> {
    return this.tail;
  }
}

/**
 * The jobs' and the sweep route's live hooks on Workers: the same messages as Node's hub gets, sent to the school's
 * object; each call resolves once the school's object has published it.
 */
export function schoolTopicHooks(publisher: SchoolTopicPublisher): {
  publishAlert: (alert: LeftOnBoardAlert) => Promise<void>;
  publishCaseEvent: (event: CaseDeadlineEvent) => Promise<void>;
} {
  const alert = liveAlertPublisher(publisher);
  const caseEvent = liveCaseEventPublisher(publisher);
  return {
    publishAlert: (a) => {
      alert(a);
      return publisher.settled();
    },
    publishCaseEvent: (e) => {
      caseEvent(e);
      return publisher.settled();
    },
  };
}
