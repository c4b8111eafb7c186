// A report as CSV (one row per figure) and as a printable HTML page with inline SVG charts (no external assets).
import { type ReportLang, reportText } from './text';
import type { Breakdown, ReportData } from './build';
import { caseListSection, csvCell, perSchoolSection } from './render-list';

export { csvCell } from './render-list';

/** Columns: section, key, label, value, previous, change. */
export function reportCsv(r: ReportData, lang: ReportLang = 'en'): string {
  const w = (key: string, fallback: string) => reportText(lang, key, undefined, fallback);
  const rows: unknown[][] = [['section', 'key', 'label', 'value', 'previous', 'change']];
  const add = (
    section: string,
    key: string,
    label: string,
    value: unknown,
    previous: unknown = '',
    change: unknown = '',
  ) => rows.push([section, key, label, value, previous, change]);
  add('report', 'period', r.period.kind, r.period.key);
  add(
    'report',
    'scope',
    r.scope.schoolId == null ? 'district' : 'school',
    r.scope.schools.map((s) => s.name).join('; '),
  );
  add('report', 'timeZone', '', r.period.timeZone);
  add('report', 'generatedAt', '', r.generatedAt);
  add('violations', 'total', w('all', 'all'), r.violations.total, r.violations.previous, r.violations.change);
  const breakdowns: [string, Breakdown[]][] = [
    ['violations.kind', r.violations.byKind],
    ['violations.severity', r.violations.bySeverity],
    ['violations.bus', r.violations.byBus],
    ['violations.driver', r.violations.byDriver],
    ['violations.route', r.violations.byRoute],
  ];
  const named: Record<string, string> = { 'violations.kind': 'kind', 'violations.severity': 'sev' };
  for (const [section, list] of breakdowns)
    for (const b of list) {
      const label = named[section] ? w(`${named[section]}.${b.key}`, b.label) : b.label;
      add(section, b.key, label, b.count, b.previous, b.change);
    }
  for (const [k, v] of Object.entries(r.cases)) add('cases', k, '', v);
  for (const k of [
    'scheduledStops',
    'arrived',
    'onTime',
    'early',
    'late',
    'missed',
    'onTimeRate',
    'avgDelayS',
  ] as const)
    add('onTime', k, '', r.onTime[k]);
  for (const x of r.onTime.byRoute) add('onTime.route', String(x.routeId), x.label, x.onTimeRate, '', '');
  for (const k of ['trips', 'tripsWithRecords', 'boarded', 'alighted', 'distinctStudents'] as const)
    add('ridership', k, '', r.ridership[k]);
  for (const x of r.ridership.byRoute) add('ridership.route', String(x.routeId), x.label, x.boarded);
  for (const k of ['tripsRun', 'activeTripMinutes', 'minutesWithFix', 'uptime'] as const)
    add('deviceUptime', k, '', r.deviceUptime[k]);
  for (const d of r.deviceUptime.devices) add('deviceUptime.device', d.identifier, d.label, d.uptime, '', '');
  for (const x of r.perSchool ?? [])
    for (const k of [
      'rank',
      'violations',
      'casesOpened',
      'casesClosed',
      'rectificationRate',
      'overdue',
      'escalated',
      'onTimeRate',
      'deviceUptime',
      'dailyCheckRate',
      'weeklyInspectionRate',
    ] as const)
      add(`perSchool.${k}`, String(x.schoolId), x.name, x[k] ?? null);
  if (r.inspections) {
    for (const k of ['dailyChecks', 'weeklyInspections'] as const)
      for (const f of ['due', 'done', 'rate'] as const) add('inspections', `${k}.${f}`, '', r.inspections[k][f]);
    add('inspections', 'drills', '', r.inspections.drills);
  }
  for (const k of ['expired', 'expiring', 'missing'] as const) add('compliance', k, '', r.compliance[k]);
  for (const i of r.compliance.items)
    add(
      'compliance.item',
      `${i.kind}:${i.subjectType}:${i.subjectId}`,
      i.subjectName,
      i.status,
      i.expiresOn ?? '',
      i.daysLeft ?? '',
    );
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const esc = (v: unknown) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const pct = (x: number | null) => (x == null ? '—' : `${(x * 100).toFixed(1)} %`);
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** Horizontal bars: this period (dark) against the previous one (light). */
function barChart(title: string, items: Breakdown[], noneWord = 'none'): string {
  // Every row of the breakdown (the chart grows; the page scrolls), not only the top ones.
  const list = items;
  if (!list.length) return `<p class="muted">${esc(title)}: ${esc(noneWord)}</p>`;
  const top = Math.max(1, ...list.map((b) => Math.max(b.count, b.previous)));
  const rowH = 22;
  const labelW = 170;
  const barW = 360;
  const h = list.length * rowH + 10;
  const bars = list
    .map((b, i) => {
      const y = 5 + i * rowH;
      const wCur = (b.count / top) * barW;
      const wPrev = (b.previous / top) * barW;
      return `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>
<rect x="${labelW}" y="${y + 2}" width="${wPrev.toFixed(1)}" height="16" fill="#c9d6e8"/>
<rect x="${labelW}" y="${y + 6}" width="${wCur.toFixed(1)}" height="8" fill="#1f4e8c"/>
<text x="${labelW + Math.max(wCur, wPrev) + 6}" y="${y + 14}">${b.count} (${signed(b.change)})</text>`;
    })
    .join('\n');
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" width="${labelW + barW + 90}" height="${h}" font-size="12" font-family="sans-serif">${bars}</svg></figure>`;
}

/** A ring for a rate between 0 and 1. */
function gauge(title: string, rate: number | null): string {
  const r = 36;
  const c = 2 * Math.PI * r;
  const filled = rate == null ? 0 : Math.max(0, Math.min(1, rate)) * c;
  return `<figure class="gauge"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" width="100" height="100" font-family="sans-serif">
<circle cx="50" cy="50" r="${r}" fill="none" stroke="#e3e8ef" stroke-width="12"/>
<circle cx="50" cy="50" r="${r}" fill="none" stroke="#1f8c4e" stroke-width="12" stroke-dasharray="${filled.toFixed(1)} ${c.toFixed(1)}" transform="rotate(-90 50 50)"/>
<text x="50" y="55" text-anchor="middle" font-size="14">${esc(pct(rate))}</text></svg><figcaption>${esc(title)}</figcaption></figure>`;
}

function table(headers: string[], noneWord: string, rows: unknown[][]): string {
  if (!rows.length) return `<p class="muted">${esc(noneWord)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * The report as a printable page in the reader's language; times in the list of cases are local to the report's zone
 * (offsetMin gives the zone's offset at an instant).
 */
export function reportHtml(
  r: ReportData,
  lang: ReportLang = 'en',
  offsetMin: (ms: number) => number = () => 0,
): string {
  const v = r.violations;
  const w = (key: string, vars?: Record<string, string | number>) => reportText(lang, key, vars);
  const named = (prefix: string, list: Breakdown[]) =>
    list.map((b) => ({ ...b, label: reportText(lang, `${prefix}.${b.key}`, undefined, b.label) }));
  const title = w('reportTitle', {
    scope: r.scope.schoolId == null ? w('district') : (r.scope.schools[0]?.name ?? String(r.scope.schoolId)),
    kind: w(`period.${r.period.kind}`),
    key: r.period.key,
  });
  const definition = (k: string, d: string) =>
    lang === 'en'
      ? d
      : reportText(
          lang,
          `def.${k}`,
          { early: r.onTime.earlyToleranceS, late: r.onTime.lateToleranceS, days: r.compliance.warnDays },
          d,
        );
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#1d2733;max-width:960px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #d5dce5;padding-bottom:4px;margin-top:28px}
.muted{color:#6b7785}.kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{border:1px solid #d5dce5;border-radius:6px;padding:8px 14px;min-width:120px}
.kpi b{display:block;font-size:22px}table{border-collapse:collapse;font-size:13px;width:100%}th,td{border-bottom:1px solid #e3e8ef;padding:4px 6px;text-align:left}
figure{margin:10px 0}figcaption{font-weight:600;font-size:13px;margin-bottom:4px}.gauges{display:flex;gap:24px}.gauge figcaption{text-align:center}
@media print{body{margin:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="muted">${esc(w('periodLine', { from: r.period.startDate, to: r.period.endDate, zone: r.period.timeZone, prev: r.previousPeriod.key, at: r.generatedAt }))}</p>
<div class="kpis">
<div class="kpi">${esc(w('violations'))}<b>${v.total}</b><span class="muted">${esc(w('vsPrevious', { n: signed(v.change) }))}</span></div>
<div class="kpi">${esc(w('casesOpened'))}<b>${r.cases.opened}</b></div>
<div class="kpi">${esc(w('closed'))}<b>${r.cases.closed}</b></div>
<div class="kpi">${esc(w('overdue'))}<b>${r.cases.overdue}</b></div>
<div class="kpi">${esc(w('escalated'))}<b>${r.cases.escalated ?? 0}</b></div>
<div class="kpi">${esc(w('boarded'))}<b>${r.ridership.boarded}</b></div>
<div class="kpi">${esc(w('complianceIssues'))}<b>${r.compliance.expired + r.compliance.expiring + r.compliance.missing}</b></div>
</div>
<div class="gauges">${gauge(w('rectificationRate'), r.cases.rectificationRate)}${gauge(w('onTimeAtStops'), r.onTime.onTimeRate)}${gauge(w('deviceUptime'), r.deviceUptime.uptime)}${r.inspections ? `${gauge(w('dailyChecks'), r.inspections.dailyChecks.rate)}${gauge(w('weeklyInspections'), r.inspections.weeklyInspections.rate)}` : ''}</div>
${perSchoolSection(r.perSchool, lang)}
<h2>${esc(w('violations'))}</h2>
${barChart(w('byKind'), named('kind', v.byKind), w('none'))}
${barChart(w('bySeverity'), named('sev', v.bySeverity), w('none'))}
${barChart(w('byBus'), v.byBus, w('none'))}
${barChart(w('byDriver'), v.byDriver, w('none'))}
${barChart(w('byRoute'), v.byRoute, w('none'))}
<h2>${esc(w('cases'))}</h2>
${table(
  ['opened', 'closed', 'dismissed', 'overdue', 'escalated', 'closedOfOpened', 'rectificationRate'].map((k) =>
    w(`col.${k}`),
  ),
  w('none'),
  [
    [
      r.cases.opened,
      r.cases.closed,
      r.cases.dismissed,
      r.cases.overdue,
      r.cases.escalated ?? 0,
      r.cases.closedOfOpened,
      pct(r.cases.rectificationRate),
    ],
  ],
)}
${caseListSection(r, lang, offsetMin)}
<h2>${esc(w('onTimeTitle'))}</h2>
${table(
  ['route', 'arrived', 'onTime', 'early', 'late', 'missed', 'onTimeRate'].map((k) => w(`col.${k}`)),
  w('none'),
  r.onTime.byRoute.map((x) => [x.label, x.arrived, x.onTime, x.early, x.late, x.missed, pct(x.onTimeRate)]),
)}
<p class="muted">${esc(w('avgDelay', { s: r.onTime.avgDelayS ?? '—', early: r.onTime.earlyToleranceS, late: r.onTime.lateToleranceS }))}</p>
<h2>${esc(w('ridership'))}</h2>
${table(
  ['route', 'trips', 'boarded'].map((k) => w(`col.${k}`)),
  w('none'),
  r.ridership.byRoute.map((x) => [x.label, x.trips, x.boarded]),
)}
<p class="muted">${esc(w('ridershipLine', { boarded: r.ridership.boarded, alighted: r.ridership.alighted, students: r.ridership.distinctStudents }))}</p>
<h2>${esc(w('deviceUptime'))}</h2>
${table(
  ['device', 'bus', 'tripMinutes', 'minutesWithFix', 'fixes', 'fixesPerMin', 'uptime'].map((k) => w(`col.${k}`)),
  w('none'),
  r.deviceUptime.devices.map((d) => [
    d.identifier,
    d.label,
    d.activeTripMinutes,
    d.minutesWithFix,
    d.fixes,
    d.fixesPerMinute ?? '—',
    pct(d.uptime),
  ]),
)}
<h2>${esc(w('complianceTitle', { date: r.compliance.asOf, days: r.compliance.warnDays }))}</h2>
${table(
  ['item', 'subject', 'expires', 'daysLeft', 'status'].map((k) => w(`col.${k}`)),
  w('none'),
  r.compliance.items.map((i) => [
    w(`item.${i.kind}`),
    i.subjectName,
    i.expiresOn ?? '—',
    i.daysLeft ?? '—',
    w(`state.${i.status}`),
  ]),
)}
<h2>${esc(w('definitions'))}</h2>
<ul>${Object.entries(r.definitions)
    .map(([k, d]) => `<li><b>${esc(k)}</b>: ${esc(definition(k, d))}</li>`)
    .join('')}</ul>
</body></html>
`;
}
