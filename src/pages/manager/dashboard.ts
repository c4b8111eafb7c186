// The manager's home view: one school's day (GET /api/v1/schools/{id}/dashboard) — the fleet (in service, late,
// offline), the SOS and child-left-aboard alarms nobody acknowledged, the open cases by kind and severity with
// links into the filtered list, and a 14-day trend drawn as an inline SVG chart. The school is chosen in the
// address (?school=), the figures are re-read on each live violation and every minute.
import { clear, h, s } from '../shared/dom';
import type { SchoolDashboard } from '../../http/contract';
import { hashOf, replaceParams } from './url-state';
import type { ManagerCtx } from './view-context';

const SEVERITIES = ['critical', 'major', 'minor'] as const;

export async function dashboardView(ctx: ManagerCtx, params: URLSearchParams): Promise<void> {
  const t = ctx.i18n.t;
  if (!ctx.schools.length) {
    clear(ctx.main, h('h2', null, t('nav.dashboard')), h('p', { class: 'muted' }, t('dash.noSchool')));
    return;
  }
  const wanted = Number(params.get('school'));
  const school = ctx.schools.find((x) => x.id === wanted) ?? ctx.schools[0]!;
  const body = h('div', { 'data-testid': 'dashboard', 'aria-live': 'polite', 'aria-busy': 'true' });
  const picker =
    ctx.schools.length > 1
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'd-school' }, t('col.school')),
          h(
            'select',
            {
              id: 'd-school',
              onchange: (ev: Event) => {
                const p = new URLSearchParams({ school: (ev.target as HTMLSelectElement).value });
                location.hash = hashOf('dashboard', undefined, p);
              },
            },
            ctx.schools.map((sc) => h('option', { value: sc.id, selected: sc.id === school.id }, sc.name)),
          ),
        )
      : null;
  clear(
    ctx.main,
    h('h2', { id: 'dash-title' }, t('dash.title', { school: school.name })),
    picker ? h('form', { class: 'filters', onsubmit: (ev: Event) => ev.preventDefault() }, picker) : null,
    body,
  );
  if (ctx.schools.length > 1) replaceParams(new URLSearchParams({ school: String(school.id) }));

  let loading: Promise<void> | null = null;
  const load = () =>
    (loading ??= (async () => {
      try {
        const d = await ctx.api.get<SchoolDashboard>(`/api/v1/schools/${school.id}/dashboard`);
        render(ctx, body, d);
      } catch (err) {
        clear(body, h('p', { class: 'error', role: 'alert' }, ctx.errorText(err)));
      } finally {
        body.setAttribute('aria-busy', 'false');
      }
    })().finally(() => (loading = null)));
  await load();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onLive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 500);
  };
  const every = setInterval(() => void load(), 60_000);
  window.addEventListener('bg-violation', onLive);
  ctx.onLeave(() => {
    window.removeEventListener('bg-violation', onLive);
    clearTimeout(timer);
    clearInterval(every);
  });
}

