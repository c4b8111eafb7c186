// JT/T 808 re-registration windows and a device's event history, for the managers of the device's school.
//
// A terminal that holds an auth code is refused a new registration (0x8100 result 3) unless a manager opens a
// window here: POST /devices/{id}/reregistration lets exactly one registration through until the window
// expires (DELETE closes it early). Registrations, accepted and refused with the reason, and the windows opened
// are in GET /devices/{id}/events.
import { eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { z } from 'zod';
import {
  listDeviceEvents,
  openReregistrationWindow,
  recordDeviceEvent,
} from '../../store/repos/device-registration-repo';
import { devices } from '../../store/schema';
import { accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import * as contract from '../contract';
import { badRequest, notFound } from '../errors';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseBody, parseId, parseQuery } from '../validate';

const windowBody = z
  .object({
    /** How long the window stays open, in minutes (default 30, at most a day). */
    validMinutes: z.number().int().min(1).max(1440).optional(),
  })
  .strict();

const eventsQuery = z
  .object({
    limit: decimalInt({ min: 1, max: 500 }).default(50),
    /** Events older than this event id (the previous page's `nextBefore`). */
    before: idParam.optional(),
    type: z
      .string()
      .regex(/^[a-zA-Z_]{1,40}$/)
      .optional(),
  })
  .strict();

const DEFAULT_WINDOW_MINUTES = 30;

export function registerDeviceRegistration(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;

  /** The device, when the caller manages its school (admin, or a manager of that school); 403 otherwise. */
  const managedDevice = async (c: Ctx) => {
    const a = accessOf(c, deps);
    a.requireAction('update', 'device');
    const [device] = await db()
      .select()
      .from(devices)
      .where(eq(devices.id, parseId(c)))
      .limit(1);
    if (!device) throw notFound('Device');
    await a.assert('update', 'device', device.id);
    return device;
  };

  const roles = 'admin, manager (own schools)';
  api.route(
    app,
    {
      method: 'post',
      path: '/devices/{id}/reregistration',
      summary: 'Open a JT/T 808 re-registration window: the terminal may register (0x0100) once more until it expires',
      tag: 'Device',
      roles,
      body: windowBody,
      responses: { 200: contract.reregistrationWindow },
    },
    async (c) => {
      const device = await managedDevice(c);
      const body = await parseBody(c, windowBody);
      if (device.protocol !== 'jt808')
        throw badRequest('Only JT/T 808 terminals register', [{ path: 'id', message: `a ${device.protocol} device` }]);
      const nowMs = deps.now();
      const until = new Date(nowMs + (body.validMinutes ?? DEFAULT_WINDOW_MINUTES) * 60_000);
      const principal = c.get('principal')!;
      await db().transaction(async (tx) => {
        await openReregistrationWindow(tx, device.id, until);
        await recordDeviceEvent(tx, {
          deviceId: device.id,
          busId: device.busId,
          type: 'reregistration_window',
          timeMs: nowMs,
          payload: { action: 'opened', until: until.toISOString(), byUserId: principal.userId, byName: principal.name },
        });
      });
      deps.ingest?.directory.invalidate(device.protocol, device.identifier);
      return c.json({ deviceId: device.id, reregistrationUntil: until.toISOString() });
    },
  );

  api.route(
    app,
    {
      method: 'delete',
      path: '/devices/{id}/reregistration',
      summary: 'Close a re-registration window early',
      tag: 'Device',
      roles,
      responses: { 204: null },
    },
    async (c) => {
      const device = await managedDevice(c);
      const principal = c.get('principal')!;
      await db().transaction(async (tx) => {
        await tx.update(devices).set({ reregistrationUntil: null }).where(eq(devices.id, device.id));
        await recordDeviceEvent(tx, {
          deviceId: device.id,
          busId: device.busId,
          type: 'reregistration_window',
          timeMs: deps.now(),
          payload: { action: 'closed', byUserId: principal.userId, byName: principal.name },
        });
      });
      return c.body(null, 204);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/devices/{id}/events',
      summary:
        'A device’s events, newest first: registrations (accepted or refused, with the reason), re-registration windows, driver cards, alarms',
      tag: 'Device',
      roles,
      query: eventsQuery,
      responses: { 200: contract.deviceEventPage },
    },
    async (c) => {
      const device = await managedDevice(c);
      const q = parseQuery(c, eventsQuery);
      const rows = await listDeviceEvents(db(), device.id, { limit: q.limit + 1, beforeId: q.before, type: q.type });
      const page = rows.slice(0, q.limit);
      return c.json({
        items: page.map((r) => ({
          id: r.id,
          type: r.type,
          time: r.time.toISOString(),
          receivedAt: r.receivedAt.toISOString(),
          busId: r.busId,
          payload: redact(r.payload),
        })),
        nextBefore: rows.length > q.limit ? page[page.length - 1]!.id : null,
      });
    },
  );
}

/** Events never show a secret (an authentication event's code is not stored, but older rows may carry one). */
function redact(payload: unknown): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const { authCode: _authCode, ...rest } = payload as Record<string, unknown>;
  return rest;
}
