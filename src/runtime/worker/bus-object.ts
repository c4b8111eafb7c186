// BusObject: the Durable Object of one bus (SQLite-backed, `idFromName(String(busId))`). It hosts the bus's
// BusLane unchanged — every input of the bus, in order, one at a time — with the lane's environment wired to
// PostgreSQL through Hyperdrive (the same statements as Node) and the engine checkpoint in the object's storage.
// Its alarm is the bus's clock: while the bus is on an active trip it ticks the engine (device offline, fatigue).
// The same class, named `school:<id>`, owns a school's violations topic (publishToTopic); the Cron Trigger's jobs
// reach a bus object for its trips' "not started" notices (noticeTripNotStarted).
import { DurableObject } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import type { DeviceEvent, Fix } from '../../core/fix';
import { TopicSequencer } from '../../live/sequencer';
import { LiveService } from '../../live/service';
import { parseTopic } from '../../live/topics';
import { createLogger, type Logger } from '../../logging';
import { BusLane, type LaneOutput } from '../../pipeline/bus-lane';
import { storeDeviceEvents } from '../../pipeline/ingest';
import { type DeviceInfo, StorageUnavailableError } from '../../pipeline/types';
import type { Database } from '../../store/db';
import { createPostgresDatabase } from '../../store/postgres-db';
import { trips } from '../../store/schema';
import { type BusObjectRpc, type StorageFailure, type SubmitReply, type TopicMessage } from './bus-object-rpc';
import type { CfWebSocket, DurableObjectState } from './cf';
import type { WorkerEnv } from './env';
import { ObjectFanout } from './object-live';
import { objectLaneEnv, type ObjectLaneEnv } from './object-lane-env';
import { SchoolTopicPublisher } from './school-topics';

const BUS_ID_KEY = 'busId';
const LAST_SEEN_FLUSH_MS = 5000;

function failure(err: unknown): StorageFailure {
  if (err instanceof StorageUnavailableError)
    return { ok: false, message: err.message, retryAfterS: err.retryAfterS, reason: err.reason };
  return { ok: false, message: String(err), retryAfterS: 5, reason: 'down' };
}

interface Hosted {
  busId: number;
  database: Database;
  lane: BusLane;
  laneEnv: ObjectLaneEnv;
  /** the live side (Node's LiveService): reads the lane output, publishes to the links of the live sessions */
  live: LiveService;
}

