// Guardian notices: drafted by the pure rules (notice-rules.ts), stored once per dedupe key (insert … on conflict
// do nothing), then published on the trip's topic for that guardian only. The seq the notice was published with
// is stored in its payload, so a client resuming a topic with its last seq gets exactly the notices it missed.
//
// Entry points for other features:
// - noticeBoarding({ tripId, studentId, boarded, timeMs }) — attendant boarding/alighting records;
// - noticeBusSubstituted(tripId, { previousBusId }) — the trips PATCH path when busId changes;
// - noticeTripNotStarted(tripId) — the scheduled job that finds trips not started 10 minutes after plan;
// - noticeTripCancelled(tripId) — the trips PATCH path when the status becomes cancelled;
// - notBoardedDrafts(…) and lateSoFar(tripId) — the live service, on a departure and on each ETA.
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Logger } from '../logging';
import type { Database } from '../store/db';
import {
  boardingRecords,
  buses,
  guardians,
  guardianStudents,
  notices,
  routes,
  stops,
  students,
  studentStops,
  trips,
} from '../store/schema';
import type { LivePublisher, SeqTicket } from './messages';
import {
  boardingNotices,
  busSubstitutedNotices,
  type Locale,
  type NoticeDraft,
  notBoardedNotices,
  notStartedNotices,
  type Rider,
  tripCancelledNotices,
  type TripInfo,
} from './notice-rules';
import type { NoticeKind } from './notice-text';
import { insertNotices, moveNoticeSeq, type StoredNotice } from '../store/repos/notices-repo';
import { tripTopic } from './topics';

export interface NoticeServiceOptions {
  database: Database;
  log: Logger;
  now: () => number;
  /** The live hub; without it notices are stored only (clients read them through REST or on resume). */
  publisher?: LivePublisher;
  /** How long a trip's riders are cached (registry edits reach notices within this time). */
  ridersTtlMs?: number;
}

export interface TripDetails extends TripInfo {
  routeId: number;
  busId: number;
  schoolId: number;
  plannedStartMs: number;
  status: string;
  /** the route's period ('morning': pick-up, children board; 'afternoon': drop-off) */
  period: string;
}

/** What a notice message carries (`data` of a `notice` message, and an item of the REST list). */
export interface NoticeData {
  id: number;
  kind: NoticeKind;
  tripId: number | null;
  /** the text in the guardian's language */
  text: string;
  textZh: string;
  textEn: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface BoardingNoticeInput {
  tripId: number;
  studentId: number;
  boarded: boolean;
  timeMs: number;
  /** where the child got on or off (stops.id), if known */
  stopId?: number | null;
}

type NoticeRow = typeof notices.$inferSelect;

/**
 * Web Push delivery of new notices: once set, the statement that stores notices also queues them in the push outbox
 * for every subscription of their guardians (src/store/repos/notices-repo.ts), so both commit together.
 */
export interface NoticeOutbox {
  /** called after a statement queued pushes */
  wake(): void;
}

export function noticeData(
  row: Pick<NoticeRow, 'id' | 'kind' | 'tripId' | 'textZh' | 'textEn' | 'payload' | 'createdAt'>,
  locale: Locale,
): NoticeData {
  return {
    id: row.id,
    kind: row.kind as NoticeKind,
    tripId: row.tripId,
    text: locale === 'en' ? row.textEn : row.textZh,
    textZh: row.textZh,
    textEn: row.textEn,
    payload: row.payload,
    createdAt: row.createdAt.toISOString(),
  };
}

const MAX_KNOWN_KEYS = 50_000;

export class NoticeService {
  private readonly riders = new Map<number, { loadedMs: number; info: TripDetails; riders: Rider[] }>();
  /** dedupe keys known to be stored: spares the database a refused insert on every progress event */
  private readonly known = new Set<string>();
  private readonly pendingDelivered = new Set<number>();
  private deliveredTimer?: ReturnType<typeof setTimeout>;
  private readonly ridersTtlMs: number;
  private outbox?: NoticeOutbox;
  /** per trip: guardian → the delay (s) of the last late notice told (loaded from storage once per trip) */
  private readonly lateTold = new Map<number, Map<number, number>>();

