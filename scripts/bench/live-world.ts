// The live benchmark's district: `buses` buses, each on its own route (copies of the Cairns GTFS shapes with
// their stops) and on a trip planned for now; `guardiansPerBus` families per bus (a student at a stop of the
// bus's route, a guardian with a real API token); every bus with a JSON device (device token) and a JT/T 808
// terminal whose auth code is provisioned (hashed, as the server stores it), so terminals only authenticate.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { localDate } from '../../src/core/time-zone';
import { gtfsRoutes, readGtfsZip } from '../../src/ingest/gtfs/index';
import type { Database } from '../../src/store/db';
import { insertRoute } from '../../src/store/repos/routes-repo';
import { hashToken } from '../../src/auth/tokens';
import {
  apiTokens,
  buses,
  devices,
  guardians,
  guardianStudents,
  schools,
  stops,
  students,
  studentStops,
  trips,
  users,
} from '../../src/store/schema';
import { CAIRNS_GTFS } from '../lib/engine-workload';

export interface LiveWorld {
  /** [lon, lat] paths, one per distinct shape; bus b drives paths[bus.pathIndex] */
  paths: [number, number][][];
  buses: {
    busId: number;
    tripId: number;
    pathIndex: number;
    deviceToken: string;
    phone: string;
    authCode: string;
  }[];
  guardians: { token: string; tripId: number; busId: number }[];
}

const TIME_ZONE = 'Asia/Shanghai';

async function chunked<T, R>(items: T[], size: number, fn: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await fn(items.slice(i, i + size))));
  return out;
}

const randomToken = () => `bg_${randomBytes(24).toString('base64url')}`;
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

