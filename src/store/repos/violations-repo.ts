// Violations as managers review them: filtered, keyset-paginated lists, counts, one episode with its track,
// and the case trail.
import { and, asc, count, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { caseActions, positions, users, violations } from '../schema';

export type ViolationRow = typeof violations.$inferSelect;
export type CaseActionRow = typeof caseActions.$inferSelect;

export const violationSorts = ['-time', 'time', 'severity'] as const;
export type ViolationSort = (typeof violationSorts)[number];

export interface ViolationFilter {
  /** Schools the caller may see (undefined = every school). */
  schoolIds?: number[];
  kinds?: string[];
  severities?: string[];
  statuses?: string[];
  busId?: number;
  driverId?: number;
  routeId?: number;
  tripId?: number;
  ownerUserId?: number;
  fromMs?: number;
  toMs?: number;
  /** true: only overdue cases; false: only cases not overdue. */
  overdue?: boolean;
  /** true: only escalated cases (挂牌督办); false: only cases not escalated. */
  escalated?: boolean;
}

const activeStatuses = ['open', 'acknowledged', 'rectifying'] as const;

/** 0 critical, 1 major, 2 minor: the severity order of lists. */
export const severityRank = sql<number>`(case ${violations.severity} when 'critical' then 0 when 'major' then 1 else 2 end)`;

export function overdueCondition(nowMs: number): SQL {
  return and(
    isNotNull(violations.dueAt),
    lt(violations.dueAt, new Date(nowMs)),
    inArray(violations.status, [...activeStatuses]),
  )!;
}

export function filterConditions(f: ViolationFilter, nowMs: number): SQL[] {
  const conds: SQL[] = [];
  if (f.schoolIds) conds.push(inArray(violations.schoolId, f.schoolIds.length ? f.schoolIds : [-1]));
  if (f.kinds?.length) conds.push(inArray(violations.kind, f.kinds));
  if (f.severities?.length) conds.push(inArray(violations.severity, f.severities as never[]));
  if (f.statuses?.length) conds.push(inArray(violations.status, f.statuses as never[]));
  if (f.busId != null) conds.push(eq(violations.busId, f.busId));
  if (f.driverId != null) conds.push(eq(violations.driverId, f.driverId));
  if (f.routeId != null) conds.push(eq(violations.routeId, f.routeId));
  if (f.tripId != null) conds.push(eq(violations.tripId, f.tripId));
  if (f.ownerUserId != null) conds.push(eq(violations.ownerUserId, f.ownerUserId));
  if (f.fromMs != null) conds.push(gte(violations.startedAt, new Date(f.fromMs)));
  if (f.toMs != null) conds.push(lt(violations.startedAt, new Date(f.toMs)));
  if (f.overdue === true) conds.push(overdueCondition(nowMs));
  if (f.overdue === false) conds.push(sql`not (${overdueCondition(nowMs)})`);
  if (f.escalated === true) conds.push(isNotNull(violations.escalatedAt));
  if (f.escalated === false) conds.push(isNull(violations.escalatedAt));
  return conds;
}

/** Opaque keyset cursor: the sort key of the last row of a page. */
export interface ViolationCursor {
  /** started_at as PostgreSQL text (full microsecond precision). */
  t: string;
  id: number;
  /** severity rank, for the severity sort */
  r?: number;
}

export function encodeCursor(c: ViolationCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): ViolationCursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ViolationCursor;
    if (typeof c.t !== 'string' || !Number.isInteger(c.id) || (c.r !== undefined && !Number.isInteger(c.r)))
      return undefined;
    if (Number.isNaN(Date.parse(c.t.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')))) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

export async function listViolations(
  db: DbOrTx,
  f: ViolationFilter,
  opts: { sort: ViolationSort; limit: number; cursor?: ViolationCursor; nowMs: number },
): Promise<{ items: ViolationRow[]; nextCursor: ViolationCursor | null }> {
  const conds = filterConditions(f, opts.nowMs);
  const v = violations;
  const c = opts.cursor;
  if (c) {
    const t = sql`${c.t}::timestamptz`;
    if (opts.sort === 'time') conds.push(sql`(${v.startedAt}, ${v.id}) > (${t}, ${c.id})`);
    else if (opts.sort === '-time') conds.push(sql`(${v.startedAt}, ${v.id}) < (${t}, ${c.id})`);
    else
      conds.push(
        sql`(${severityRank} > ${c.r ?? 0} or (${severityRank} = ${c.r ?? 0} and (${v.startedAt}, ${v.id}) < (${t}, ${c.id})))`,
      );
  }
  const order =
    opts.sort === 'time'
      ? [asc(v.startedAt), asc(v.id)]
      : opts.sort === '-time'
        ? [desc(v.startedAt), desc(v.id)]
        : [asc(severityRank), desc(v.startedAt), desc(v.id)];
  const rows = await db
    .select({ row: v, t: sql<string>`${v.startedAt}::text`, r: severityRank })
    .from(v)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(...order)
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > opts.limit && last
      ? { t: last.t, id: last.row.id, ...(opts.sort === 'severity' ? { r: Number(last.r) } : {}) }
      : null;
  return { items: page.map((p) => p.row), nextCursor };
}

export interface ViolationCounts {
  total: number;
  overdue: number;
  escalated: number;
  byKind: Record<string, number>;
  bySeverity: Record<string, number>;
  byStatus: Record<string, number>;
}

export async function countViolations(db: DbOrTx, f: ViolationFilter, nowMs: number): Promise<ViolationCounts> {
  const conds = filterConditions(f, nowMs);
  const rows = await db
    .select({
      kind: violations.kind,
      severity: violations.severity,
      status: violations.status,
      n: count(),
      overdue: sql<number>`count(*) filter (where ${overdueCondition(nowMs)})`,
      escalated: sql<number>`count(*) filter (where ${violations.escalatedAt} is not null)`,
    })
    .from(violations)
    .where(conds.length ? and(...conds) : undefined)
    .groupBy(violations.kind, violations.severity, violations.status);
  const out: ViolationCounts = { total: 0, overdue: 0, escalated: 0, byKind: {}, bySeverity: {}, byStatus: {} };
  for (const r of rows) {
    const n = Number(r.n);
    out.total += n;
    out.overdue += Number(r.overdue);
    out.escalated += Number(r.escalated);
    out.byKind[r.kind] = (out.byKind[r.kind] ?? 0) + n;
    out.bySeverity[r.severity] = (out.bySeverity[r.severity] ?? 0) + n;
    out.byStatus[r.status] = (out.byStatus[r.status] ?? 0) + n;
  }
  return out;
}

export async function getViolation(db: DbOrTx, id: number): Promise<ViolationRow | undefined> {
  const [row] = await db.select().from(violations).where(eq(violations.id, id)).limit(1);
  return row;
}

/** The case trail, oldest first, with the name of who acted. */
export async function caseTrail(
  db: DbOrTx,
  violationId: number,
): Promise<(CaseActionRow & { actorName: string | null })[]> {
  const rows = await db
    .select({ action: caseActions, actorName: users.name })
    .from(caseActions)
    .leftJoin(users, eq(users.id, caseActions.actorUserId))
    .where(eq(caseActions.violationId, violationId))
    .orderBy(asc(caseActions.at), asc(caseActions.id));
  return rows.map((r) => ({ ...r.action, actorName: r.actorName }));
}

export interface TrackPoint {
  time: Date;
  lat: number;
  lon: number;
  speedKph: number | null;
  deviceId: number;
}

/** The bus's stored positions in [fromMs, toMs], oldest first, at most `max`. */
export async function busTrack(
  db: DbOrTx,
  busId: number,
  fromMs: number,
  toMs: number,
  max = 5000,
): Promise<TrackPoint[]> {
  return db
    .select({
      time: positions.time,
      lat: positions.lat,
      lon: positions.lon,
      speedKph: positions.speedKph,
      deviceId: positions.deviceId,
    })
    .from(positions)
    .where(and(eq(positions.busId, busId), gte(positions.time, new Date(fromMs)), lte(positions.time, new Date(toMs))))
    .orderBy(asc(positions.time))
    .limit(max);
}

/**
 * Moves a case from one status to another if it is still in `from` (a concurrent change makes this return
 * undefined), and appends the action to the trail in the same transaction.
 */
export async function transitionCase(
  tx: DbOrTx,
  args: {
    violationId: number;
    from: string;
    to: string;
    actorUserId: number;
    note?: string;
    atMs: number;
    set?: { ownerUserId?: number | null; dueAt?: Date | null; resolutionReason?: string | null };
  },
): Promise<ViolationRow | undefined> {
  const [row] = await tx
    .update(violations)
    .set({ status: args.to as never, ...(args.set ?? {}), updatedAt: new Date(args.atMs) })
    .where(and(eq(violations.id, args.violationId), eq(violations.status, args.from as never)))
    .returning();
  if (!row) return undefined;
  await appendCaseAction(tx, {
    violationId: row.id,
    actorUserId: args.actorUserId,
    action: 'transition',
    fromStatus: args.from,
    toStatus: args.to,
    note: args.note,
    atMs: args.atMs,
  });
  return row;
}

export async function appendCaseAction(
  tx: DbOrTx,
  a: {
    violationId: number;
    actorUserId: number | null;
    action: string;
    fromStatus?: string | null;
    toStatus?: string | null;
    note?: string | null;
    atMs: number;
  },
): Promise<CaseActionRow> {
  const [row] = await tx
    .insert(caseActions)
    .values({
      violationId: a.violationId,
      actorUserId: a.actorUserId,
      action: a.action,
      fromStatus: a.fromStatus ?? null,
      toStatus: a.toStatus ?? null,
      note: a.note ?? null,
      at: new Date(a.atMs),
    })
    .returning();
  return row!;
}