  constructor(private readonly opts: NoticeServiceOptions) {
    this.ridersTtlMs = opts.ridersTtlMs ?? 60_000;
  }

  setPublisher(publisher: LivePublisher): void {
    this.opts.publisher = publisher;
  }

  /** Every notice stored from now on is also queued in this outbox (Web Push). */
  setOutbox(outbox: NoticeOutbox): void {
    this.outbox = outbox;
  }

  /** Stores drafts (each dedupe key once, ever) and publishes the new ones. Returns the notices stored now. */
  async store(drafts: NoticeDraft[]): Promise<NoticeData[]> {
    const fresh = drafts.filter(
      (d, i) => !this.known.has(d.dedupeKey) && drafts.findIndex((o) => o.dedupeKey === d.dedupeKey) === i,
    );
    if (fresh.length === 0) return [];
    const tickets: (SeqTicket | undefined)[] = fresh.map((d) =>
      d.tripId != null ? this.opts.publisher?.reserve(tripTopic(d.tripId)) : undefined,
    );
    let inserted: StoredNotice[];
    const outbox = this.outbox;
    try {
      const result = await insertNotices(
        this.opts.database,
        fresh.map((d, i) => ({
          guardianId: d.guardianId,
          tripId: d.tripId,
          kind: d.kind,
          dedupeKey: d.dedupeKey,
          payload: tickets[i] ? { ...d.payload, topic: tickets[i]!.topic, seq: tickets[i]!.seq } : d.payload,
          textZh: d.textZh,
          textEn: d.textEn,
        })),
        { nowMs: this.opts.now(), queueForPush: outbox !== undefined },
      );
      inserted = result.stored;
      if (result.queued > 0) outbox?.wake();
    } catch (err) {
      for (const t of tickets) t?.cancel();
      throw err;
    }
    for (const r of inserted)
      if (r.kind === 'trip.late' && r.tripId != null && typeof r.payload.lateS === 'number')
        this.lateTold.get(r.tripId)?.set(r.guardianId, r.payload.lateS);
    if (this.known.size > MAX_KNOWN_KEYS) this.known.clear();
    for (const d of fresh) this.known.add(d.dedupeKey);
    const byKey = new Map(inserted.map((r) => [r.dedupeKey, r]));
    const out: NoticeData[] = [];
    const moved: [id: number, seq: number][] = [];
    fresh.forEach((d, i) => {
      const row = byKey.get(d.dedupeKey);
      const ticket = tickets[i];
      if (!row) {
        ticket?.cancel();
        return;
      }
      const data = noticeData(row, d.locale);
      out.push(data);
      const seq = ticket?.publish('notice', data, { audience: { guardianId: d.guardianId } });
      if (ticket && seq !== undefined && seq !== ticket.seq) moved.push([row.id, seq]);
    });
    // Published late, in a new place (a slow insert outlived its reservation): the stored copy follows, so a client
    // resuming the topic after that place still gets it.
    for (const [id, seq] of moved)
      await moveNoticeSeq(this.opts.database, id, seq).catch((err) =>
        this.opts.log.warn('could not record a late notice seq', { notice: id, error: String(err) }),
      );
    if (out.length)
      this.opts.log.info('notices stored', { count: out.length, kinds: [...new Set(out.map((n) => n.kind))] });
    return out;
  }

