// One implementation of list / get / create / update / delete for the registry resources,
// with scope checks, reference checks, transactions and OpenAPI entries.
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { DbOrTx } from '../store/db';
import { type ObjectKind, rolesText } from '../auth/policy';
import { accessOf } from './access';
import type { AppDeps, AppEnv, Ctx } from './context';
import { pageOf } from './contract/common';
import { badRequest, notFound } from './errors';
import type { ApiRegistry } from './openapi';
import { idParam, pagination, parseBody, parseId, parseQuery } from './validate';

// Drizzle's table types are too precise to abstract over; the factory works on rows as plain records.
/* eslint-disable @typescript-eslint/no-explicit-any -- rows and schemas of any of the nine registry tables */
export type Row = Record<string, any>;
type AnyTable = PgTable & { id: PgColumn } & Record<string, any>;

export interface Reference {
  table: AnyTable;
  what: string;
  /** The referenced object must belong to the same school (it has a schoolId column). */
  sameSchool?: boolean;
}

export interface ResourceDef {
  /** Singular name for messages ("Bus"). */
  name: string;
  /** URL segment ("buses"). */
  path: string;
  table: AnyTable;
  createSchema: z.ZodObject<any>;
  /** partialOf(shape, table) (./resources/fields): a field left out keeps its value, null clears a nullable column. */
  updateSchema: z.ZodObject<any>;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  /** The JSON of a row in a list (src/http/contract/registry). */
  row: z.ZodType;
  /** The JSON of one object, as get, create and update answer it (the row with what expand adds; default row). */
  full?: z.ZodType;
  /** Integer query filters: query name → column. */
  filters?: Record<string, PgColumn>;
  /** The kind of object for the authorization policy (src/auth/policy.ts): who reads and writes which rows. */
  kind: Exclude<ObjectKind, 'compliance'>;
  /** Fields that reference other objects, checked to exist (and be in the same school) on write. */
  refs?: Record<string, Reference>;
  /** The column holding the school (default: schoolId; the schools table uses its id). */
  schoolColumn?: PgColumn;
  /** Only admins create (schools). */
  adminCreates?: boolean;
  /** Turns the validated body into column values (hashing secrets, deriving school). */
  prepare?: (tx: DbOrTx, body: Row, existing: Row | undefined) => Promise<Row>;
  /** Writes owned children (stops, links) after the row; runs in the same transaction. */
  afterWrite?: (tx: DbOrTx, row: Row, body: Row, existing: Row | undefined) => Promise<void>;
  /** Adds owned children to the JSON of one object. */
  expand?: (db: DbOrTx, row: Row) => Promise<Row>;
  /** Runs after a committed create, update or delete (cache invalidation). */
  onChanged?: (deps: AppDeps, row: Row | undefined, existing: Row | undefined) => void;
  /** Hides secrets. */
  toJson?: (row: Row) => Row;
  /** Heavy columns left out of list items unless the caller asks with ?include=<name> (e.g. geometry → path). */
  listOmits?: Record<string, string[]>;
  /** Owned children added to list items when the caller asks with ?include=<name> (one query for the whole page). */
  listExpands?: Record<string, (db: DbOrTx, rows: Row[]) => Promise<Row[]>>;
}