function render(ctx: ManagerCtx, body: HTMLElement, d: SchoolDashboard) {
  const i18n = ctx.i18n;
  const t = i18n.t;
  // With several schools, the list opened from here is narrowed to this one.
  const list = (filters: Record<string, string> = {}) =>
    hashOf('violations', undefined, ctx.schools.length > 1 ? { ...filters, schoolId: String(d.schoolId) } : filters);
  const kindName = (k: string) => t(`kind.${k}`, { kind: k });
  const stat = (n: number, label: string, opts: { href?: string; tone?: string; id: string; help?: string }) => {
    const inner = [h('span', { class: 'stat-n' }, String(n)), h('span', { class: 'stat-l' }, label)];
    const attrs = { class: `stat ${opts.tone && n > 0 ? opts.tone : ''}`, 'data-stat': opts.id };
    return h(
      'li',
      null,
      opts.href ? h('a', { ...attrs, href: opts.href }, inner) : h('div', attrs, inner),
      opts.help ? h('small', { class: 'muted stat-help' }, opts.help) : null,
    );
  };
  const plates = (xs: { plate: string }[]) =>
    xs.length ? t('dash.busList', { plates: xs.map((x) => x.plate).join('、') }) : undefined;

  const f = d.fleet;
  const fleet = h(
    'section',
    { class: 'card', 'aria-labelledby': 'dash-fleet' },
    h('h3', { id: 'dash-fleet' }, t('dash.fleet')),
    h(
      'ul',
      { class: 'stats' },
      stat(f.buses, t('dash.buses'), { id: 'buses' }),
      stat(f.tripsToday, t('dash.tripsToday'), { id: 'trips' }),
      stat(f.inService, t('dash.inService'), { id: 'inService', href: '#/fleet', tone: 'ok' }),
      stat(f.late, t('dash.late'), {
        id: 'late',
        href: '#/fleet',
        tone: 'warn',
        help: plates(f.lateBuses) ?? t('dash.lateHelp', { n: f.lateAfterMin }),
      }),
      stat(f.offline, t('dash.offline'), {
        id: 'offline',
        href: '#/fleet',
        tone: 'bad',
        help: plates(f.offlineBuses) ?? t('dash.offlineHelp', { n: Math.round(f.offlineAfterS / 60) }),
      }),
    ),
  );

  const alarms = h(
    'section',
    { class: `card ${d.alarms.length ? 'alarm-card' : ''}`, 'aria-labelledby': 'dash-alarms' },
    h('h3', { id: 'dash-alarms' }, t('dash.alarms'), ` (${d.alarms.length})`),
    d.alarms.length
      ? h(
          'ul',
          { 'data-testid': 'dash-alarms' },
          d.alarms.map((a) =>
            h(
              'li',
              { 'data-kind': a.kind },
              h(
                'a',
                { href: `#/violations/${a.id}` },
                t('dash.alarmItem', {
                  kind: kindName(a.kind),
                  bus: a.plate ?? '—',
                  time: i18n.dateTime(a.startedAt),
                }),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('dash.noAlarms')),
  );

  const c = d.cases;
  const kinds = [...new Set(c.byKind.map((r) => r.kind))];
  const cell = (kind: string, sev: string) => c.byKind.find((r) => r.kind === kind && r.severity === sev);
  const casesTable = kinds.length
    ? h(
        'table',
        { 'data-testid': 'dash-cases' },
        h('caption', null, t('dash.byKind')),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, t('col.kind')),
            SEVERITIES.map((sv) => h('th', { scope: 'col', class: 'num' }, t(`sev.${sv}`))),
            h('th', { scope: 'col', class: 'num' }, t('dash.total')),
            h('th', { scope: 'col', class: 'num' }, t('dash.overdue')),
          ),
        ),
        h(
          'tbody',
          null,
          kinds.map((k) => {
            const rows = c.byKind.filter((r) => r.kind === k);
            const total = rows.reduce((n, r) => n + r.count, 0);
            const overdue = rows.reduce((n, r) => n + r.overdue, 0);
            return h(
              'tr',
              { 'data-kind': k },
              h('th', { scope: 'row' }, kindName(k)),
              SEVERITIES.map((sv) => {
                const n = cell(k, sv)?.count ?? 0;
                return h(
                  'td',
                  { class: 'num', 'data-severity': sv },
                  n
                    ? h(
                        'a',
                        {
                          href: list({ kind: k, severity: sv }),
                          'aria-label': t('dash.casesOf', { n, kind: kindName(k), severity: t(`sev.${sv}`) }),
                        },
                        String(n),
                      )
                    : '0',
                );
              }),
              h('td', { class: 'num' }, h('a', { href: list({ kind: k }) }, String(total))),
              h('td', { class: 'num' }, String(overdue)),
            );
          }),
        ),
      )
    : h('p', { class: 'muted' }, t('dash.noCases'));
  const cases = h(
    'section',
    { class: 'card', 'aria-labelledby': 'dash-cases-title' },
    h('h3', { id: 'dash-cases-title' }, t('dash.cases')),
    h(
      'ul',
      { class: 'stats' },
      stat(c.active, t('dash.active'), { id: 'active', href: list() }),
      stat(c.overdue, t('dash.overdue'), { id: 'overdue', href: list({ overdue: '1' }), tone: 'bad' }),
      stat(c.escalated, t('dash.escalated'), { id: 'escalated', tone: 'warn' }),
    ),
    h('div', { class: 'table-scroll' }, casesTable),
  );

  clear(
    body,
    h('p', { class: 'muted' }, t('dash.date', { date: d.date, time: i18n.time(Date.now()) })),
    alarms,
    h('div', { class: 'dash-grid' }, fleet, cases),
    trendChart(ctx, d.trend),
  );
}