  /** Trip, bus plate and the guardians of the children riding it (cached for a minute). */
  async tripRiders(tripId: number): Promise<{ info: TripDetails; riders: Rider[] } | undefined> {
    const now = this.opts.now();
    const cached = this.riders.get(tripId);
    if (cached && now - cached.loadedMs < this.ridersTtlMs) return cached;
    // One prepared statement: the trip with its bus's plate, and its riders' guardians as JSON (read at every trip
    // start and once a minute per running trip).
    const [trip] = await this.opts.database.query<TripRidersRow>(TRIP_RIDERS_SQL, [tripId], { prepare: true });
    if (!trip) return undefined;
    const entry = {
      loadedMs: now,
      info: {
        tripId: trip.id,
        routeId: trip.routeId,
        busId: trip.busId,
        schoolId: trip.schoolId,
        plate: trip.plate,
        plannedStartMs: Number(trip.plannedStartMs),
        status: trip.status,
        period: trip.period,
      },
      riders: trip.riders.map((r): Rider => ({
        guardianId: r.guardianId,
        locale: r.locale,
        approachMinutes: positive(r.prefs?.approachMinutes),
        approachMetres: positive(r.prefs?.approachMetres),
        muted: Array.isArray(r.prefs?.muted) ? (r.prefs.muted as string[]) : undefined,
        studentId: r.studentId,
        studentName: r.studentName,
        stopId: String(r.stopId),
        stopName: r.stopName,
      })),
    };
    this.riders.set(tripId, entry);
    return entry;
  }

  invalidateTrip(tripId: number): void {
    this.riders.delete(tripId);
  }

  /** A child boarded or got off (the attendant's record). Stored once per guardian, trip, child and direction. */
  async noticeBoarding(input: BoardingNoticeInput): Promise<NoticeData[]> {
    const db = this.opts.database.db;
    const [student] = await db
      .select({ id: students.id, name: students.name })
      .from(students)
      .where(eq(students.id, input.studentId));
    if (!student) return [];
    const gs = await db
      .select({ guardianId: guardians.id, locale: guardians.locale, prefs: guardians.noticePreferences })
      .from(guardianStudents)
      .innerJoin(guardians, eq(guardians.id, guardianStudents.guardianId))
      .where(eq(guardianStudents.studentId, input.studentId));
    let stopName: string | null = null;
    let atSchool = false;
    const [trip] = await db
      .select({ routeId: trips.routeId, plate: buses.plate, period: routes.period })
      .from(trips)
      .innerJoin(buses, eq(buses.id, trips.busId))
      .innerJoin(routes, eq(routes.id, trips.routeId))
      .where(eq(trips.id, input.tripId));
    if (input.stopId != null) {
      const [s] = await db
        .select({ name: stops.name, routeId: stops.routeId, sequence: stops.sequence })
        .from(stops)
        .where(eq(stops.id, input.stopId));
      stopName = s?.name ?? null;
      // a morning route ends at the school: getting off at its last stop is getting off at school
      if (s && trip && s.routeId === trip.routeId && trip.period === 'morning') {
        const [last] = await db
          .select({ sequence: stops.sequence })
          .from(stops)
          .where(eq(stops.routeId, s.routeId))
          .orderBy(desc(stops.sequence))
          .limit(1);
        atSchool = last?.sequence === s.sequence;
      }
    }
    // boarded a bus whose route the child does not ride: the notice names the bus (and the usual one)
    let wrongBus: { plate: string | null; expectedPlate: string | null } | undefined;
    if (input.boarded && trip) {
      const usual = await db
        .select({ routeId: studentStops.routeId })
        .from(studentStops)
        .where(eq(studentStops.studentId, input.studentId));
      if (usual.length && !usual.some((u) => u.routeId === trip.routeId)) {
        const [expected] = await db
          .select({ plate: buses.plate })
          .from(trips)
          .innerJoin(buses, eq(buses.id, trips.busId))
          .where(
            inArray(
              trips.routeId,
              usual.map((u) => u.routeId),
            ),
          )
          .orderBy(sql`${trips.status} = 'cancelled'`, desc(trips.plannedStartAt))
          .limit(1);
        wrongBus = { plate: trip.plate, expectedPlate: expected?.plate ?? null };
      }
    }
    const drafts = boardingNotices(
      input.tripId,
      gs.map((g) => ({
        guardianId: g.guardianId,
        locale: g.locale,
        muted: Array.isArray(g.prefs?.muted) ? g.prefs.muted : undefined,
      })),
      student,
      input.boarded,
      input.timeMs,
      stopName,
      { atSchool, wrongBus },
    );
    return this.store(drafts);
  }