export class BusObject extends DurableObject<WorkerEnv> implements BusObjectRpc {
  private hosted?: Hosted;
  private readonly log: Logger;
  /** the alarm is known to be set (no storage read per input) */
  private alarmSet = false;
  private lastSeenFlushMs = 0;
  /** the lane output's readers in this object (the live side) */
  private readonly outputListeners: ((out: LaneOutput) => void)[] = [];
  private readonly fanout: ObjectFanout;
  /** as a school object: the sequence of its topic */
  private schoolSequencer?: TopicSequencer;
  /** as a bus object: messages for the school's topic, sent to the school's object one after another */
  private readonly schoolTopics: SchoolTopicPublisher;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.log = createLogger({ level: env.LOG_LEVEL ?? 'info' });
    this.fanout = new ObjectFanout(ctx);
    this.schoolTopics = new SchoolTopicPublisher(env.BUS, this.log, (send) => ctx.waitUntil(send));
  }

  private get tickMs(): number {
    const s = Number(this.env.TICK_INTERVAL_S ?? 60);
    return (Number.isFinite(s) && s > 0 ? s : 60) * 1000;
  }

  /** The bus's lane, created on the first input after the object (re)started. */
  private open(busId: number): Hosted {
    if (this.hosted) {
      if (this.hosted.busId !== busId) throw new Error(`bus object of bus ${this.hosted.busId} asked for bus ${busId}`);
      return this.hosted;
    }
    // Hyperdrive pools the server connections; the object keeps a small client for its lifetime.
    const database = createPostgresDatabase({ url: this.env.HYPERDRIVE.connectionString, maxConnections: 3 });
    const laneEnv = objectLaneEnv({
      database,
      storage: this.ctx.storage,
      log: this.log,
      now: Date.now,
      emit: (out) => {
        for (const l of this.outputListeners) l(out);
      },
      listening: () => this.outputListeners.length > 0,
    });
    const lane = new BusLane(busId, laneEnv.env);
    // No session is held here (the Worker holds them), so no credential timer keeps the object from hibernating.
    const live = new LiveService({
      database,
      log: this.log,
      now: Date.now,
      fanout: this.fanout,
      credentialChecks: false,
    });
    live.attach({ ingest: { lanes: { onOutput: (l) => this.outputListeners.push(l) } } });
    // Violations for `school:<id>:violations` go to the school's object, in this bus's order.
    this.fanout.forward = (m) => this.schoolTopics.send(m);
    this.hosted = { busId, database, lane, laneEnv, live };
    void this.ctx.storage.put(BUS_ID_KEY, busId);
    return this.hosted;
  }

  async submitFixes(
    busId: number,
    device: DeviceInfo,
    fixes: Fix[],
    receivedMs: number,
    refuseWhenFull: boolean,
  ): Promise<SubmitReply> {
    const h = this.open(busId);
    if (refuseWhenFull && h.laneEnv.writer.full)
      return failure(new StorageUnavailableError('position queue full', h.laneEnv.writer.retryAfterS(), 'full'));
    try {
      const result = await h.lane.submitFixes(device, fixes, receivedMs);
      this.afterInput(h);
      return { ok: true, result };
    } catch (err) {
      return failure(err);
    }
  }

  async submitEvents(
    busId: number,
    device: DeviceInfo,
    events: DeviceEvent[],
    receivedMs: number,
  ): Promise<{ ok: true } | StorageFailure> {
    const h = this.open(busId);
    try {
      await storeDeviceEvents(h.database, device, events, receivedMs);
    } catch (err) {
      return failure(err);
    }
    h.laneEnv.env.seen(device, receivedMs);
    // The engine takes them in the bus's order; the device's answer does not wait for it (as on Node).
    if (events.length) void h.lane.submitEvents(device, events, receivedMs);
    this.afterInput(h);
    return { ok: true };
  }

  /** Arms the clock and writes last-seen times now and then (neither delays the device's answer). */
  private afterInput(h: Hosted): void {
    if (!this.alarmSet) {
      this.alarmSet = true;
      this.ctx.waitUntil(this.armAlarm());
    }
    const nowMs = Date.now();
    if (nowMs - this.lastSeenFlushMs >= LAST_SEEN_FLUSH_MS) {
      this.lastSeenFlushMs = nowMs;
      this.ctx.waitUntil(h.laneEnv.flushSeen());
    }
  }

  private async armAlarm(): Promise<void> {
    try {
      if ((await this.ctx.storage.getAlarm()) == null) await this.ctx.storage.setAlarm(Date.now() + this.tickMs);
    } catch (err) {
      this.alarmSet = false;
      this.log.error('could not set the bus clock alarm', { error: String(err) });
    }
  }

  async publishToTopic(message: TopicMessage): Promise<void> {
    this.schoolSequencer ??= new TopicSequencer({ now: Date.now, emit: (m) => this.fanout.publish(m) });
    this.schoolSequencer.publish(
      message.topic,
      message.type,
      message.data,
      message.audience && { audience: message.audience },
    );
  }

  /**
   * The lateness job found a trip of this bus not started: the guardians' notices are stored and published by this
   * object's live side, on the trip's topic, in the sequence its links carry (as Node's live.notices does).
   */
  async noticeTripNotStarted(busId: number, tripId: number): Promise<number> {
    const h = this.open(busId);
    return (await h.live.notices.noticeTripNotStarted(tripId)).length;
  }

  /**
   * A live session's link for one topic (`/live?busId=&topic=`, WebSocket upgrade): a topic of this bus, or, in a
   * school object, the school's violations.
   */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const busId = Number(url.searchParams.get('busId'));
    const topic = url.searchParams.get('topic');
    if (url.pathname !== '/live' || request.headers.get('upgrade') !== 'websocket' || !topic)
      return new Response('not found', { status: 404 });
    if (parseTopic(topic)?.kind === 'schoolViolations') return this.fanout.accept(topic); // a school object
    if (!(busId > 0)) return new Response('not found', { status: 404 });
    this.open(busId);
    return this.fanout.accept(topic);
  }

  /** Links carry messages one way (object → session); anything the session sends is ignored. */
  webSocketMessage(_ws: CfWebSocket, _message: unknown): void {}

  webSocketClose(ws: CfWebSocket, code: number): void {
    this.fanout.closed(ws, code);
  }

  /** The clock tick of the bus: every active trip of the bus gets a tick through the lane, in order with its fixes. */
  async alarm(): Promise<void> {
    const busId = this.hosted?.busId ?? (await this.ctx.storage.get<number>(BUS_ID_KEY));
    if (busId == null) return;
    const h = this.open(busId);
    const nowMs = Date.now();
    const active = await h.database.db
      .select({ id: trips.id })
      .from(trips)
      .where(and(eq(trips.busId, busId), eq(trips.status, 'active')));
    this.log.debug('bus tick', { busId, activeTrips: active.length });
    for (const t of active) {
      try {
        await h.lane.submitToTrip(t.id, [{ type: 'tick', nowMs }]);
      } catch (err) {
        this.log.error('engine tick failed', { busId, tripId: t.id, error: String(err) });
      }
    }
    await h.laneEnv.flushSeen();
    if (active.length) await this.ctx.storage.setAlarm(Date.now() + this.tickMs);
    else this.alarmSet = false; // the next input arms it again
  }
}
