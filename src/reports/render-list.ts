// The list (清单) of a report's cases and the district's per-school table with the ranking: CSV (UTF-8 with a
// byte-order mark, so spreadsheet programs read the Chinese text) and HTML sections, in zh-CN or English.
import type { CaseListItem, ReportData, SchoolRow } from './build';
import { kindLabel, severityLabel, statusLabel } from './labels';
import type { ReportLang } from './text';

export const BOM = '\uFEFF';

/**
 * One CSV cell. Text that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
 * return: a school, route or driver name such as `=HYPERLINK(…)`) is prefixed with an apostrophe and quoted, so it
 * stays text; numbers (a negative change) are written as they are.
 */
export function csvCell(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = v == null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n\t']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const words = {
  'zh-CN': {
    list: '隐患排查整治清单',
    perSchool: '各校情况',
    ranking: '排名',
    id: '编号',
    school: '学校',
    kind: '类型',
    severity: '等级',
    bus: '车辆',
    driver: '驾驶人',
    opened: '发现时间',
    owner: '责任人',
    due: '整改期限',
    status: '状态',
    overdue: '逾期',
    escalated: '挂牌督办',
    closed: '销账时间',
    closingNote: '整改情况',
    carriedOver: '上期结转',
    yes: '是',
    no: '否',
    rank: '名次',
    violations: '违规数',
    byKind: '按类型',
    opened2: '立案',
    closed2: '销账',
    rectificationRate: '整改率',
    tripsRun: '运行趟次',
    perTrip: '每趟违规',
    onTime: '准点率',
    uptime: '设备在线率',
    dailyChecks: '日检完成率',
    weeklyInspections: '周检完成率',
    none: '无',
    truncated: '清单过长，仅列出前',
  },
  en: {
    list: 'List of hazards and their rectification',
    perSchool: 'Schools',
    ranking: 'Ranking',
    id: 'id',
    school: 'school',
    kind: 'kind',
    severity: 'severity',
    bus: 'bus',
    driver: 'driver',
    opened: 'opened',
    owner: 'owner',
    due: 'due',
    status: 'status',
    overdue: 'overdue',
    escalated: 'escalated',
    closed: 'closed',
    closingNote: 'closing note',
    carriedOver: 'carried over',
    yes: 'yes',
    no: 'no',
    rank: 'rank',
    violations: 'violations',
    byKind: 'by kind',
    opened2: 'opened',
    closed2: 'closed',
    rectificationRate: 'rectification rate',
    tripsRun: 'trips run',
    perTrip: 'violations per trip',
    onTime: 'on-time rate',
    uptime: 'device uptime',
    dailyChecks: 'daily checks done',
    weeklyInspections: 'weekly inspections done',
    none: 'none',
    truncated: 'The list is long; only the first rows are shown:',
  },
} as const;

export const listWords = (lang: ReportLang) => words[lang];

const esc = (v: unknown) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const pct = (x: number | null) => (x == null ? '—' : `${(x * 100).toFixed(1)} %`);

/** An instant as local time of the report's zone: 2026-09-01 08:30. */
function localTime(iso: string | null, offsetMin: (ms: number) => number): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return new Date(ms + offsetMin(ms) * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

function listRow(c: CaseListItem, lang: ReportLang, at: (iso: string | null) => string): unknown[] {
  const w = words[lang];
  return [
    c.id,
    c.school,
    kindLabel(c.kind, lang),
    severityLabel(c.severity, lang),
    c.bus ?? '',
    c.driver ?? '',
    at(c.openedAt),
    c.owner ?? '',
    at(c.dueAt),
    statusLabel(c.status, lang),
    c.overdue ? w.yes : w.no,
    c.escalatedAt ? `${w.yes} ${at(c.escalatedAt)}` : w.no,
    at(c.closedAt),
    c.closingNote ?? '',
    c.carriedOver ? w.yes : w.no,
  ];
}

const listHeaders = (lang: ReportLang) => {
  const w = words[lang];
  return [
    w.id,
    w.school,
    w.kind,
    w.severity,
    w.bus,
    w.driver,
    w.opened,
    w.owner,
    w.due,
    w.status,
    w.overdue,
    w.escalated,
    w.closed,
    w.closingNote,
    w.carriedOver,
  ];
};

/** The list as CSV: a byte-order mark, a header row, one row per case; times local to the report's zone. */
export function caseListCsv(r: ReportData, lang: ReportLang, offsetMin: (ms: number) => number): string {
  const at = (iso: string | null) => localTime(iso, offsetMin);
  const rows = [listHeaders(lang), ...(r.caseList?.items ?? []).map((c) => listRow(c, lang, at))];
  return BOM + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function table(headers: readonly string[], rows: unknown[][], none: string): string {
  if (!rows.length) return `<p class="muted">${esc(none)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The list as an HTML section. */
export function caseListSection(r: ReportData, lang: ReportLang, offsetMin: (ms: number) => number): string {
  const w = words[lang];
  const at = (iso: string | null) => localTime(iso, offsetMin);
  const items = r.caseList?.items ?? [];
  return `<h2 id="case-list">${esc(w.list)}</h2>
${r.caseList?.truncated ? `<p class="muted">${esc(w.truncated)} ${items.length}</p>` : ''}
${table(
  listHeaders(lang),
  items.map((c) => listRow(c, lang, at)),
  w.none,
)}`;
}

/** The per-school table, ordered by rank, as an HTML section (district reports). */
export function perSchoolSection(rows: SchoolRow[] | null | undefined, lang: ReportLang): string {
  if (!rows) return '';
  const w = words[lang];
  const byKind = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, n]) => `${kindLabel(k, lang)} ${n}`)
      .join('；');
  return `<h2 id="per-school">${esc(w.perSchool)} · ${esc(w.ranking)}</h2>
${table(
  [
    w.rank,
    w.school,
    w.violations,
    w.byKind,
    w.opened2,
    w.closed2,
    w.rectificationRate,
    w.overdue,
    w.escalated,
    w.tripsRun,
    w.perTrip,
    w.onTime,
    w.uptime,
    w.dailyChecks,
    w.weeklyInspections,
  ],
  rows.map((s) => [
    s.rank,
    s.name,
    s.violations,
    byKind(s.byKind),
    s.casesOpened,
    s.casesClosed,
    pct(s.rectificationRate),
    s.overdue,
    s.escalated,
    s.tripsRun,
    s.violationsPerTrip ?? '—',
    pct(s.onTimeRate),
    pct(s.deviceUptime),
    pct(s.dailyCheckRate ?? null),
    pct(s.weeklyInspectionRate ?? null),
  ]),
  w.none,
)}`;
}

/** The list alone as a printable page. */
export function caseListHtml(r: ReportData, lang: ReportLang, offsetMin: (ms: number) => number): string {
  const w = words[lang];
  const title = `${w.list} — ${r.period.key}`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#1d2733}h1{font-size:20px}table{border-collapse:collapse;font-size:12px;width:100%}th,td{border:1px solid #d5dce5;padding:3px 5px;text-align:left}.muted{color:#6b7785}@media print{body{margin:0}}</style>
</head><body>
<h1>${esc(title)}</h1>
<p class="muted">${esc(r.scope.schools.map((s) => s.name).join('、'))} · ${esc(r.period.startDate)} – ${esc(r.period.endDate)} · ${esc(r.period.timeZone)}</p>
${caseListSection(r, lang, offsetMin).replace(/^<h2[^>]*>.*<\/h2>\n/, '')}
</body></html>
`;
}
