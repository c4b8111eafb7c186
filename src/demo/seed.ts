// The demo district: a school on three real Cairns routes, with buses, devices, drivers (one with an expired
// qualification certificate), attendants, students, guardians, today's trips and tokens to try the API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { localDate, zonedTimeToEpochMs } from '../core/time-zone';
import { secondsOfDay } from '../http/resources/fields';
import type { ImportedRoute } from '../ingest/route-import';
import type { Database } from '../store/db';
import { insertUser, issueToken } from '../store/repos/auth-repo';
import { insertRoute } from '../store/repos/routes-repo';
import {
  attendants,
  buses,
  devices,
  drivers,
  guardians,
  guardianStudents,
  routes,
  schools,
  stops,
  students,
  studentStops,
  trips,
} from '../store/schema';
import { hashToken } from '../auth/tokens';
import { canonicalDeviceIdentifier } from '../ingest/device-identity';
import { and, asc, eq, lt } from 'drizzle-orm';

export interface DemoResult {
  schoolId: number;
  tokens: { role: string; name: string; token: string; attendantId?: number }[];
  devices: { protocol: string; identifier: string; secret: string }[];
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function loadRoutes(): ImportedRoute[] {
  const file = fileURLToPath(new URL('./cairns-routes.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { routes: ImportedRoute[] }).routes;
}

const studentNames = [
  'Li Ming',
  'Wang Fang',
  'Zhang Wei',
  'Liu Yang',
  'Chen Jing',
  'Yang Lei',
  'Zhao Min',
  'Huang Tao',
  'Zhou Xin',
  'Wu Hao',
  'Xu Li',
  'Sun Yue',
];

/** Seeds once: does nothing when any school exists. */
export async function seedDemoIfEmpty(database: Database, opts: { now: number }): Promise<DemoResult | undefined> {
  const existing = await database.db.select({ id: schools.id }).from(schools).limit(1);
  if (existing.length) return undefined;
  return seedDemo(database, opts);
}

export async function seedDemo(database: Database, { now }: { now: number }): Promise<DemoResult> {
  const timeZone = 'Australia/Brisbane';
  const today = localDate(timeZone, now);
  const routesData = loadRoutes();
  return database.db.transaction(async (tx) => {
    const [school] = await tx
      .insert(schools)
      .values({ name: DEMO_SCHOOL_NAME, timeZone, lat: -16.9186, lon: 145.7781 })
      .returning();
    const schoolId = school!.id;

    const busRows = await tx
      .insert(buses)
      .values([
        {
          schoolId,
          plate: '粤B·D1001',
          approvedCapacity: 45,
          seats: 45,
          signNumber: 'XC-0001',
          signValidUntil: isoDay(now + 150 * DAY_MS),
          inspectionValidUntil: isoDay(now + 150 * DAY_MS),
          insuranceValidUntil: isoDay(now + 200 * DAY_MS),
        },
        {
          schoolId,
          plate: '粤B·D1002',
          approvedCapacity: 56,
          seats: 56,
          signNumber: 'XC-0002',
          signValidUntil: isoDay(now + 20 * DAY_MS),
          inspectionValidUntil: isoDay(now + 20 * DAY_MS),
        },
        {
          schoolId,
          plate: '粤B·D1003',
          approvedCapacity: 19,
          seats: 19,
          signNumber: 'XC-0003',
          signValidUntil: isoDay(now + 90 * DAY_MS),
          inspectionValidUntil: isoDay(now + 90 * DAY_MS),
        },
      ])
      .returning();

    const deviceSpecs = [
      { protocol: 'jt808' as const, identifier: '013800000001', secret: 'AUTH0001' },
      { protocol: 'osmand' as const, identifier: 'demo-phone-2', secret: 'phone-secret-2' },
      { protocol: 'json' as const, identifier: 'demo-partner-3', secret: 'partner-secret-3' },
    ];
    const deviceRows = [];
    for (const [i, d] of deviceSpecs.entries()) {
      const [row] = await tx
        .insert(devices)
        .values({
          schoolId,
          busId: busRows[i]!.id,
          protocol: d.protocol,
          identifier: canonicalDeviceIdentifier(d.protocol, d.identifier),
          secretHash: await hashToken(d.secret),
          label: `Bus ${i + 1} tracker`,
        })
        .returning();
      deviceRows.push(row!);
    }

    const driverRows = await tx
      .insert(drivers)
      .values([
        {
          schoolId,
          name: 'Zhang Jianguo',
          birthDate: '1978-04-12',
          licenceClass: 'A1',
          licenceFirstIssued: '2002-06-01',
          schoolBusEndorsement: true,
          lastAnnualReview: isoDay(now - 100 * DAY_MS),
          qualificationCertNo: '440301197804120011',
          qualificationCertExpiry: isoDay(now + 700 * DAY_MS),
          cardId: 'CARD-0001',
        },
        {
          schoolId,
          name: 'Li Guoqiang',
          birthDate: '1983-09-30',
          licenceClass: 'A1',
          licenceFirstIssued: '2008-03-15',
          schoolBusEndorsement: true,
          lastAnnualReview: isoDay(now - 200 * DAY_MS),
          qualificationCertNo: '440301198309300022',
          qualificationCertExpiry: isoDay(now - 12 * DAY_MS),
          cardId: 'CARD-0002',
        },
        {
          schoolId,
          name: 'Wang Haitao',
          birthDate: '1975-01-20',
          licenceClass: 'B1',
          licenceFirstIssued: '1999-11-11',
          schoolBusEndorsement: true,
          lastAnnualReview: isoDay(now - 30 * DAY_MS),
          qualificationCertNo: '440301197501200033',
          qualificationCertExpiry: isoDay(now + 25 * DAY_MS),
          cardId: 'CARD-0003',
        },
      ])
      .returning();

    const attendantRows = await tx
      .insert(attendants)
      .values([
        { schoolId, name: 'Chen Xiaoli', trainingValidUntil: isoDay(now + 300 * DAY_MS) },
        { schoolId, name: 'Zhou Ping', trainingValidUntil: isoDay(now + 10 * DAY_MS) },
        { schoolId, name: 'Sun Hui', trainingValidUntil: isoDay(now + 200 * DAY_MS) },
      ])
      .returning();

    const routeRows = [];
    for (const r of routesData) {
      routeRows.push(
        await insertRoute(
          tx,
          {
            schoolId,
            name: r.name,
            period: 'morning',
            path: r.path,
            corridorWidthM: 100,
            externalId: r.externalId ?? r.shapeId,
            // Approved routes (Art. 30): trips are refused on an unapproved one.
            approvedBy: 'Cairns district education office',
            approvalNumber: `DEMO-${r.externalId ?? r.shapeId}`,
            approvedOn: isoDay(now - 200 * DAY_MS),
          },
          r.stops.map((s) => ({
            name: s.name,
            lat: s.lat,
            lon: s.lon,
            sequence: s.sequence,
            scheduledS: s.scheduledTime ? secondsOfDay(s.scheduledTime) : null,
            externalId: s.externalId,
          })),
        ),
      );
    }

    // Four students per route, at stops spread along it; one guardian each (two of them get tokens).
    const guardianRows = [];
    let n = 0;
    for (const route of routeRows) {
      const routeStops = await tx.select().from(stops).where(eq(stops.routeId, route.id)).orderBy(asc(stops.sequence));
      for (let k = 0; k < 4; k++) {
        const stop = routeStops[Math.floor(((k + 1) * (routeStops.length - 1)) / 5)]!;
        const name = studentNames[n % studentNames.length]!;
        const [student] = await tx
          .insert(students)
          .values({ schoolId, name, grade: `Grade ${1 + (n % 6)}`, cardId: `STU-${String(n + 1).padStart(4, '0')}` })
          .returning();
        await tx.insert(studentStops).values({ studentId: student!.id, routeId: route.id, stopId: stop.id });
        const [guardian] = await tx
          .insert(guardians)
          .values({
            schoolId,
            name: `Parent of ${name}`,
            locale: n % 2 ? 'en' : 'zh-CN',
            noticePreferences: { approachMinutes: 5 },
          })
          .returning();
        await tx
          .insert(guardianStudents)
          .values({ guardianId: guardian!.id, studentId: student!.id, relation: 'parent' });
        guardianRows.push(guardian!);
        n++;
      }
    }

    for (const [i, route] of routeRows.entries()) {
      const first = routesData[i]!.stops[0]?.scheduledTime;
      const startS = first ? secondsOfDay(first) : 7 * 3600;
      await tx.insert(trips).values({
        schoolId,
        routeId: route.id,
        busId: busRows[i]!.id,
        driverId: driverRows[i]!.id,
        attendantId: attendantRows[i]!.id,
        serviceDate: today,
        plannedStartAt: new Date(zonedTimeToEpochMs(today, startS, timeZone)),
      });
    }

    const tokens: DemoResult['tokens'] = [];
    const give = async (user: Awaited<ReturnType<typeof insertUser>>, role: string) => {
      const { token } = await issueToken(tx, user.id, { label: 'demo' });
      tokens.push({ role, name: user.name, token });
    };
    await give(await insertUser(tx, { name: 'Transport Manager', role: 'manager', schoolIds: [schoolId] }), 'manager');
    // Every demo trip's attendant has a token: the simulator drives them (check-in, boarding, sweep).
    for (const att of attendantRows) {
      const user = await insertUser(tx, { name: att.name, role: 'attendant', attendantId: att.id });
      const { token } = await issueToken(tx, user.id, { label: 'demo' });
      tokens.push({ role: 'attendant', name: user.name, token, attendantId: att.id });
    }
    for (const g of guardianRows.slice(0, 2))
      await give(await insertUser(tx, { name: g.name, role: 'guardian', guardianId: g.id }), 'guardian');
    await give(
      await insertUser(tx, { name: 'Bus 3 partner feed', role: 'device', deviceId: deviceRows[2]!.id }),
      'device',
    );

    return { schoolId, tokens, devices: deviceSpecs };
  });
}

export const DEMO_SCHOOL_NAME = 'Cairns Demo Primary School';

/**
 * Makes the demo district run now: each demo route's timetable is moved (keeping its intervals) so that its
 * first stop is due a minute from now, today's unstarted demo trips move to the new times (or are planned),
 * unstarted ones of earlier days are cancelled — so the simulator's buses start real trips, and parents get ETAs and notices.
 * Does nothing when the demo school is not there.
 */
export async function refreshDemoDay(database: Database, { now }: { now: number }): Promise<{ tripIds: number[] }> {
  return database.db.transaction(async (tx) => {
    const [school] = await tx.select().from(schools).where(eq(schools.name, DEMO_SCHOOL_NAME));
    if (!school) return { tripIds: [] };
    const today = localDate(school.timeZone, now);
    const midnightMs = zonedTimeToEpochMs(today, 0, school.timeZone);
    const startS = Math.ceil((now - midnightMs) / 60_000) * 60 + 60;
    // Unstarted demo trips of earlier days are stale: cancelled (today's are re-timed below).
    await tx
      .update(trips)
      .set({ status: 'cancelled', updatedAt: new Date(now) })
      .where(and(eq(trips.schoolId, school.id), eq(trips.status, 'planned'), lt(trips.serviceDate, today)));
    const routeRows = await tx.select().from(routes).where(eq(routes.schoolId, school.id)).orderBy(asc(routes.id));
    const busRows = await tx.select().from(buses).where(eq(buses.schoolId, school.id)).orderBy(asc(buses.id));
    const driverRows = await tx.select().from(drivers).where(eq(drivers.schoolId, school.id)).orderBy(asc(drivers.id));
    const attendantRows = await tx
      .select()
      .from(attendants)
      .where(eq(attendants.schoolId, school.id))
      .orderBy(asc(attendants.id));
    const tripIds: number[] = [];
    for (const [i, route] of routeRows.entries()) {
      const bus = busRows[i];
      if (!bus) break;
      const routeStops = await tx.select().from(stops).where(eq(stops.routeId, route.id)).orderBy(asc(stops.sequence));
      const first = routeStops.find((s) => s.scheduledS != null)?.scheduledS ?? startS;
      for (const s of routeStops)
        if (s.scheduledS != null)
          await tx
            .update(stops)
            .set({ scheduledS: s.scheduledS - first + startS })
            .where(eq(stops.id, s.id));
      await tx
        .update(routes)
        .set({ updatedAt: new Date(now) })
        .where(eq(routes.id, route.id));
      const plannedStartAt = new Date(midnightMs + startS * 1000);
      const [planned] = await tx
        .select({ id: trips.id })
        .from(trips)
        .where(and(eq(trips.routeId, route.id), eq(trips.serviceDate, today), eq(trips.status, 'planned')))
        .limit(1);
      const [trip] = planned
        ? await tx
            .update(trips)
            .set({ plannedStartAt, updatedAt: new Date(now) })
            .where(eq(trips.id, planned.id))
            .returning({ id: trips.id })
        : await tx
            .insert(trips)
            .values({
              schoolId: school.id,
              routeId: route.id,
              busId: bus.id,
              driverId: driverRows[i]?.id,
              attendantId: attendantRows[i]?.id,
              serviceDate: today,
              plannedStartAt,
            })
            .onConflictDoNothing()
            .returning({ id: trips.id });
      if (trip) tripIds.push(trip.id);
    }
    return { tripIds };
  });
}