export function registerCrud(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps, def: ResourceDef) {
  const t = def.table;
  const schoolKey = def.schoolColumn ? 'id' : 'schoolId';
  const schoolOf = (row: Row) => row[schoolKey] as number;
  const toJson = def.toJson ?? ((row: Row) => row);
  const filterKeys = Object.keys(def.filters ?? {});
  const includeNames = [...Object.keys(def.listOmits ?? {}), ...Object.keys(def.listExpands ?? {})];
  const listQuery = pagination.extend({
    ...Object.fromEntries(filterKeys.map((k) => [k, idParam.optional()])),
    ...(includeNames.length
      ? {
          include: z
            .string()
            .regex(
              new RegExp(`^(${includeNames.join('|')})(,(${includeNames.join('|')}))*$`),
              `one or more of ${includeNames.join(', ')}`,
            )
            .optional(),
        }
      : {}),
  });
  const tag = def.name;
  const db = () => deps.database.db;
  const access = (c: Ctx) => accessOf(c, deps);

  const load = async (tx: DbOrTx, id: number): Promise<Row> => {
    const rows = await tx
      .select()
      .from(t as never)
      .where(eq(t.id, id))
      .limit(1);
    if (!rows[0]) throw notFound(def.name);
    return rows[0] as Row;
  };

  const checkRefs = async (tx: DbOrTx, values: Row, schoolId: number) => {
    for (const [field, ref] of Object.entries(def.refs ?? {})) {
      const id = values[field];
      if (id == null) continue;
      const rows = (await tx
        .select()
        .from(ref.table as never)
        .where(eq(ref.table.id, id))
        .limit(1)) as Row[];
      const target = rows[0];
      if (!target)
        throw badRequest(
          `${ref.what} ${id} does not exist`,
          [{ path: field, message: 'unknown id', code: 'unknown_reference' }],
          'invalid_reference',
        );
      if (ref.sameSchool && target.schoolId !== schoolId)
        throw badRequest(
          `${ref.what} ${id} belongs to another school`,
          [{ path: field, message: 'other school', code: 'other_school' }],
          'invalid_reference',
        );
    }
  };

  const one = def.full ?? def.row;
  api.route(
    app,
    {
      method: 'get',
      path: `/${def.path}`,
      summary: `List ${def.path}`,
      tag,
      roles: rolesText(def.kind),
      query: listQuery,
      responses: { 200: pageOf(def.row) },
    },
    async (c) => {
      const a = access(c);
      const q = parseQuery(c, listQuery) as Row;
      const conds: SQL[] = [];
      const scope = await a.listWhere(def.kind);
      if (scope) conds.push(scope);
      for (const k of filterKeys) if (q[k] != null) conds.push(eq(def.filters![k]!, q[k]));
      if (q.cursor != null) conds.push(gt(t.id, q.cursor));
      const rows = (await db()
        .select()
        .from(t as never)
        .where(conds.length ? and(...conds) : undefined)
        .orderBy(asc(t.id))
        .limit(q.limit + 1)) as Row[];
      const page = rows.slice(0, q.limit);
      const included = new Set(String(q.include ?? '').split(','));
      const omitted = Object.entries(def.listOmits ?? {}).flatMap(([name, cols]) => (included.has(name) ? [] : cols));
      const light = (row: Row) =>
        omitted.length ? Object.fromEntries(Object.entries(row).filter(([k]) => !omitted.includes(k))) : row;
      let items = page.map(light);
      for (const [name, expand] of Object.entries(def.listExpands ?? {}))
        if (included.has(name) && items.length) items = await expand(db(), items);
      return c.json({
        items: items.map(toJson),
        nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
      });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: `/${def.path}/{id}`,
      summary: `Get one ${def.name.toLowerCase()}`,
      tag,
      roles: rolesText(def.kind),
      responses: { 200: one },
    },
    async (c) => {
      const a = access(c);
      const row = await load(db(), parseId(c));
      await a.assert('read', def.kind, row.id as number);
      const full = def.expand ? await def.expand(db(), row) : row;
      return c.json(toJson(full));
    },
  );

  api.route(
    app,
    {
      method: 'post',
      path: `/${def.path}`,
      summary: `Create a ${def.name.toLowerCase()}`,
      tag,
      roles: def.adminCreates ? 'admin' : 'admin, manager (own schools)',
      body: def.createSchema,
      responses: { 201: one },
    },
    async (c) => {
      const a = access(c);
      a.requireAction('create', def.kind);
      const body = (await parseBody(c, def.createSchema)) as Row;
      const created = await db().transaction(async (tx) => {
        const values = def.prepare ? await def.prepare(tx, body, undefined) : body;
        if (!def.adminCreates) {
          a.check('create', { kind: def.kind, schoolId: schoolOf(values) });
          await checkRefs(tx, values, schoolOf(values));
        }
        const [row] = (await tx
          .insert(t)
          .values(columnValues(t, values) as never)
          .returning()) as Row[];
        if (def.afterWrite) await def.afterWrite(tx, row!, body, undefined);
        return def.expand ? def.expand(tx, row!) : row!;
      });
      def.onChanged?.(deps, created, undefined);
      return c.json(toJson(created), 201);
    },
  );

  api.route(
    app,
    {
      method: 'patch',
      path: `/${def.path}/{id}`,
      summary: `Update a ${def.name.toLowerCase()}`,
      tag,
      roles: 'admin, manager (own schools)',
      body: def.updateSchema,
      responses: { 200: one },
    },
    async (c) => {
      const a = access(c);
      a.requireAction('update', def.kind);
      const id = parseId(c);
      const body = (await parseBody(c, def.updateSchema)) as Row;
      let before: Row | undefined;
      const updated = await db().transaction(async (tx) => {
        const existing = await load(tx, id);
        before = existing;
        a.check('update', { kind: def.kind, schoolId: schoolOf(existing) });
        const values = def.prepare ? await def.prepare(tx, body, existing) : body;
        if ('schoolId' in values && values.schoolId !== existing.schoolId)
          a.check('create', { kind: def.kind, schoolId: values.schoolId });
        await checkRefs(tx, values, schoolOf({ ...existing, ...values }));
        const cols = columnValues(t, values);
        if ('updatedAt' in t) cols.updatedAt = new Date(deps.now());
        const [row] = Object.keys(cols).length
          ? ((await tx
              .update(t)
              .set(cols as never)
              .where(eq(t.id, id))
              .returning()) as Row[])
          : [existing];
        if (def.afterWrite) await def.afterWrite(tx, row!, body, existing);
        return def.expand ? def.expand(tx, row!) : row!;
      });
      def.onChanged?.(deps, updated, before);
      return c.json(toJson(updated));
    },
  );

  api.route(
    app,
    {
      method: 'delete',
      path: `/${def.path}/{id}`,
      summary: `Delete a ${def.name.toLowerCase()}`,
      tag,
      roles: 'admin, manager (own schools)',
      responses: { 204: null },
    },
    async (c) => {
      const a = access(c);
      a.requireAction('delete', def.kind);
      const id = parseId(c);
      const removed = await db().transaction(async (tx) => {
        const existing = await load(tx, id);
        a.check('delete', { kind: def.kind, schoolId: schoolOf(existing) });
        await tx.delete(t).where(eq(t.id, id));
        return existing;
      });
      def.onChanged?.(deps, undefined, removed);
      return c.body(null, 204);
    },
  );
}

/** Keeps only keys that are columns of the table (bodies may carry nested children). */
function columnValues(t: AnyTable, values: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(values)) {
    if (k === 'id' || v === undefined) continue;
    const col = (t as Row)[k];
    if (col && typeof col === 'object' && 'columnType' in col) out[k] = v;
  }
  return out;
}
