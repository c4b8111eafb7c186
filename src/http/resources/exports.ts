// The manager's lists as CSV files (UTF-8 with a byte-order mark, cells guarded against spreadsheet formulas, as
// the report lists are): the violations list with the same filters and sort as GET /violations, and the bus,
// driver and student registries. Headers and codes in zh-CN (default) or English; times in each school's zone.
import type { Hono } from 'hono';
import { z } from 'zod';
import { zoneOffsetMin } from '../../core/time-zone';
import { kindLabel, severityLabel, statusLabel } from '../../reports/labels';
import { BOM, csvCell } from '../../reports/render-list';
import { type ReportLang, reportLangs } from '../../reports/text';
import {
  busesForExport,
  driversForExport,
  studentsForExport,
  violationsForExport,
} from '../../store/repos/exports-repo';
import { violationSorts } from '../../store/repos/violations-repo';
import { type Access, accessOf } from '../access';
import type { AppDeps, AppEnv, Ctx } from '../context';
import { forbidden } from '../errors';
import * as contract from '../contract';
import type { ApiRegistry } from '../openapi';
import { parseQuery } from '../validate';
import { scopedFilter, violationFilterQuery } from './violations';

/** At most this many violations in one file (the newest first by default). */
export const EXPORT_MAX_ROWS = 20_000;

const langQuery = z
  .object({ lang: z.enum(reportLangs).default('zh-CN'), format: z.enum(['csv', 'json']).default('csv') })
  .strict();
const violationsQuery = violationFilterQuery.extend({
  lang: z.enum(reportLangs).default('zh-CN'),
  format: z.enum(['csv', 'json']).default('csv'),
  sort: z.enum(violationSorts).default('-time'),
});

const words = {
  'zh-CN': {
    id: '编号',
    school: '学校',
    kind: '类型',
    severity: '等级',
    status: '状态',
    bus: '车辆',
    driver: '驾驶人',
    started: '发生时间',
    ended: '结束时间',
    peak: '峰值',
    limit: '限值',
    owner: '负责人',
    due: '整改期限',
    overdue: '逾期',
    yes: '是',
    no: '否',
    plate: '车牌',
    capacity: '核载人数',
    seats: '座位数',
    signNumber: '校车标牌号',
    signValid: '标牌有效期',
    inspectionValid: '检验有效期',
    busStatus: '车辆状态',
    name: '姓名',
    phone: '电话',
    licenceClass: '准驾车型',
    licenceValid: '驾驶证有效期',
    endorsement: '校车驾驶资格',
    certNo: '从业资格证号',
    certExpiry: '从业资格证有效期',
    annualReview: '上次年审',
    grade: '年级',
    card: '学生卡号',
    'bus.active': '在用',
    'bus.maintenance': '维修',
    'bus.retired': '停用',
  },
  en: {
    id: 'Case',
    school: 'School',
    kind: 'Kind',
    severity: 'Severity',
    status: 'Status',
    bus: 'Bus',
    driver: 'Driver',
    started: 'Started',
    ended: 'Ended',
    peak: 'Peak',
    limit: 'Limit',
    owner: 'Owner',
    due: 'Due',
    overdue: 'Overdue',
    yes: 'yes',
    no: 'no',
    plate: 'Plate',
    capacity: 'Approved capacity',
    seats: 'Seats',
    signNumber: 'School-bus sign number',
    signValid: 'Sign valid until',
    inspectionValid: 'Inspection valid until',
    busStatus: 'Bus status',
    name: 'Name',
    phone: 'Phone',
    licenceClass: 'Licence class',
    licenceValid: 'Licence valid until',
    endorsement: 'School-bus endorsement',
    certNo: 'Qualification certificate',
    certExpiry: 'Certificate valid until',
    annualReview: 'Last annual review',
    grade: 'Grade',
    card: 'Card',
    'bus.active': 'active',
    'bus.maintenance': 'maintenance',
    'bus.retired': 'retired',
  },
} as const;

