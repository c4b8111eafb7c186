// Routes with their approved path, ordered stops and speed zones.
import { boolean, date, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { schools } from './schools';

export interface LineStringGeometry {
  type: 'LineString';
  coordinates: [number, number][];
}
export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: [number, number][][];
}

export const routePeriods = ['morning', 'afternoon', 'other'] as const;
export const roadClasses = ['expressway', 'urban', 'rural', 'other'] as const;

export const routes = pgTable(
  'routes',
  {
    id: id(),
    schoolId: integer('school_id')
      .notNull()
      .references(() => schools.id),
    name: text('name').notNull(),
    period: text('period', { enum: routePeriods }).notNull().default('morning'),
    /** Approved path, GeoJSON LineString in [lon, lat]. */
    path: jsonb('path').$type<LineStringGeometry>().notNull(),
    corridorWidthM: integer('corridor_width_m').notNull().default(100),
    ruleOverrides: jsonb('rule_overrides').$type<Record<string, unknown>>().notNull().default({}),
    externalId: text('external_id'),
    /** Route approval (Art. 30): who approved it, the approval number and date; a route without them is unapproved. */
    approvedBy: text('approved_by'),
    approvalNumber: text('approval_number'),
    approvedOn: date('approved_on', { mode: 'string' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('routes_school_idx').on(t.schoolId)],
);

export const stops = pgTable(
  'stops',
  {
    id: id(),
    routeId: integer('route_id')
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    name: text('name').notNull(),
    lat: doublePrecision('lat').notNull(),
    lon: doublePrecision('lon').notNull(),
    radiusM: integer('radius_m').notNull().default(50),
    /** Scheduled time of day, seconds after local midnight of the service date (may exceed 24 h). */
    scheduledS: integer('scheduled_s'),
    externalId: text('external_id'),
  },
  (t) => [uniqueIndex('stops_route_seq_uq').on(t.routeId, t.sequence)],
);

export const speedZones = pgTable(
  'speed_zones',
  {
    id: id(),
    routeId: integer('route_id')
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    name: text('name'),
    polygon: jsonb('polygon').$type<PolygonGeometry>().notNull(),
    roadClass: text('road_class', { enum: roadClasses }).notNull().default('urban'),
    postedLimitKph: integer('posted_limit_kph'),
    hazard: boolean('hazard').notNull().default(false),
  },
  (t) => [index('speed_zones_route_idx').on(t.routeId)],
);
