// The simulator's fleet, read from (and if asked, added to) the registry through the HTTP API.
import type { AttendantPlan } from './attendant';
import type { LonLat } from './route-motion';

// The simulator is a client of the API reading loosely shaped JSON (and tolerating older servers): `any` there is deliberate.
/* eslint-disable @typescript-eslint/no-explicit-any */

export type SimProtocol = 'jt808' | 'osmand' | 'json';

export interface SimBus {
  busId: number;
  deviceId: number;
  protocol: SimProtocol;
  identifier: string;
  /** The bus's plate (a JT/T 808 registration names it). */
  plate?: string;
  /** JSON devices: a device token. */
  deviceToken?: string;
  /** OsmAnd devices with a secret: the password sent with each report. */
  secret?: string;
  routeId: number;
  routeName: string;
  path: LonLat[];
  stops: (LonLat & { name: string })[];
  driver?: { name: string; certificateNo?: string; certificateExpiry?: string };
  /** The bus's trip today with an attendant the simulator has a token for: the simulated attendant's plan. */
  attendant?: AttendantPlan;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    return this.callAs(this.token, method, path, body);
  }

  /** A call with another token (the simulated attendant's). */
  async callAs<T = any>(token: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Every item of a paginated list (bounded to 50 pages). */
  async list<T = any>(path: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const r = await this.call<{ items: T[]; nextCursor?: string | null }>(
        'GET',
        `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      out.push(...r.items);
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    return out;
  }
}

export interface FleetOptions {
  /** How many buses to drive; more than the registry has are created (admin or manager token). */
  buses?: number;
  /** Protocol of created devices; default: jt808, osmand, json in turn. */
  protocol?: SimProtocol;
  /** Tokens for existing JSON devices, by device identifier. */
  deviceTokens: Map<string, string>;
  /** Passwords of existing OsmAnd devices, by device identifier. */
  deviceSecrets?: Map<string, string>;
  /** Attendant tokens by attendant id: those trips get a simulated attendant. */
  attendantTokens?: Map<number, string>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export async function loadFleet(api: Api, opts: FleetOptions): Promise<SimBus[]> {
  const [devices, trips, routes, buses] = await Promise.all([
    api.list('/api/v1/devices'),
    api.list('/api/v1/trips'),
    api.list('/api/v1/routes'),
    api.list('/api/v1/buses'),
  ]);
  const plates = new Map<number, string>(buses.map((b) => [b.id, b.plate]));
  if (routes.length === 0)
    throw new Error('the registry has no routes: seed the demo district or import a route first');
  const routeCache = new Map<number, any>();
  const route = async (id: number) => {
    if (!routeCache.has(id)) routeCache.set(id, await api.call('GET', `/api/v1/routes/${id}`));
    return routeCache.get(id);
  };
  const driverCache = new Map<number, any>();
  const driver = async (id: number) => {
    if (!driverCache.has(id)) driverCache.set(id, await api.call('GET', `/api/v1/drivers/${id}`).catch(() => null));
    return driverCache.get(id);
  };

  let candidates = devices.filter((d) => d.busId != null && (!opts.protocol || d.protocol === opts.protocol));
  const want = opts.buses ?? candidates.length;
  candidates = candidates.slice(0, want);
  // Create what is missing: a bus and a device each, on the routes' schools in turn.
  const protocols: SimProtocol[] = opts.protocol ? [opts.protocol] : ['jt808', 'osmand', 'json'];
  const runTag = Date.now().toString(36).slice(-5);
  for (let i = candidates.length; i < want; i++) {
    const r = routes[i % routes.length];
    const protocol = protocols[i % protocols.length];
    const bus = await api.call('POST', '/api/v1/buses', {
      schoolId: r.schoolId,
      plate: `SIM-${runTag}-${i + 1}`,
      approvedCapacity: 40,
    });
    plates.set(bus.id, bus.plate);
    // JT/T 808 terminals are known by their phone number; other devices get an unguessable id from the registry,
    // and OsmAnd phones a password as well.
    const identifier =
      protocol === 'jt808'
        ? `0139${String(Date.now() % 1e4).padStart(4, '0')}${String(i).padStart(4, '0')}`
        : undefined;
    const secret = protocol === 'osmand' ? `sim-${runTag}-${Math.random().toString(36).slice(2, 12)}` : undefined;
    const device = await api.call('POST', '/api/v1/devices', {
      schoolId: r.schoolId,
      busId: bus.id,
      protocol,
      identifier,
      secret,
      label: `Simulator bus ${i + 1}`,
    });
    if (secret) (opts.deviceSecrets ??= new Map()).set(device.identifier, secret);
    candidates.push({ ...device, simRouteId: r.id });
    opts.log('simulator bus created', { busId: bus.id, deviceId: device.id, protocol, identifier: device.identifier });
  }

  const out: SimBus[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const d = candidates[i];
    let deviceToken: string | undefined;
    if (d.protocol === 'json') {
      deviceToken = opts.deviceTokens.get(d.identifier);
      if (!deviceToken) {
        try {
          const user = await api.call('POST', '/api/v1/users', {
            name: `Simulator feed ${d.identifier}`,
            role: 'device',
            deviceId: d.id,
          });
          deviceToken = (await api.call('POST', `/api/v1/users/${user.id}/tokens`, { label: 'simulator' })).token;
        } catch (err) {
          opts.log('no token for JSON device; skipped', { identifier: d.identifier, error: String(err) });
          continue;
        }
      }
    }
    // Today's trip of the bus that has not finished, else any of its trips (for the route).
    const trip =
      trips.find((t) => t.busId === d.busId && (t.status === 'planned' || t.status === 'active')) ??
      trips.find((t) => t.busId === d.busId);
    const routeId: number = d.simRouteId ?? trip?.routeId ?? routes[i % routes.length].id;
    const r = await route(routeId);
    const coords: LonLat[] = (r.path?.coordinates ?? []).map(([lon, lat]: [number, number]) => ({ lon, lat }));
    if (coords.length < 2) {
      opts.log('route without a path; bus skipped', { routeId });
      continue;
    }
    const bus: SimBus = {
      busId: d.busId,
      deviceId: d.id,
      protocol: d.protocol,
      identifier: d.identifier,
      routeId,
      routeName: r.name,
      path: coords,
      stops: [...(r.stops ?? [])]
        .sort((a: any, b: any) => a.sequence - b.sequence)
        .map((s: any) => ({ lon: s.lon, lat: s.lat, name: s.name })),
    };
    if (deviceToken) bus.deviceToken = deviceToken;
    const plate = plates.get(d.busId);
    if (plate !== undefined) bus.plate = plate;
    const secret = d.protocol === 'osmand' ? opts.deviceSecrets?.get(d.identifier) : undefined;
    if (secret) bus.secret = secret;
    else if (d.protocol === 'osmand' && d.hasSecret)
      opts.log('osmand device has a password the simulator does not know; its reports will be refused', {
        identifier: d.identifier,
      });
    const attendantToken =
      trip?.attendantId != null && (trip.status === 'planned' || trip.status === 'active')
        ? opts.attendantTokens?.get(trip.attendantId)
        : undefined;
    if (trip && attendantToken) {
      const riders = await studentsByStop(api, routeId);
      bus.attendant = {
        tripId: trip.id,
        token: attendantToken,
        stops: (r.stops ?? []).map((s: any) => ({
          id: s.id,
          lat: s.lat,
          lon: s.lon,
          sequence: s.sequence,
          studentIds: riders.get(s.id) ?? [],
        })),
      };
    }
    if (trip?.driverId) {
      const dr = await driver(trip.driverId);
      if (dr)
        bus.driver = {
          name: dr.name,
          certificateNo: dr.qualificationCertNo ?? undefined,
          certificateExpiry: dr.qualificationCertExpiry ?? undefined,
        };
    }
    out.push(bus);
  }
  return out;
}

/** Student ids by their stop on a route (read once per route). */
async function studentsByStop(api: Api, routeId: number): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const s of await api.list('/api/v1/students')) {
    const full = await api.call('GET', `/api/v1/students/${s.id}`);
    for (const a of full.stops ?? [])
      if (a.routeId === routeId) out.set(a.stopId, [...(out.get(a.stopId) ?? []), s.id]);
  }
  return out;
}