  /** The trip was cancelled: every guardian of its riders, once. */
  async noticeTripCancelled(tripId: number): Promise<NoticeData[]> {
    this.invalidateTrip(tripId);
    const t = await this.tripRiders(tripId);
    if (!t || t.info.status !== 'cancelled') return [];
    return this.store(tripCancelledNotices(t.info, t.riders, this.opts.now()));
  }

  /**
   * The bus departed `stopId`: the children of that stop with no boarding record, on a morning (pick-up) trip where
   * the attendant records students by name (a trip with head counts only says nothing of who boarded).
   */
  async notBoardedDrafts(info: TripDetails, riders: Rider[], stopId: string, timeMs: number): Promise<NoticeDraft[]> {
    const atStop = riders.filter((r) => r.stopId === stopId);
    if (atStop.length === 0) return [];
    if (info.period !== 'morning') return [];
    const records = await this.opts.database.db
      .select({ studentId: boardingRecords.studentId, boarded: boardingRecords.boarded })
      .from(boardingRecords)
      .where(and(eq(boardingRecords.tripId, info.tripId), eq(boardingRecords.kind, 'student')));
    if (records.length === 0) return [];
    const boarded = new Set(records.filter((r) => r.boarded > 0 && r.studentId != null).map((r) => r.studentId!));
    return notBoardedNotices(info, atStop, stopId, boarded, timeMs);
  }

  /** Guardian → the delay (s) of the last late notice they were told on this trip. */
  async lateSoFar(tripId: number): Promise<ReadonlyMap<number, number>> {
    let told = this.lateTold.get(tripId);
    if (told) return told;
    // A prepared statement: read once per trip, at its first ETA.
    const rows = await this.opts.database.query<{ guardianId: number; lateS: number }>(LATE_TOLD_SQL, [tripId], {
      prepare: true,
    });
    told = new Map();
    for (const r of rows) told.set(r.guardianId, r.lateS);
    if (this.lateTold.size > 5000) this.lateTold.clear();
    this.lateTold.set(tripId, told);
    return told;
  }

  /** The trip's bus was changed: tells every guardian of the trip once per new bus. */
  async noticeBusSubstituted(tripId: number, opts: { previousBusId?: number | null } = {}): Promise<NoticeData[]> {
    this.invalidateTrip(tripId);
    const t = await this.tripRiders(tripId);
    if (!t) return [];
    if (opts.previousBusId != null && opts.previousBusId === t.info.busId) return [];
    return this.store(busSubstitutedNotices(t.info, t.riders, t.info.busId, opts.previousBusId ?? null));
  }

  /** The trip has not started although its planned start is past (the scheduled job decides when): a late notice. */
  async noticeTripNotStarted(tripId: number): Promise<NoticeData[]> {
    this.invalidateTrip(tripId); // the status must be current
    const t = await this.tripRiders(tripId);
    if (!t || t.info.status !== 'planned') return [];
    return this.store(notStartedNotices(t.info, t.riders, t.info.plannedStartMs, this.opts.now()));
  }

