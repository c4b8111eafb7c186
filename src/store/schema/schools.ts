import { boolean, doublePrecision, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';

/** What the school is: kindergartens have their own bus capacity cap (GB 24407: 45). */
export const schoolKinds = ['kindergarten', 'primary', 'secondary', 'other'] as const;

/** The school's language: what its reports are in unless the reader asks for another (?lang=). */
export const schoolLanguages = ['zh-CN', 'en'] as const;

export const schools = pgTable('schools', {
  id: id(),
  name: text('name').notNull().unique(),
  timeZone: text('time_zone').notNull().default('Asia/Shanghai'),
  kind: text('kind', { enum: schoolKinds }).notNull().default('primary'),
  language: text('language', { enum: schoolLanguages }).notNull().default('zh-CN'),
  lat: doublePrecision('lat'),
  lon: doublePrecision('lon'),
  /** Manual "low visibility" switch (R1 hazard limit applies to every bus of the school). */
  lowVisibility: boolean('low_visibility').notNull().default(false),
  /** Overrides of the rule preset for this school (partial preset object). */
  ruleOverrides: jsonb('rule_overrides').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