/** A CSV file: the byte-order mark, then one line per row (CRLF), every cell through the report's guard. */
export function csvFile(rows: unknown[][]): string {
  return BOM + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** YYYY-MM-DD HH:MM in a time zone. */
function localText(d: Date | null, timeZone: string | null): string {
  if (!d) return '';
  const ms = d.getTime();
  return new Date(ms + zoneOffsetMin(timeZone ?? 'Asia/Shanghai', ms) * 60_000)
    .toISOString()
    .slice(0, 16)
    .replace('T', ' ');
}

/** The table as CSV (the default) or as JSON (`{ columns, rows }`, the same cells). */
function sendTable(c: Ctx, name: string, format: 'csv' | 'json', [columns, ...rows]: unknown[][]) {
  if (format === 'json') return c.json({ columns, rows });
  c.header('content-type', 'text/csv; charset=utf-8');
  c.header('content-disposition', `attachment; filename="${name}.csv"`);
  return c.body(csvFile([columns!, ...rows]));
}

/** Staff only: a guardian's, attendant's or device's own scope is not a list to export. */
function staffOnly(a: Access) {
  if (a.role !== 'admin' && a.role !== 'manager' && a.role !== 'supervisor')
    throw forbidden(`A ${a.role} may not export lists`);
}

export function registerExports(app: Hono<AppEnv>, api: ApiRegistry, deps: AppDeps) {
  const db = () => deps.database.db;
  const tag = 'Exports';
  const tableResponse = { 200: contract.exportTable };

  api.route(
    app,
    {
      method: 'get',
      path: '/exports/violations',
      summary: `The violations list as CSV (UTF-8 with BOM, the default) or JSON ({columns, rows}, ?format=json): the filters and sort of GET /violations, at most ${EXPORT_MAX_ROWS} rows; ?lang=zh-CN (default) or en`,
      tag,
      roles: 'admin, manager (own schools), supervisor (overseen schools)',
      query: violationsQuery,
      responses: tableResponse,
      alsoAs: ['text/csv'],
    },
    async (c) => {
      const a = accessOf(c, deps);
      a.requireAction('read', 'violation');
      const { lang, sort, format, ...filters } = parseQuery(c, violationsQuery);
      const w = words[lang as ReportLang];
      const rows = await violationsForExport(db(), scopedFilter(a, filters), {
        sort,
        limit: EXPORT_MAX_ROWS,
        nowMs: a.nowMs,
      });
      const overdue = (r: (typeof rows)[number]['row']) =>
        r.dueAt != null && r.dueAt.getTime() < a.nowMs && ['open', 'acknowledged', 'rectifying'].includes(r.status);
      return sendTable(c, 'violations', format, [
        [
          w.id,
          w.school,
          w.kind,
          w.severity,
          w.status,
          w.bus,
          w.driver,
          w.started,
          w.ended,
          w.peak,
          w.limit,
          w.owner,
          w.due,
          w.overdue,
        ],
        ...rows.map(({ row: r, school, timeZone, plate, driver, owner }) => [
          r.id,
          school ?? '',
          kindLabel(r.kind, lang),
          severityLabel(r.severity, lang),
          statusLabel(r.status, lang),
          plate ?? '',
          driver ?? '',
          localText(r.startedAt, timeZone),
          localText(r.endedAt, timeZone),
          r.peakValue == null ? '' : Math.round(r.peakValue * 10) / 10,
          r.limitValue == null ? '' : Math.round(r.limitValue * 10) / 10,
          owner ?? '',
          localText(r.dueAt, timeZone),
          overdue(r) ? w.yes : w.no,
        ]),
      ]);
    },
  );

  /** A registry list the caller may read, as a table of words in the asked language. */
  const registryExport = (
    list: 'buses' | 'drivers' | 'students',
    roles: string,
    table: (a: Access, w: (typeof words)[ReportLang]) => Promise<unknown[][]>,
  ) =>
    api.route(
      app,
      {
        method: 'get',
        path: `/exports/${list}`,
        summary: `The ${list} the caller may read, as CSV (UTF-8 with BOM, the default) or JSON ({columns, rows}, ?format=json); ?lang=zh-CN (default) or en`,
        tag,
        roles,
        query: langQuery,
        responses: tableResponse,
        alsoAs: ['text/csv'],
      },
      async (c) => {
        const a = accessOf(c, deps);
        staffOnly(a);
        const { lang, format } = parseQuery(c, langQuery);
        return sendTable(c, list, format, await table(a, words[lang]));
      },
    );

  registryExport('buses', 'admin, manager (own schools), supervisor (overseen schools)', async (a, w) => [
    [w.plate, w.school, w.capacity, w.seats, w.signNumber, w.signValid, w.inspectionValid, w.busStatus],
    ...(await busesForExport(db(), await a.listWhere('bus'))).map(({ bus: b, school }) => [
      b.plate,
      school,
      b.approvedCapacity,
      b.seats ?? '',
      b.signNumber ?? '',
      b.signValidUntil ?? '',
      b.inspectionValidUntil ?? '',
      w[`bus.${b.status}`],
    ]),
  ]);

  registryExport('drivers', 'admin, manager (own schools), supervisor (overseen schools)', async (a, w) => [
    [w.name, w.school, w.phone, w.licenceClass, w.licenceValid, w.endorsement, w.certNo, w.certExpiry, w.annualReview],
    ...(await driversForExport(db(), await a.listWhere('driver'))).map(({ driver: d, school }) => [
      d.name,
      school,
      d.phone ?? '',
      d.licenceClass,
      d.licenceValidUntil ?? '',
      d.schoolBusEndorsement ? w.yes : w.no,
      d.qualificationCertNo ?? '',
      d.qualificationCertExpiry ?? '',
      d.lastAnnualReview ?? '',
    ]),
  ]);

  registryExport('students', 'admin, manager (own schools)', async (a, w) => [
    [w.name, w.school, w.grade, w.card],
    ...(await studentsForExport(db(), await a.listWhere('student'))).map(({ student: st, school }) => [
      st.name,
      school,
      st.grade ?? '',
      st.cardId ?? '',
    ]),
  ]);
}
