// The live service: the hub wired to the bus lanes. It reads the lane output only (src/pipeline/bus-lane.ts): the
// position with the trip the engine placed the bus on becomes `position` messages; the engine's events become
// `trip`, `eta`, `violation` messages and guardian notices. Nothing about trip, stop or progress is derived here.
// Runtime-neutral: the transport (src/runtime/node/live-ws.ts on Node) only moves text between sockets and the hub.
import { and, desc, eq, inArray, ne } from 'drizzle-orm';
import { type Authenticator, createAuthenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import type { EngineEvent, ProgressEvent, StopEvent, ViolationEvent } from '../core/events';
import { latestProgressOnly } from './latest-progress';
import type { Logger } from '../logging';
import { type EngineBatch, engineBatchOf, type LaneOutput, type LanePosition } from '../pipeline/bus-lane';
import type { LoadedTrip } from '../pipeline/trip-context';
import type { Database } from '../store/db';
import { stopEvents, trips } from '../store/schema';
import { authorizeTopic } from './access';
import { type EtaStop, learnRouteProfile, type RouteProfile, scheduledInstants, type StopEtaResult } from './eta';
import type { LiveFanout } from './fanout';
import { createHub, type HubLimits, type LiveHub } from './hub';
import type { LiveMessage } from './messages';
import {
  approachingNotices,
  etaLateNotices,
  type NoticeDraft,
  schoolArrivedNotices,
  stopNotices,
  tripStartedNotices,
} from './notice-rules';
import { createNoticeService, type NoticeService } from './notices';
import { busTopic, schoolViolationsTopic, type Topic, tripTopic } from './topics';
import { advanceTripEta, createTripEta, type PublishedEta, type TripEtaState, withProfile } from './trip-eta';

/** Waits before the second, third and fourth try of a trip's notice reads and writes (~5 s in all). */
const NOTICE_RETRY_MS = [250, 1000, 4000];
/** Notices of events at most this old are made up once the database answers again; older ones stay untold. */
const MAKE_UP_NOTICES_MS = 5 * 60_000;
/** At most this many of a trip's events wait for their notices. */
const MAX_UNTOLD_EVENTS = 200;

export interface LiveOptions {
  database: Database;
  log: Logger;
  now: () => number;
  fanout?: LiveFanout;
  /** Token authentication shared with the HTTP API (one cache, one revocation path); made here when not given. */
  auth?: Authenticator;
  limits?: Partial<HubLimits>;
  /** an ETA is pushed again when any stop's estimate moves by more than this */
  etaPushThresholdS?: number;
  /** a late notice when the ETA to a child's stop is later than its schedule by more than this */
  lateMarginS?: number;
  /** how many earlier trips of a route the segment speeds are learned from */
  historyTrips?: number;
  /** learned route profiles are reloaded after this time */
  profileTtlMs?: number;
  /**
   * Re-check open sessions' credentials on a timer (default true). Off where this service only publishes and holds
   * no client sessions (a Workers bus object, which must have no timer running to hibernate).
   */
  credentialChecks?: boolean;
}

/** Where lane output comes from (Node: the Lanes of the ingest or engine runner). */
export interface LaneOutputSource {
  onOutput(listener: (out: LaneOutput) => void): void;
}

/** A bus's position as the live side publishes it: the lane's, with the trip the engine placed the bus on. */
export type PositionData = LanePosition;

export interface EtaStopData {
  stopId: string;
  name: string | null;
  etaMs: number;
  remainingM: number | null;
  scheduledMs: number | null;
  /** ETA minus schedule, seconds (positive = late) */
  delayS: number | null;
}

export interface EtaData {
  tripId: number;
  busId: number;
  source: 'live' | 'timetable';
  /** the stop the bus is dwelling at (live only): it stays first in `stops` until the bus departs */
  atStopId?: string | null;
  progressM: number | null;
  routeLengthM: number | null;
  computedMs: number;
  stops: EtaStopData[];
}

interface TripTrack {
  tripId: number;
  busId: number;
  schoolId: number;
  routeId: number;
  stops: (EtaStop & { name: string | null })[];
  /** stop id → its name, for the ETA messages */
  stopNames: Map<string, string | null>;
  routeLengthM: number;
  scheduledMs: Map<string, number>;
  plannedStartMs: number;
  /** the trip's ETA tracking (./trip-eta.ts): advanced by stop and progress events */
  eta: TripEtaState;
  lastEta?: EtaData;
  ended: boolean;
  /** the trip's batches, in order (the first waits for the route profile) */
  tail: Promise<void>;
  /** the trip's notices, in order: riders read, notices stored */
  noticeTail: Promise<void>;
  /** the last notice work failed every try: the next tries once */
  noticesFailing: boolean;
  /** events whose notices failed to be made, made up at the next success while recent */
  untold: EngineEvent[];
  touchedMs: number;
}

const MAX_TRACKS = 5000;

export class LiveService {
  readonly hub: LiveHub;
  readonly notices: NoticeService;
  readonly auth: Authenticator;
  private readonly buses = new Map<number, { position?: PositionData; tripId: number | null }>();
  private readonly tracks = new Map<number, TripTrack>();
  private readonly profiles = new Map<number, { loadedMs: number; profile: Promise<RouteProfile | undefined> }>();
  private readonly etaPushThresholdS: number;
  private readonly lateMarginS: number;

  constructor(private readonly opts: LiveOptions) {
    this.etaPushThresholdS = opts.etaPushThresholdS ?? 10;
    this.lateMarginS = opts.lateMarginS ?? 300;
    this.notices = createNoticeService({ database: opts.database, log: opts.log, now: opts.now });
    this.auth = opts.auth ?? createAuthenticator({ database: opts.database, now: opts.now, log: opts.log });
    this.hub = createHub({
      log: opts.log,
      now: opts.now,
      fanout: opts.fanout,
      limits: opts.limits,
      authenticate: (token) => this.auth.authenticate(token),
      validTokens: opts.credentialChecks === false ? undefined : (ids) => this.auth.stillValid(ids),
      onRevocation: (r) => this.auth.evict(r),
      authorize: (p, topic) => authorizeTopic(opts.database.db, p, topic, opts.now()),
      replay: (p, topic, afterSeq) => this.replay(p, topic, afterSeq),
      onDelivered: (m) => {
        const id = (m.data as { id?: unknown }).id;
        if (m.type === 'notice' && typeof id === 'number') this.notices.markDelivered(id);
      },
    });
    this.notices.setPublisher(this.hub);
    // A revocation here closes the sessions everywhere (through the fan-out) and evicts every instance's cache.
    this.auth.onRevoke((r) => this.hub.revoke(r));
  }

  /**
   * Wires the lanes (the engine runner's once it is attached to the ingest; else the ingest's; on Workers the one
   * lane of a bus object).
   */
  attach(sources: { ingest?: { lanes: LaneOutputSource }; runner?: { lanes: LaneOutputSource } }): void {
    const lanes = sources.runner?.lanes ?? sources.ingest?.lanes;
    lanes?.onOutput((out) => this.onLaneOutput(out));
  }

  authenticate(token: string): Promise<Principal | undefined> {
    return this.auth.authenticate(token);
  }

  authorize(p: Principal, topic: Topic) {
    return authorizeTopic(this.opts.database.db, p, topic, this.opts.now());
  }

  positionOfBus(busId: number): PositionData | undefined {
    return this.buses.get(busId)?.position;
  }

  /** Current position of the bus on a trip (undefined when the trip is not running). */
  positionOfTrip(tripId: number): PositionData | undefined {
    const track = this.tracks.get(tripId);
    if (!track || track.ended) return undefined;
    const p = this.buses.get(track.busId);
    return p?.position && p.tripId === tripId ? p.position : undefined;
  }

  /** The latest live ETA of a running trip (undefined before it starts: callers fall back to the timetable). */
  etaOfTrip(tripId: number): EtaData | undefined {
    const t = this.tracks.get(tripId);
    return t && !t.ended ? t.lastEta : undefined;
  }

  /** Waits until every queued event is handled (tests, shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const tracks = [...this.tracks.values()];
      const tails = tracks.map((t) => [t.tail, t.noticeTail] as const);
      await Promise.all(tails.flat());
      const now = [...this.tracks.values()];
      if (now.length === tracks.length && now.every((t, k) => t.tail === tails[k]![0] && t.noticeTail === tails[k]![1]))
        break;
    }
    await this.notices.flushDelivered();
  }

  async close(): Promise<void> {
    await this.idle();
    await this.hub.close();
  }

  // ---- lane output ----

  private onLaneOutput(out: LaneOutput): void {
    let bus = this.buses.get(out.busId);
    if (!bus) this.buses.set(out.busId, (bus = { tripId: null }));
    const position = out.position;
    if (position) {
      bus.position = position;
      bus.tripId = position.tripId;
      this.hub.publish(busTopic(out.busId), 'position', position);
      if (position.tripId != null) this.hub.publish(tripTopic(position.tripId), 'position', position);
    }
    const batch = engineBatchOf(out);
    if (!batch) return;
    const track = this.track(batch);
    // Violations go out at once; the rest waits for the trip's riders and route profile, in order.
    for (const e of batch.events)
      if (e.type.startsWith('violation.')) this.publishViolation(batch, e as ViolationEvent);
    const events = latestProgressOnly(batch.events.filter((e) => !e.type.startsWith('violation.')));
    if (events.length === 0) return;
    track.tail = track.tail
      .then(() => this.handleTripEvents(track, events))
      .catch((err) =>
        this.opts.log.error('live trip events failed', {
          tripId: track.tripId,
          error: String(err),
          stack: (err as Error).stack,
        }),
      );
  }

  private track(batch: EngineBatch): TripTrack {
    let t = this.tracks.get(batch.tripId);
    if (t) {
      t.touchedMs = this.opts.now();
      return t;
    }
    if (this.tracks.size >= MAX_TRACKS) this.evictTracks();
    const loaded: LoadedTrip = batch.trip;
    const ctx = loaded.ctx;
    const stops = ctx.route.stops.map((s) => ({ id: s.id, alongM: s.alongM, name: s.name ?? null }));
    t = {
      tripId: batch.tripId,
      busId: batch.busId,
      schoolId: batch.schoolId,
      routeId: batch.routeId,
      stops,
      stopNames: new Map(stops.map((s) => [s.id, s.name])),
      routeLengthM: ctx.route.geometry.lengthM,
      scheduledMs: scheduledInstants(
        loaded.stopSchedule,
        ctx.plannedStartMs ?? batch.trip.loadedMs,
        ctx.utcOffsetMin ?? 480,
      ),
      plannedStartMs: ctx.plannedStartMs ?? batch.trip.loadedMs,
      eta: createTripEta(
        stops.map((s) => ({ id: s.id, alongM: s.alongM })),
        { pushThresholdS: this.etaPushThresholdS },
      ),
      ended: false,
      tail: Promise.resolve(),
      noticeTail: Promise.resolve(),
      noticesFailing: false,
      untold: [],
      touchedMs: this.opts.now(),
    };
    const track = t;
    t.tail = this.routeProfile(t.routeId, t.tripId, t.stops).then((p) => {
      track.eta = withProfile(track.eta, p);
    });
    this.tracks.set(batch.tripId, t);
    return t;
  }

  private evictTracks(): void {
    const ended = [...this.tracks.values()].filter((t) => t.ended).sort((a, b) => a.touchedMs - b.touchedMs);
    const victims = ended.length ? ended : [...this.tracks.values()].sort((a, b) => a.touchedMs - b.touchedMs);
    for (const v of victims.slice(0, Math.max(1, victims.length >> 2))) this.tracks.delete(v.tripId);
  }

  /**
   * A batch of a trip's events, in order. Its `trip` and `eta` messages go out now; the guardians' notices it calls
   * for are made on the trip's notice chain, which reads the riders and stores (a slow or failing database delays
   * notices, never the messages).
   */
  private handleTripEvents(track: TripTrack, events: EngineEvent[]): void {
    const topic = tripTopic(track.tripId);
    const tripMessage = (e: EngineEvent, extra: Record<string, unknown> = {}) => {
      const data = { event: e.type, tripId: track.tripId, busId: track.busId, timeMs: e.timeMs, ...extra };
      this.hub.publish(topic, 'trip', data);
      this.hub.publish(busTopic(track.busId), 'trip', data);
    };
    const told: EngineEvent[] = [];
    for (const e of events) {
      switch (e.type) {
        case 'trip.started':
          tripMessage(e, { mode: e.mode ?? null });
          told.push(e);
          break;
        case 'trip.progress':
          this.onProgress(track, e);
          break;
        case 'stop.arrived':
        case 'stop.departed':
        case 'stop.missed':
          this.onStop(track, e);
          tripMessage(e, { stopId: e.stopId, sequence: e.sequence, name: e.name ?? null, dwellS: e.dwellS ?? null });
          told.push(e);
          break;
        case 'trip.arrivedAtSchool':
          tripMessage(e, { stopId: e.stopId });
          told.push(e);
          break;
        case 'trip.ended': {
          tripMessage(e, { mode: e.mode ?? null });
          track.ended = true;
          const bus = this.buses.get(track.busId);
          if (bus?.tripId === track.tripId) bus.tripId = null;
          break;
        }
        default:
          break;
      }
    }
    // Approaching and late come from the latest live ETA (as of this batch), for stops still ahead.
    const eta = !track.ended && track.lastEta?.source === 'live' ? track.lastEta : undefined;
    if (told.length === 0 && !eta) return;
    track.noticeTail = track.noticeTail
      .then(() => this.tripNotices(track, told, eta))
      .catch((err) =>
        this.opts.log.error('live trip notices failed', {
          tripId: track.tripId,
          error: String(err),
          stack: (err as Error).stack,
        }),
      );
  }

  /**
   * A read or write of a trip's notices, tried again after a failure (the database busy or briefly away) while the
   * trip's later notices wait, so none overtakes. Once a trip's notices have failed every try, the next batch tries
   * once (an outage must not pile up waits) until one succeeds, and makes up the recent notices that failed.
   * Undefined when it failed (logged).
   */
  private async retrying<T>(what: string, track: TripTrack, f: () => Promise<T>): Promise<{ value: T } | undefined> {
    const failing = track.noticesFailing;
    const waits = failing ? [] : NOTICE_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const value = await f();
        if (failing) this.opts.log.info('live trip notices resumed', { what, tripId: track.tripId });
        track.noticesFailing = false;
        return { value };
      } catch (err) {
        const waitMs = waits[attempt];
        if (waitMs === undefined) {
          track.noticesFailing = true;
          // Logged once per outage of a trip (its batches keep failing until the database answers).
          if (failing) return undefined;
          this.opts.log.error('live trip notices not sent', {
            what,
            tripId: track.tripId,
            attempts: attempt + 1,
            makeUpWithinS: MAKE_UP_NOTICES_MS / 1000,
            error: String(err),
          });
          return undefined;
        }
        this.opts.log.warn('live trip notices: retrying', { what, tripId: track.tripId, waitMs, error: String(err) });
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /** The notices a batch of a trip's events calls for, stored (and so published) once per dedupe key. */
  private async tripNotices(track: TripTrack, batch: EngineEvent[], eta: EtaData | undefined): Promise<void> {
    // Events whose notices failed earlier come first: once the database answers again, their notices are made up
    // (those still recent; each dedupe key is stored once, so one told before is not told again).
    const oldestMs = this.opts.now() - MAKE_UP_NOTICES_MS;
    const events = track.untold.length ? [...track.untold.filter((e) => e.timeMs >= oldestMs), ...batch] : batch;
    track.untold = [];
    const keep = () => (track.untold = events.slice(-MAX_UNTOLD_EVENTS));
    const read = await this.retrying('riders', track, () => this.notices.tripRiders(track.tripId));
    if (!read) return void keep();
    if (!read.value) return; // the trip is gone
    const riders = read.value;
    const info = riders.info;
    const list = riders.riders;
    const drafts: NoticeDraft[] = [];
    for (const e of events) {
      switch (e.type) {
        case 'trip.started':
          drafts.push(...tripStartedNotices(info, list, e.timeMs));
          break;
        case 'stop.arrived': {
          // With sparse reports the bus may reach a stop without any ETA inside the guardian's window: the
          // approaching notice still goes out (once, by its dedupe key) before the arrival.
          const at = e.arrivedMs ?? e.timeMs;
          drafts.push(
            ...approachingNotices(
              info,
              list.filter((r) => r.stopId === e.stopId),
              new Map([[e.stopId, { etaMs: at, remainingM: 0 }]]),
              at,
            ),
            ...stopNotices(e.type, info, list, e.stopId, at),
          );
          break;
        }
        case 'stop.departed': {
          const at = e.departedMs ?? e.timeMs;
          drafts.push(...stopNotices(e.type, info, list, e.stopId, at));
          const notBoarded = await this.retrying('not boarded', track, () =>
            this.notices.notBoardedDrafts(info, list, e.stopId, at),
          );
          drafts.push(...(notBoarded?.value ?? []));
          break;
        }
        case 'trip.arrivedAtSchool':
          drafts.push(...schoolArrivedNotices(info, list, e.stopId, e.timeMs));
          break;
        default:
          break;
      }
    }
    if (eta) {
      const etas = new Map(eta.stops.map((s) => [s.stopId, { etaMs: s.etaMs, remainingM: s.remainingM ?? Infinity }]));
      drafts.push(...approachingNotices(info, list, etas, eta.computedMs));
      // Late is about stops still ahead, not the one the bus is at.
      if (eta.atStopId) etas.delete(eta.atStopId);
      const told = await this.retrying('late so far', track, () => this.notices.lateSoFar(track.tripId));
      if (told) drafts.push(...etaLateNotices(info, list, etas, track.scheduledMs, this.lateMarginS, told.value));
    }
    // Storing is idempotent (each dedupe key once): a retry cannot tell a guardian twice.
    if (drafts.length && !(await this.retrying('store', track, () => this.notices.store(drafts)))) keep();
  }

  private onStop(track: TripTrack, e: StopEvent): void {
    track.eta = advanceTripEta(track.eta, e);
    // A stop leaves the ETA list only once departed or passed: the stop the bus is at stays (due now).
    if (track.lastEta && track.eta.published) track.lastEta = this.liveEta(track, track.eta.published);
  }

  private onProgress(track: TripTrack, e: ProgressEvent): void {
    track.eta = advanceTripEta(track.eta, e);
    const published = track.eta.published;
    if (!published) return;
    track.lastEta = this.liveEta(track, published);
    if (track.eta.pushed) this.hub.publish(tripTopic(track.tripId), 'eta', track.lastEta);
  }

  private liveEta(track: TripTrack, published: PublishedEta): EtaData {
    const data = this.etaData(track, published.stops, 'live', published.computedMs, published.progressM);
    data.atStopId = published.atStopId;
    return data;
  }

  private etaData(
    track: TripTrack,
    results: StopEtaResult[],
    source: 'live' | 'timetable',
    computedMs: number,
    progressM: number | null,
  ): EtaData {
    return {
      tripId: track.tripId,
      busId: track.busId,
      source,
      progressM: progressM == null ? null : Math.round(progressM),
      routeLengthM: Math.round(track.routeLengthM),
      computedMs,
      stops: results.map((r) => {
        const scheduled = track.scheduledMs.get(r.stopId) ?? null;
        return {
          stopId: r.stopId,
          name: track.stopNames.get(r.stopId) ?? null,
          etaMs: Math.round(r.etaMs),
          remainingM: source === 'live' ? Math.round(r.remainingM) : null,
          scheduledMs: scheduled,
          delayS: scheduled == null ? null : Math.round((r.etaMs - scheduled) / 1000),
        };
      }),
    };
  }

  private publishViolation(batch: EngineBatch, e: ViolationEvent): void {
    this.hub.publish(schoolViolationsTopic(batch.schoolId), 'violation', {
      event: e.type,
      episodeId: e.id,
      kind: e.kind,
      severity: e.severity,
      status: e.status,
      busId: batch.busId,
      tripId: batch.tripId,
      routeId: batch.routeId,
      startMs: e.startMs,
      endMs: e.endMs ?? null,
      peakValue: e.peakValue ?? null,
      limit: e.limit ?? null,
      unit: e.unit ?? null,
      position: e.startPosition ?? null,
      timeMs: e.timeMs,
    });
  }

  // ---- history and resume ----

  private routeProfile(routeId: number, tripId: number, stops: EtaStop[]): Promise<RouteProfile | undefined> {
    const cached = this.profiles.get(routeId);
    if (cached && this.opts.now() - cached.loadedMs < (this.opts.profileTtlMs ?? 600_000)) return cached.profile;
    const profile = this.loadProfile(routeId, tripId, stops).catch((err) => {
      this.opts.log.warn('could not learn route speeds; ETA uses today’s pace only', { routeId, error: String(err) });
      return undefined;
    });
    this.profiles.set(routeId, { loadedMs: this.opts.now(), profile });
    return profile;
  }

  private async loadProfile(routeId: number, tripId: number, stops: EtaStop[]): Promise<RouteProfile> {
    const db = this.opts.database.db;
    const earlier = await db
      .select({ id: trips.id })
      .from(trips)
      .where(and(eq(trips.routeId, routeId), ne(trips.id, tripId), inArray(trips.status, ['completed', 'active'])))
      .orderBy(desc(trips.plannedStartAt))
      .limit(this.opts.historyTrips ?? 30);
    if (earlier.length === 0)
      return { segmentSpeedMps: stops.map(() => null), dwellS: stops.map(() => null), trips: 0 };
    const rows = await db
      .select()
      .from(stopEvents)
      .where(
        inArray(
          stopEvents.tripId,
          earlier.map((t) => t.id),
        ),
      );
    return learnRouteProfile(
      stops,
      rows.map((r) => ({
        tripId: r.tripId,
        stopId: String(r.stopId),
        kind: r.kind,
        timeMs: r.time.getTime(),
        dwellS: r.dwellS,
      })),
    );
  }

  private async replay(p: Principal, topic: Topic, afterSeq: number): Promise<LiveMessage[]> {
    if (topic.kind !== 'trip' || p.guardianId == null) return [];
    const missed = await this.notices.missedOnTopic(p.guardianId, topic.tripId, afterSeq);
    const name = tripTopic(topic.tripId);
    return missed.map((m) => ({
      type: 'notice',
      topic: name,
      seq: m.seq,
      ts: m.ts,
      data: m.data,
      audience: { guardianId: p.guardianId! },
    }));
  }
}

export function createLiveHub(opts: LiveOptions): LiveService {
  return new LiveService(opts);
}
