import { z } from 'zod';
import { replaceStops, replaceZones, routeChildren } from '../../store/repos/routes-repo';
import { roadClasses, routePeriods, routes } from '../../store/schema';
import { MAX_ROUTE_POINTS } from '../../ingest/route-import';
import * as contract from '../contract/registry';
import type { ResourceDef, Row } from '../crud';
import {
  date,
  id,
  lat,
  lineString,
  lon,
  name,
  partialOf,
  polygon,
  ruleOverrides,
  secondsOfDay,
  timeOfDay,
  timeOfDayText,
} from './fields';

export const stopInput = z.object({
  name,
  lat,
  lon,
  sequence: z.number().int().min(0).optional(),
  radiusM: z.number().int().min(5).max(1000).optional(),
  scheduledTime: timeOfDay.optional(),
});

export const zoneInput = z.object({
  name: z.string().max(200).optional(),
  polygon,
  roadClass: z.enum(roadClasses).optional(),
  postedLimitKph: z.number().int().min(5).max(130).optional(),
  hazard: z.boolean().optional(),
});

/** A hand-made path is capped (imports simplify dense shapes to the same cap). */
const routePath = lineString.extend({
  coordinates: lineString.shape.coordinates.max(
    MAX_ROUTE_POINTS,
    `a route path holds at most ${MAX_ROUTE_POINTS} positions`,
  ),
});

const shape = {
  schoolId: id,
  name,
  period: z.enum(routePeriods).optional(),
  path: routePath,
  corridorWidthM: z.number().int().min(10).max(2000).optional(),
  ruleOverrides: ruleOverrides.optional(),
  externalId: z.string().max(100).optional(),
  approvedBy: z.string().trim().min(1).max(200).nullable().optional(),
  approvalNumber: z.string().trim().min(1).max(100).nullable().optional(),
  approvedOn: date.nullable().optional(),
  stops: z.array(stopInput).max(500).optional(),
  zones: z.array(zoneInput).max(2000).optional(),
};

const uniqueSequences = (r: { stops?: { sequence?: number }[] }) => {
  const seqs = (r.stops ?? []).map((s, i) => s.sequence ?? i + 1);
  return new Set(seqs).size === seqs.length;
};

export function stopRows(input: z.infer<typeof stopInput>[]) {
  return input.map((s, i) => ({
    name: s.name,
    lat: s.lat,
    lon: s.lon,
    sequence: s.sequence ?? i + 1,
    radiusM: s.radiusM,
    scheduledS: s.scheduledTime ? secondsOfDay(s.scheduledTime) : null,
  }));
}

export async function routeJson(db: Parameters<typeof routeChildren>[0], row: Row) {
  const { stops, zones } = await routeChildren(db, row.id);
  return {
    ...row,
    stops: stops.map(({ scheduledS, ...s }) => ({
      ...s,
      scheduledS,
      scheduledTime: scheduledS == null ? null : timeOfDayText(scheduledS),
    })),
    zones,
  };
}

export const routesResource: ResourceDef = {
  name: 'Route',
  path: 'routes',
  table: routes,
  filters: { schoolId: routes.schoolId },
  kind: 'route',
  createSchema: z
    .object(shape)
    .strict()
    .refine(uniqueSequences, { path: ['stops'], message: 'stop sequences must be unique' }),
  updateSchema: partialOf(shape, routes).refine(uniqueSequences, {
    path: ['stops'],
    message: 'stop sequences must be unique',
  }),
  row: contract.routeListRow,
  full: contract.routeWithStops,
  afterWrite: async (tx, row, body) => {
    if (body.stops) await replaceStops(tx, row.id, stopRows(body.stops));
    if (body.zones) await replaceZones(tx, row.id, body.zones);
  },
  expand: routeJson,
  // Lists stay light: a route's geometry comes with GET /routes/{id}, or with ?include=geometry on the list.
  listOmits: { geometry: ['path'] },
};