  /** Notices of one guardian on one trip published after `afterSeq` (resume), oldest first. */
  async missedOnTopic(
    guardianId: number,
    tripId: number,
    afterSeq: number,
    limit = 200,
  ): Promise<{ seq: number; data: NoticeData; ts: number }[]> {
    const rows = await this.opts.database.db
      .select({ notice: notices, locale: guardians.locale })
      .from(notices)
      .innerJoin(guardians, eq(guardians.id, notices.guardianId))
      .where(
        and(
          eq(notices.guardianId, guardianId),
          eq(notices.tripId, tripId),
          sql`(${notices.payload}->>'seq')::float8 > ${afterSeq}`,
        ),
      )
      .orderBy(sql`(${notices.payload}->>'seq')::float8`)
      .limit(limit);
    return rows.map((r) => ({
      seq: Number(r.notice.payload.seq),
      ts: r.notice.createdAt.getTime(),
      data: noticeData(r.notice, r.locale),
    }));
  }

  /** A guardian's notices after a cursor (notice id), oldest first. */
  async since(
    guardianId: number,
    cursor: number,
    limit: number,
  ): Promise<{ items: NoticeData[]; nextCursor: number | null }> {
    const rows = await this.opts.database.db
      .select({ notice: notices, locale: guardians.locale })
      .from(notices)
      .innerJoin(guardians, eq(guardians.id, notices.guardianId))
      .where(and(eq(notices.guardianId, guardianId), gt(notices.id, cursor)))
      .orderBy(asc(notices.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => noticeData(r.notice, r.locale)),
      nextCursor: rows.length > limit ? page[page.length - 1]!.notice.id : null,
    };
  }

  /** Records that a notice reached the guardian (batched). */
  markDelivered(noticeId: number): void {
    this.pendingDelivered.add(noticeId);
    this.deliveredTimer ??= setTimeout(() => void this.flushDelivered(), 200);
  }

  async flushDelivered(): Promise<void> {
    clearTimeout(this.deliveredTimer);
    this.deliveredTimer = undefined;
    if (this.pendingDelivered.size === 0) return;
    const ids = [...this.pendingDelivered];
    this.pendingDelivered.clear();
    try {
      await this.opts.database.query(
        'update notices set delivered_at = to_timestamp($1 / 1000.0) where id = any($2::int[]) and delivered_at is null',
        [this.opts.now(), ids],
      );
    } catch (err) {
      this.opts.log.warn('could not mark notices delivered', { count: ids.length, error: String(err) });
    }
  }
}

/** Each late notice of a trip, oldest first: to whom, and the delay (s) it told of. */
const LATE_TOLD_SQL = `select guardian_id as "guardianId", (payload->>'lateS')::float8 as "lateS"
  from notices
 where trip_id = $1 and kind = 'trip.late' and jsonb_typeof(payload->'lateS') = 'number'
 order by id`;

const TRIP_RIDERS_SQL = `select t.id, t.route_id as "routeId", t.bus_id as "busId", t.school_id as "schoolId",
    floor(extract(epoch from t.planned_start_at) * 1000)::float8 as "plannedStartMs", t.status, b.plate, r.period,
    (select coalesce(json_agg(json_build_object('guardianId', g.id, 'locale', g.locale, 'prefs', g.notice_preferences,
        'studentId', s.id, 'studentName', s.name, 'stopId', ss.stop_id, 'stopName', st.name) order by g.id, s.id),
        '[]'::json)
       from student_stops ss
       join students s on s.id = ss.student_id
       join guardian_students gs on gs.student_id = ss.student_id
       join guardians g on g.id = gs.guardian_id
       join stops st on st.id = ss.stop_id
      where ss.route_id = t.route_id) as riders
  from trips t join buses b on b.id = t.bus_id join routes r on r.id = t.route_id
 where t.id = $1`;

interface TripRidersRow {
  id: number;
  routeId: number;
  busId: number;
  schoolId: number;
  plannedStartMs: number;
  status: string;
  plate: string;
  period: string;
  riders: {
    guardianId: number;
    locale: Locale;
    prefs: Record<string, unknown> | null;
    studentId: number;
    studentName: string;
    stopId: number;
    stopName: string | null;
  }[];
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

export function createNoticeService(opts: NoticeServiceOptions): NoticeService {
  return new NoticeService(opts);
}
