// Reports: generated on schedule or on demand, stored, and served as JSON, CSV or a printable HTML page.
import { type ReportLang, reportLangs } from '../../reports/text';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { ReportData } from '../../reports/build';
import { generateReport, UnknownSchoolError } from '../../reports/generate';
import { parsePeriodKey, type PeriodKind } from '../../reports/period';
import { reportCsv, reportHtml } from '../../reports/render';
import { caseListCsv, caseListHtml } from '../../reports/render-list';
import { zoneOffsetMin } from '../../core/time-zone';
import type { DbOrTx } from '../../store/db';
import { getReport, listReports, type ReportRow, schoolLanguage } from '../../store/repos/report-repo';
import { reportKinds } from '../../store/schema';
import { type Access, accessOf } from '../access';
import type { AppDeps, AppEnv } from '../context';
import { badRequest, notFound } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { decimalInt, idParam, parseBody, parseId, parseQuery } from '../validate';
import { id } from './fields';

const createBody = z
  .object({
    /** null or absent: the district report (admins only). */
    schoolId: id.nullable().optional(),
    /** 2026-09-01 (daily), 2026-W36 (weekly, ISO week), 2026-09 (monthly), 2026-H1 (half year, term) or 2026. */
    period: z.string().max(10),
    kind: z.enum(reportKinds).optional(),
  })
  .strict();

const listQuery = z
  .object({
    schoolId: idParam.optional(),
    kind: z.enum(reportKinds).optional(),
    limit: decimalInt({ min: 1, max: 200 }).default(50),
    cursor: idParam.optional(),
  })
  .strict();

/**
 * ?lang= the reader's language for the CSV labels and the HTML (headings, kind and severity names); without it, a
 * school's report is in the school's language and the district report in the deployment's own, zh-CN.
 */
const getQuery = z
  .object({ format: z.enum(['json', 'csv', 'html']).default('json'), lang: z.enum(reportLangs).optional() })
  .strict();
const listOfCasesQuery = z
  .object({ format: z.enum(['json', 'csv', 'html']).default('json'), lang: z.enum(reportLangs).optional() })
  .strict();

/** The asked language, else the school's (a school's report), else zh-CN (the district report). */
async function readerLang(db: DbOrTx, asked: ReportLang | undefined, row: ReportRow): Promise<ReportLang> {
  if (asked) return asked;
  return (row.schoolId != null ? await schoolLanguage(db, row.schoolId) : undefined) ?? 'zh-CN';
}

/** A report of a school is for its managers; the district report (schoolId null) for admins. */
function assertMayRead(a: Access, schoolId: number | null) {
  a.check('read', { kind: 'report', schoolId });
}

const meta = (r: ReportRow) => ({
  id: r.id,
  kind: r.kind,
  schoolId: r.schoolId,
  periodKey: r.periodKey,
  periodStart: r.periodStart,
  periodEnd: r.periodEnd,
  timeZone: r.timeZone,
  generatedAt: r.generatedAt,
  source: r.source,
});

