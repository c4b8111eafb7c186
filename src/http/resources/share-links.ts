// Trusted-adult share links. A guardian makes a read-only link for one of their children (expiry 24 h by default,
// at most 7 days), lists and revokes their links. Whoever holds the link sees the bus, the child's stop and the ETA
// of the child's trip today — the child by given name only, no notices, no other children — at /share/<secret>
// (a small server-rendered page that refreshes itself) or as JSON at /api/v1/shared/<secret>; both answer 410
// once the link expired or was revoked, 404 for an unknown secret. Only a SHA-256 hash of the secret is stored.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import { hashToken } from '../../auth/tokens';
import { localDate, zoneOffsetMin } from '../../core/time-zone';
import { scheduledInstants } from '../../live/eta';
import { buses, guardianStudents, schools, shareLinks, stops, students, studentStops, trips } from '../../store/schema';
import type { AppDeps, AppEnv, Ctx } from '../context';
import * as contract from '../contract';
import { AppError, conflict, forbidden, notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { parseBody, parseId } from '../validate';

export const SHARE_DEFAULT_HOURS = 24;
export const SHARE_MAX_HOURS = 7 * 24;
const MAX_ACTIVE_LINKS = 20;
const SECRET_PREFIX = 'bgs_';

const createBody = z.strictObject({
  studentId: z.number().int().min(1).max(2_147_483_647),
  expiresInHours: z.number().int().min(1).max(SHARE_MAX_HOURS).optional(),
  label: z.string().trim().min(1).max(60).optional(),
});

/**
 * The child's given name, for a stranger's eyes: a Chinese name without spaces loses its first character (the
 * surname: 王小红 → 小红); a name in words keeps its first word (Anna Smith → Anna).
 */
export function givenName(fullName: string): string {
  const name = fullName.trim();
  if (/\s/.test(name)) return name.split(/\s+/)[0]!;
  if (/^\p{Script=Han}{2,}$/u.test(name)) return name.slice(1);
  return name;
}

function newSecret(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return SECRET_PREFIX + btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type LinkRow = typeof shareLinks.$inferSelect;

function linkJson(r: LinkRow, nowMs: number) {
  return {
    id: r.id,
    studentId: r.studentId,
    label: r.label,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    status: r.revokedAt ? 'revoked' : r.expiresAt.getTime() <= nowMs ? 'expired' : 'active',
  } as const;
}

function guardianOf(c: Ctx): number {
  const p = c.get('principal')!;
  if (p.role !== 'guardian' || p.guardianId == null) throw forbidden('Share links are made by guardians');
  return p.guardianId;
}

export type SharedTrip = z.infer<typeof contract.sharedTrip>;

export function registerShareLinks(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;

  api.route(
    app,
    {
      method: 'post',
      path: '/share-links',
      summary: `Make a read-only link for one of the caller’s children (expiry ${SHARE_DEFAULT_HOURS} h by default, at most 7 days). The secret is shown once`,
      tag: 'Share links',
      roles: 'guardian (own children)',
      body: createBody,
      responses: { 201: contract.shareLinkCreated },
    },
    async (c) => {
      const guardianId = guardianOf(c);
      const body = await parseBody(c, createBody);
      const [mine] = await db()
        .select({ id: guardianStudents.studentId })
        .from(guardianStudents)
        .where(and(eq(guardianStudents.guardianId, guardianId), eq(guardianStudents.studentId, body.studentId)));
      if (!mine) throw forbidden('Not your child');
      const nowMs = deps.now();
      const active = (await db().select().from(shareLinks).where(eq(shareLinks.guardianId, guardianId))).filter(
        (r) => !r.revokedAt && r.expiresAt.getTime() > nowMs,
      );
      if (active.length >= MAX_ACTIVE_LINKS)
        throw conflict(`At most ${MAX_ACTIVE_LINKS} active share links: revoke one first`);
      const secret = newSecret();
      const [row] = await db()
        .insert(shareLinks)
        .values({
          guardianId,
          studentId: body.studentId,
          secretHash: await hashToken(secret),
          label: body.label ?? null,
          createdAt: new Date(nowMs),
          expiresAt: new Date(nowMs + (body.expiresInHours ?? SHARE_DEFAULT_HOURS) * 3600_000),
        })
        .returning();
      return c.json({ ...linkJson(row!, nowMs), secret, path: `/share/${secret}` }, 201);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/share-links',
      summary: 'The caller’s share links, newest first (active, expired and revoked)',
      tag: 'Share links',
      roles: 'guardian (own)',
      responses: { 200: contract.shareLinkList },
    },
    async (c) => {
      const guardianId = guardianOf(c);
      const rows = await db()
        .select()
        .from(shareLinks)
        .where(eq(shareLinks.guardianId, guardianId))
        .orderBy(desc(shareLinks.id))
        .limit(100);
      return c.json({ items: rows.map((r) => linkJson(r, deps.now())) });
    },
  );

  api.route(
    app,
    {
      method: 'delete',
      path: '/share-links/{id}',
      summary: 'Revoke one of the caller’s share links (it answers 410 from then on)',
      tag: 'Share links',
      roles: 'guardian (own)',
      responses: { 204: null },
    },
    async (c) => {
      const guardianId = guardianOf(c);
      const id = parseId(c);
      const [row] = await db().select().from(shareLinks).where(eq(shareLinks.id, id));
      if (!row) throw notFound('Share link');
      if (row.guardianId !== guardianId) throw forbidden('Not your share link');
      if (!row.revokedAt)
        await db()
          .update(shareLinks)
          .set({ revokedAt: new Date(deps.now()) })
          .where(eq(shareLinks.id, id));
      return c.body(null, 204);
    },
  );

  /** The link's view, or an AppError: 404 unknown, 410 expired or revoked. */
  async function sharedView(secret: string): Promise<SharedTrip> {
    if (!/^bgs_[A-Za-z0-9_-]{20,60}$/.test(secret)) throw notFound('Share link');
    const [link] = await db()
      .select()
      .from(shareLinks)
      .where(eq(shareLinks.secretHash, await hashToken(secret)));
    if (!link) throw notFound('Share link');
    const nowMs = deps.now();
    if (link.revokedAt) throw new AppError('gone', 'This link was revoked');
    if (link.expiresAt.getTime() <= nowMs) throw new AppError('gone', 'This link has expired');
    const [child] = await db()
      .select({ name: students.name, timeZone: schools.timeZone })
      .from(students)
      .innerJoin(schools, eq(schools.id, students.schoolId))
      .where(eq(students.id, link.studentId));
    if (!child) throw new AppError('gone', 'This link is no longer valid');
    const rides = await db()
      .select({ routeId: studentStops.routeId, stopId: stops.id, stopName: stops.name, scheduledS: stops.scheduledS })
      .from(studentStops)
      .innerJoin(stops, eq(stops.id, studentStops.stopId))
      .where(eq(studentStops.studentId, link.studentId));
    const day = localDate(child.timeZone, nowMs);
    const todays = rides.length
      ? await db()
          .select({
            id: trips.id,
            routeId: trips.routeId,
            status: trips.status,
            plannedStartAt: trips.plannedStartAt,
            plate: buses.plate,
          })
          .from(trips)
          .innerJoin(buses, eq(buses.id, trips.busId))
          .where(
            and(
              inArray(
                trips.routeId,
                rides.map((r) => r.routeId),
              ),
              eq(trips.serviceDate, day),
            ),
          )
          .orderBy(asc(trips.plannedStartAt))
      : [];
    // the running trip, else the next one to start, else the last of the day
    const trip =
      todays.find((x) => x.status === 'active') ??
      todays.find((x) => x.status === 'planned' && x.plannedStartAt.getTime() >= nowMs - 3600_000) ??
      todays.filter((x) => x.status !== 'cancelled').at(-1) ??
      todays.at(-1);
    const ride = rides.find((r) => r.routeId === trip?.routeId) ?? rides[0];
    if (!ride) throw notFound('The child’s stop');
    const base = { childName: givenName(child.name), expiresAt: link.expiresAt.toISOString() };
    const stop = { id: ride.stopId, name: ride.stopName ?? '' };
    if (!trip) return { ...base, stop, trip: null };
    const live = deps.live?.etaOfTrip(trip.id);
    let etaMs: number | null = null;
    let etaSource: 'live' | 'timetable' | null = null;
    if (live) {
      const s = live.stops.find((x) => x.stopId === String(ride.stopId));
      if (s) [etaMs, etaSource] = [s.etaMs, 'live'];
    } else if (trip.status === 'planned' && ride.scheduledS != null) {
      const plannedMs = trip.plannedStartAt.getTime();
      const at = scheduledInstants(
        new Map([[String(ride.stopId), ride.scheduledS]]),
        plannedMs,
        zoneOffsetMin(child.timeZone, plannedMs),
      ).get(String(ride.stopId));
      if (at != null) [etaMs, etaSource] = [at + Math.max(0, nowMs - plannedMs), 'timetable'];
    }
    const p = deps.live?.positionOfTrip(trip.id);
    return {
      ...base,
      stop,
      trip: {
        id: trip.id,
        status: trip.status,
        plannedStartAt: trip.plannedStartAt.toISOString(),
        busPlate: trip.plate,
        etaMs: etaMs == null ? null : Math.round(etaMs),
        etaSource,
        position: p ? { lat: p.lat, lon: p.lon, timeMs: p.timeMs } : null,
      },
    };
  }

  api.route(
    app,
    {
      method: 'get',
      path: '/shared/{secret}',
      summary:
        'What a share link shows: the bus, the child’s stop and the ETA (child by given name only). 410 once expired or revoked',
      tag: 'Share links',
      roles: 'anyone holding the link (no token)',
      responses: { 200: contract.sharedTrip },
    },
    async (c) => {
      c.header('cache-control', 'no-store');
      c.header('referrer-policy', 'no-referrer');
      return c.json(await sharedView(c.req.param('secret') ?? ''));
    },
  );

  app.get('/share/:secret', async (c) => {
    c.header('cache-control', 'no-store');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('x-robots-tag', 'noindex');
    c.header('content-security-policy', `default-src 'none'; style-src '${SHARE_STYLE_HASH}'; frame-ancestors 'none'`);
    try {
      const view = await sharedView(c.req.param('secret'));
      return c.html(sharePage(view, deps.now(), await timeZoneOf(view)));
    } catch (err) {
      if (err instanceof AppError && (err.code === 'gone' || err.code === 'not_found'))
        return c.html(shareEndedPage(err.code === 'gone'), err.code === 'gone' ? 410 : 404);
      throw err;
    }
  });

  async function timeZoneOf(view: SharedTrip): Promise<string> {
    if (!view.trip) return 'Asia/Shanghai';
    const [row] = await db()
      .select({ tz: schools.timeZone })
      .from(trips)
      .innerJoin(schools, eq(schools.id, trips.schoolId))
      .where(eq(trips.id, view.trip.id));
    return row?.tz ?? 'Asia/Shanghai';
  }
}

const SHARE_STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1rem;max-width:32rem;color:#1d2a3a}h1{font-size:1.3rem}.eta{font-size:2rem;font-weight:700;margin:.2rem 0}.muted{color:#5a6570}.card{border:1px solid #d5dbe1;border-radius:12px;padding:1rem;margin:1rem 0}`;
// The page's only style, allowed by its hash (no inline script, no other source).
const SHARE_STYLE_HASH = `sha256-${hashBase64(SHARE_STYLE)}`;

function hashBase64(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function clock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    ms,
  );
}

const statusText: Record<string, [string, string]> = {
  planned: ['尚未发车', 'Not started yet'],
  active: ['行驶中', 'On the way'],
  completed: ['行程已结束', 'Trip finished'],
  cancelled: ['行程已取消', 'Trip cancelled'],
};

function sharePage(v: SharedTrip, nowMs: number, timeZone: string): string {
  const t = v.trip;
  const [zhStatus, enStatus] = t ? (statusText[t.status] ?? [t.status, t.status]) : ['今日无校车', 'No bus today'];
  let eta = '—';
  if (t?.etaMs != null) {
    const min = Math.max(0, Math.round((t.etaMs - nowMs) / 60_000));
    eta = min <= 0 ? '即将到站 · Arriving now' : `${min} 分钟 · ${min} min`;
  }
  const seen = t?.position
    ? `<p class="muted" data-testid="share-seen">最后位置 Last position: ${esc(t.position.lat.toFixed(5))}, ${esc(t.position.lon.toFixed(5))} · ${clock(t.position.timeMs, timeZone)}</p>`
    : '';
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="30">
<title>${esc(v.childName)} · 校车 School bus</title>
<style>${SHARE_STYLE}</style>
</head>
<body>
<h1 data-testid="share-child">${esc(v.childName)} 的校车 · ${esc(v.childName)}'s school bus</h1>
<div class="card">
<p data-testid="share-bus">校车 Bus: <strong>${t ? esc(t.busPlate) : '—'}</strong> · ${esc(zhStatus)} · ${esc(enStatus)}</p>
<p data-testid="share-stop">站点 Stop: <strong>${esc(v.stop.name)}</strong></p>
<p class="muted">预计到站 Expected at the stop${t?.etaMs != null ? ` (${clock(t.etaMs, timeZone)})` : ''}</p>
<p class="eta" data-testid="share-eta">${esc(eta)}</p>
${seen}
</div>
<p class="muted">此链接只读，有效期至 ${clock(Date.parse(v.expiresAt), timeZone)}。This read-only link works until ${esc(new Date(v.expiresAt).toISOString().slice(0, 16).replace('T', ' '))} UTC.</p>
</body>
</html>
`;
}

function shareEndedPage(gone: boolean): string {
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>校车 School bus</title><style>${SHARE_STYLE}</style></head>
<body><h1 data-testid="share-ended">${gone ? '此链接已失效（已过期或已撤销）。This link has expired or was revoked.' : '链接无效。This link is not valid.'}</h1></body>
</html>
`;
}