export async function seedLiveWorld(
  database: Database,
  opts: { buses: number; guardiansPerBus: number; nowMs: number },
): Promise<LiveWorld> {
  const shapes = gtfsRoutes(readGtfsZip(readFileSync(CAIRNS_GTFS))).filter((r) => r.stops.length >= 5);
  const paths = shapes.map((r) => r.path.coordinates);
  const db = database.db;
  const [school] = await db
    .insert(schools)
    .values({ name: 'Bench District School', timeZone: TIME_ZONE, lat: -16.92, lon: 145.77 })
    .returning();
  const schoolId = school!.id;
  const serviceDate = localDate(TIME_ZONE, opts.nowMs);

  const routeIds: number[] = [];
  const stopIdsByRoute: number[][] = [];
  for (let b = 0; b < opts.buses; b++) {
    const shape = shapes[b % shapes.length]!;
    const row = await insertRoute(
      db,
      { schoolId, name: `Bench route ${b + 1}`, period: 'morning', path: shape.path, corridorWidthM: 100 },
      shape.stops.map((s) => ({ name: s.name, lat: s.lat, lon: s.lon, sequence: s.sequence, scheduledS: null })),
    );
    routeIds.push(row.id);
  }
  const stopRows = await db.select({ id: stops.id, routeId: stops.routeId, sequence: stops.sequence }).from(stops);
  const byRoute = new Map<number, { id: number; sequence: number }[]>();
  for (const s of stopRows) (byRoute.get(s.routeId) ?? byRoute.set(s.routeId, []).get(s.routeId)!).push(s);
  for (const id of routeIds)
    stopIdsByRoute.push((byRoute.get(id) ?? []).sort((a, b) => a.sequence - b.sequence).map((s) => s.id));

  const busRows = await chunked(
    Array.from({ length: opts.buses }, (_, b) => ({
      schoolId,
      plate: `BENCH-${String(b + 1).padStart(5, '0')}`,
      approvedCapacity: 50,
      seats: 50,
    })),
    2000,
    (chunk) => db.insert(buses).values(chunk).returning({ id: buses.id }),
  );
  const phones = busRows.map((_, b) => `1390${String(b + 1).padStart(8, '0')}`);
  const authCodes = busRows.map(() => randomBytes(6).toString('hex').toUpperCase());
  const jsonDevices = await chunked(
    busRows.map((bus, b) => ({
      schoolId,
      busId: bus.id,
      protocol: 'json' as const,
      identifier: `bench-json-${b + 1}`,
    })),
    2000,
    (chunk) => db.insert(devices).values(chunk).returning({ id: devices.id }),
  );
  await chunked(
    busRows.map((bus, b) => ({
      schoolId,
      busId: bus.id,
      protocol: 'jt808' as const,
      identifier: phones[b]!,
      secretHash: sha256Hex(authCodes[b]!),
    })),
    2000,
    (chunk) => db.insert(devices).values(chunk).returning({ id: devices.id }),
  );
  const plannedStartAt = new Date(opts.nowMs - 60_000);
  const tripRows = await chunked(
    busRows.map((bus, b) => ({ schoolId, routeId: routeIds[b]!, busId: bus.id, serviceDate, plannedStartAt })),
    2000,
    (chunk) => db.insert(trips).values(chunk).returning({ id: trips.id }),
  );

  // Users with tokens: one device user per bus (JSON posts), one guardian user per family.
  const issue = async (
    rows: { name: string; role: 'device' | 'guardian'; deviceId?: number; guardianId?: number }[],
  ) => {
    const userRows = await chunked(rows, 2000, (chunk) => db.insert(users).values(chunk).returning({ id: users.id }));
    const tokens = userRows.map(() => randomToken());
    const hashes = await Promise.all(tokens.map((t) => hashToken(t)));
    await chunked(
      userRows.map((u, i) => ({ userId: u.id, tokenHash: hashes[i]!, label: 'bench' })),
      2000,
      (chunk) => db.insert(apiTokens).values(chunk).returning({ id: apiTokens.id }),
    );
    return tokens;
  };
  const deviceTokens = await issue(
    jsonDevices.map((d, b) => ({ name: `Bench device ${b + 1}`, role: 'device' as const, deviceId: d.id })),
  );

  const families = busRows.flatMap((_, b) => Array.from({ length: opts.guardiansPerBus }, (_, k) => ({ b, k })));
  const studentRows = await chunked(
    families.map(({ b, k }) => ({ schoolId, name: `Bench student ${b + 1}-${k + 1}` })),
    2000,
    (chunk) => db.insert(students).values(chunk).returning({ id: students.id }),
  );
  await chunked(
    families.map(({ b, k }, i) => {
      const stopIds = stopIdsByRoute[b]!;
      return { studentId: studentRows[i]!.id, routeId: routeIds[b]!, stopId: stopIds[(k * 7 + 1) % stopIds.length]! };
    }),
    2000,
    (chunk) => db.insert(studentStops).values(chunk).returning({ studentId: studentStops.studentId }),
  );
  const guardianRows = await chunked(
    families.map(({ b, k }) => ({ schoolId, name: `Bench guardian ${b + 1}-${k + 1}`, locale: 'zh-CN' as const })),
    2000,
    (chunk) => db.insert(guardians).values(chunk).returning({ id: guardians.id }),
  );
  await chunked(
    guardianRows.map((g, i) => ({ guardianId: g.id, studentId: studentRows[i]!.id, relation: 'parent' })),
    2000,
    (chunk) => db.insert(guardianStudents).values(chunk).returning({ guardianId: guardianStudents.guardianId }),
  );
  const guardianTokens = await issue(
    guardianRows.map((g, i) => ({ name: `Bench guardian ${i + 1}`, role: 'guardian' as const, guardianId: g.id })),
  );

  return {
    paths,
    buses: busRows.map((bus, b) => ({
      busId: bus.id,
      tripId: tripRows[b]!.id,
      pathIndex: b % shapes.length,
      deviceToken: deviceTokens[b]!,
      phone: phones[b]!,
      authCode: authCodes[b]!,
    })),
    guardians: families.map(({ b }, i) => ({
      token: guardianTokens[i]!,
      tripId: tripRows[b]!.id,
      busId: busRows[b]!.id,
    })),
  };
}