export function registerReports(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Reports';
  const roles =
    'admin (district and schools), manager (own schools), supervisor (overseen schools; the district when over every school)';

  api.route(
    app,
    {
      method: 'post',
      path: '/reports',
      summary: 'Generate (and store) a daily, weekly or monthly report now; regenerating replaces the stored one',
      tag,
      roles,
      body: createBody,
      responses: { 201: contract.report },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('create', 'report');
      const body = await parseBody(c, createBody);
      const schoolId = body.schoolId ?? null;
      a.check('create', { kind: 'report', schoolId });
      const period = parsePeriodKey(body.period);
      if (!period)
        throw badRequest(
          'period must be YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-H1/H2 or YYYY',
          [{ path: 'period', message: 'malformed period' }],
          'validation_failed',
        );
      if (body.kind && body.kind !== period.kind)
        throw badRequest(
          `period ${body.period} is ${period.kind}, not ${body.kind}`,
          [{ path: 'kind', message: 'does not match period' }],
          'validation_failed',
        );
      try {
        const { row, data } = await generateReport(db(), {
          schoolId,
          period: { ...period, kind: period.kind as PeriodKind },
          nowMs: deps.now(),
          source: 'api',
          requestedByUserId: a.principal.userId,
        });
        return c.json({ ...meta(row), data }, 201);
      } catch (err) {
        if (err instanceof UnknownSchoolError)
          throw badRequest(err.message, [{ path: 'schoolId', message: 'unknown id' }], 'invalid_reference');
        throw err;
      }
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/reports',
      summary: 'List stored reports (newest first)',
      tag,
      roles,
      query: listQuery,
      responses: { 200: contract.reportPage },
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'report');
      const q = parseQuery(c, listQuery);
      const page = await listReports(db(), {
        schoolId: q.schoolId,
        schoolIds: a.schoolScope('report', q.schoolId),
        includeDistrict: a.allows('read', { kind: 'report', schoolId: null }),
        kind: q.kind,
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(page);
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/reports/{id}',
      summary:
        'One stored report: ?format=json (default), csv (UTF-8 with a BOM), or html (printable, inline SVG charts, every row of every breakdown); ?lang=zh-CN or en for the CSV labels and the HTML (default: the school’s language; zh-CN for the district report)',
      tag,
      roles,
      query: getQuery,
      responses: { 200: contract.report },
      alsoAs: ['text/csv', 'text/html'],
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'report');
      const row = await getReport(db(), parseId(c));
      if (!row) throw notFound('Report');
      assertMayRead(a, row.schoolId);
      const q = parseQuery(c, getQuery);
      const data = row.data as unknown as ReportData;
      const file = `report-${row.scope.replace(':', '-')}-${row.periodKey}`;
      if (q.format === 'csv') {
        c.header('content-type', 'text/csv; charset=utf-8');
        c.header('content-disposition', `attachment; filename="${file}.csv"`);
        // A UTF-8 byte-order mark first: Excel on Chinese Windows then reads plates and names right.
        return c.body(`\uFEFF${reportCsv(data, await readerLang(db(), q.lang, row))}`);
      }
      if (q.format === 'html') {
        c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
        return c.html(reportHtml(data, await readerLang(db(), q.lang, row), (ms) => zoneOffsetMin(row.timeZone, ms)));
      }
      return c.json({ ...meta(row), data });
    },
  );

  api.route(
    app,
    {
      method: 'get',
      path: '/reports/{id}/cases',
      summary:
        'The list (清单) of a stored report: every case of the period (id, school, kind, bus, driver, opened, owner, due, status, closed, closing note) as JSON, CSV (UTF-8 with BOM) or HTML; ?lang=zh-CN or en (default: the school’s language; zh-CN for the district report)',
      tag,
      roles,
      query: listOfCasesQuery,
      responses: { 200: contract.caseList },
      alsoAs: ['text/csv', 'text/html'],
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'report');
      const row = await getReport(db(), parseId(c));
      if (!row) throw notFound('Report');
      assertMayRead(a, row.schoolId);
      const q = parseQuery(c, listOfCasesQuery);
      const data = row.data as unknown as ReportData;
      const offset = (ms: number) => zoneOffsetMin(row.timeZone, ms);
      const file = `cases-${row.scope.replace(':', '-')}-${row.periodKey}`;
      if (q.format === 'csv') {
        c.header('content-type', 'text/csv; charset=utf-8');
        c.header('content-disposition', `attachment; filename="${file}.csv"`);
        return c.body(caseListCsv(data, await readerLang(db(), q.lang, row), offset));
      }
      if (q.format === 'html') {
        c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
        return c.html(caseListHtml(data, await readerLang(db(), q.lang, row), offset));
      }
      return c.json({
        reportId: row.id,
        periodKey: row.periodKey,
        schoolId: row.schoolId,
        items: data.caseList?.items ?? [],
        truncated: data.caseList?.truncated ?? false,
      });
    },
  );
}
