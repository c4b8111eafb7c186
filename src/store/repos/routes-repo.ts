// Routes with their ordered stops and speed zones.
import { and, asc, eq, inArray, notInArray } from 'drizzle-orm';
import type { DbOrTx } from '../db';
import { routes, speedZones, stops } from '../schema';
import type { LineStringGeometry, PolygonGeometry } from '../schema/routes';

export interface StopInput {
  name: string;
  lat: number;
  lon: number;
  sequence: number;
  radiusM?: number;
  scheduledS?: number | null;
  externalId?: string;
}

export interface ZoneInput {
  name?: string;
  polygon: PolygonGeometry;
  roadClass?: 'expressway' | 'urban' | 'rural' | 'other';
  postedLimitKph?: number | null;
  hazard?: boolean;
}

/**
 * Makes the route's stops equal to `input`, matched by sequence: existing stops are updated in place
 * (so students keep their stop assignment), new ones inserted, the rest deleted.
 */
export async function replaceStops(tx: DbOrTx, routeId: number, input: StopInput[]): Promise<void> {
  const existing = await tx.select().from(stops).where(eq(stops.routeId, routeId));
  const bySeq = new Map(existing.map((s) => [s.sequence, s]));
  const keep = input.map((s) => s.sequence);
  await tx
    .delete(stops)
    .where(and(eq(stops.routeId, routeId), keep.length ? notInArray(stops.sequence, keep) : undefined));
  for (const s of input) {
    const values = {
      name: s.name,
      lat: s.lat,
      lon: s.lon,
      radiusM: s.radiusM ?? 50,
      scheduledS: s.scheduledS ?? null,
      externalId: s.externalId ?? null,
    };
    const old = bySeq.get(s.sequence);
    if (old) await tx.update(stops).set(values).where(eq(stops.id, old.id));
    else await tx.insert(stops).values({ routeId, sequence: s.sequence, ...values });
  }
}

export async function replaceZones(tx: DbOrTx, routeId: number, input: ZoneInput[]): Promise<void> {
  await tx.delete(speedZones).where(eq(speedZones.routeId, routeId));
  if (input.length) await tx.insert(speedZones).values(input.map((z) => ({ routeId, ...z })));
}

export async function routeChildren(db: DbOrTx, routeId: number) {
  const [stopRows, zoneRows] = await Promise.all([
    db.select().from(stops).where(eq(stops.routeId, routeId)).orderBy(asc(stops.sequence)),
    db.select().from(speedZones).where(eq(speedZones.routeId, routeId)).orderBy(asc(speedZones.id)),
  ]);
  return { stops: stopRows, zones: zoneRows };
}

export async function stopsOfRoutes(db: DbOrTx, routeIds: number[]) {
  if (!routeIds.length) return [];
  return db.select().from(stops).where(inArray(stops.routeId, routeIds));
}

export interface NewRoute {
  schoolId: number;
  name: string;
  period?: 'morning' | 'afternoon' | 'other';
  path: LineStringGeometry;
  corridorWidthM?: number;
  externalId?: string;
  /** Route approval (Art. 30); imported routes come without it and wait for a manager to record it. */
  approvedBy?: string | null;
  approvalNumber?: string | null;
  approvedOn?: string | null;
}

export async function insertRoute(tx: DbOrTx, route: NewRoute, stopInput: StopInput[], zoneInput: ZoneInput[] = []) {
  const [row] = await tx.insert(routes).values(route).returning();
  await replaceStops(tx, row!.id, stopInput);
  await replaceZones(tx, row!.id, zoneInput);
  return row!;
}