/** Opened cases per day as bars (critical ones darker), closed cases as a line; a table for screen readers. */
function trendChart(ctx: ManagerCtx, trend: SchoolDashboard['trend']): HTMLElement {
  const t = ctx.i18n.t;
  const W = 560;
  const H = 200;
  const left = 28;
  const bottom = 22;
  const top = 10;
  const max = Math.max(1, ...trend.map((d) => Math.max(d.opened, d.closed)));
  const slot = (W - left) / Math.max(1, trend.length);
  const y = (n: number) => top + (H - top - bottom) * (1 - n / max);
  const x = (i: number) => left + i * slot + slot / 2;
  const shortDate = (date: string) => `${Number(date.slice(5, 7))}/${Number(date.slice(8, 10))}`;
  const totals = trend.reduce(
    (a, d) => ({ opened: a.opened + d.opened, critical: a.critical + d.critical, closed: a.closed + d.closed }),
    { opened: 0, critical: 0, closed: 0 },
  );
  const summary = t('dash.trendTotals', totals);
  const svg = s(
    'svg',
    {
      class: 'trend',
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': `${t('dash.trend')}: ${summary}`,
      'data-testid': 'dash-trend',
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('line', { class: 'axis', x1: left, x2: W, y1: y(0), y2: y(0) }),
    s('text', { class: 'tick', x: left - 4, y: y(max) + 4, 'text-anchor': 'end' }, String(max)),
    s('text', { class: 'tick', x: left - 4, y: y(0) + 4, 'text-anchor': 'end' }, '0'),
    ...trend.flatMap((d, i) => [
      s('rect', {
        class: 'bar-opened',
        x: x(i) - slot * 0.3,
        width: slot * 0.6,
        y: y(d.opened),
        height: y(0) - y(d.opened),
        'data-date': d.date,
        'data-opened': d.opened,
      }),
      d.critical
        ? s('rect', {
            class: 'bar-critical',
            x: x(i) - slot * 0.3,
            width: slot * 0.6,
            y: y(d.critical),
            height: y(0) - y(d.critical),
          })
        : null,
      i % 2 === (trend.length - 1) % 2
        ? s('text', { class: 'tick', x: x(i), y: H - 6, 'text-anchor': 'middle' }, shortDate(d.date))
        : null,
    ]),
    s('polyline', {
      class: 'line-closed',
      fill: 'none',
      points: trend.map((d, i) => `${x(i)},${y(d.closed)}`).join(' '),
    }),
    ...trend.map((d, i) => s('circle', { class: 'dot-closed', cx: x(i), cy: y(d.closed), r: 3 })),
  );
  const legend = h(
    'p',
    { class: 'legend', 'aria-hidden': 'true' },
    h('span', { class: 'key key-opened' }),
    t('dash.opened'),
    ' ',
    h('span', { class: 'key key-critical' }),
    t('dash.critical'),
    ' ',
    h('span', { class: 'key key-closed' }),
    t('dash.closed'),
  );
  const table = h(
    'table',
    { class: 'visually-hidden' },
    h('caption', null, t('dash.trend')),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        [t('dash.day'), t('dash.opened'), t('dash.critical'), t('dash.closed')].map((l) =>
          h('th', { scope: 'col' }, l),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      trend.map((d) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, d.date),
          h('td', null, String(d.opened)),
          h('td', null, String(d.critical)),
          h('td', null, String(d.closed)),
        ),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'dash-trend-title' },
    h('h3', { id: 'dash-trend-title' }, t('dash.trend')),
    h('p', { class: 'muted' }, summary),
    svg,
    legend,
    table,
  );
}
