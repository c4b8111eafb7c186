// Manager page (desktop): live fleet map; violations table with filters, severity colours and overdue markers;
// one violation with its track replayed on the map and the case workflow (acknowledge → rectify → close, or
// dismiss with a reason; notes; the trail); compliance expiries; reports with charts; the registry
// (./registry: every list with its forms, route import). Sections are addressed by the fragment (#/violations/12) so the browser's
// back button and bookmarks work; everything is reachable by keyboard. The education bureau (a supervisor) gets the
// same views over the schools it oversees, read-only (`ctx.readOnly`): on a case it adds notes and escalates.
import { caseTransitions, type CaseStatus } from '../../core/case-workflow';
import { ApiError, type Api, forgetToken, listAll, makeApi, takeToken } from '../shared/api';
import { signInCard, whoAmI } from '../shared/sign-in';
import { $, clear, h, s } from '../shared/dom';
import { defaultLang, I18n, type Lang } from '../shared/i18n';
import { LiveFeed, type LiveState } from '../shared/live';
import { type LonLat, MapView } from '../shared/map';
import { AlarmCenter } from './alarm';
import { inspectionsView, localDay } from './inspections';
import { registryView } from './registry/view';
import { en, zh } from './strings';
import { caseEditor } from './case-edit';
import { csvExportButton, registryExports } from './csv-export';
import { dashboardView } from './dashboard';
import { searchForm, searchView } from './search';
import { filtersFromParams, filtersToApiQuery, filtersToParams, hashOf, parseHash, replaceParams } from './url-state';
import { type ManagerCtx, readOnlyOf } from './view-context';
import type {
  BusPosition,
  Bus,
  CaseActionList,
  CaseOwnerList,
  ComplianceExpiries,
  Driver,
  Principal as Me,
  Report,
  ReportPage,
  RouteListRow,
  RouteWithStops,
  School,
  TrackFeature,
  Violation,
  ViolationCounts,
  ViolationDetail,
  ViolationPage,
  ViolationWithActions,
} from '../../http/contract';

const TOKEN_KEY = 'bg.token.manager';
const i18n = new I18n({ en, 'zh-CN': zh }, defaultLang());
const t = i18n.t;
const app = $('#app');

let api: Api;
let me: Me;
/** The bureau's view (view-context.ts): read, comment, escalate. */
let readOnly = false;
let schools: School[] = [];
let buses: Bus[] = [];
let live: LiveFeed | undefined;
let main: HTMLElement;
let connEl: HTMLElement;
let alarm: AlarmCenter | undefined;
let ctx: ManagerCtx;
const cleanup: (() => void)[] = [];

const plate = (busId: number | null) =>
  busId == null ? '—' : (buses.find((b) => b.id === busId)?.plate ?? `#${busId}`);
const sevBadge = (sev: string) => h('span', { class: `sev sev-${sev}` }, t(`sev.${sev}`));
const statusBadge = (st: string) =>
  h(
    'span',
    { class: `badge ${st === 'closed' ? 'ok' : st === 'dismissed' ? '' : st === 'open' ? 'bad' : 'warn'}` },
    t(`status.${st}`),
  );
let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string) {
  document.querySelector('.toast')?.remove();
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(el);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.remove(), 5000);
}
const errorText = (err: unknown) =>
  err instanceof ApiError && err.network
    ? t('offline')
    : t('failed', { why: err instanceof Error ? err.message : String(err) });

const sections = [
  ['dashboard', 'nav.dashboard'],
  ['fleet', 'nav.fleet'],
  ['violations', 'nav.violations'],
  ['compliance', 'nav.compliance'],
  ['inspections', 'nav.inspections'],
  ['reports', 'nav.reports'],
  ['registry', 'nav.registry'],
] as const;

function shell() {
  connEl = h('span', { class: 'conn', role: 'status' });
  const other: Lang = i18n.lang === 'en' ? 'zh-CN' : 'en';
  main = h('main', { id: 'main', tabindex: -1 });
  ctx = { api, i18n, me, readOnly, schools, buses, main, plate, errorText, toast, onLeave: (f) => cleanup.push(f) };
  clear(
    app,
    h(
      'header',
      { class: 'topbar' },
      h('h1', null, t('title')),
      h(
        'nav',
        { class: 'sections', 'aria-label': t('nav.label') },
        sections.map(([id, key]) => h('a', { href: `#/${id}`, 'data-section': id }, t(key))),
      ),
      searchForm(ctx, () => (parseHash().section === 'search' ? (parseHash().params.get('q') ?? '') : '')),
      h('span', { class: 'spacer' }),
      readOnly ? h('span', { class: 'badge warn', 'data-testid': 'read-only' }, t('readOnly')) : null,
      connEl,
      h('span', null, me.name),
      h(
        'button',
        { type: 'button', lang: other, onclick: () => (i18n.set(other), location.reload()) },
        other === 'en' ? 'English' : '中文',
      ),
      h('button', { type: 'button', onclick: () => (forgetToken(TOKEN_KEY), location.reload()) }, t('signOut')),
    ),
    main,
  );
  // The alarm sounds until someone acknowledges; the bureau cannot (the dashboard counts unacknowledged alarms).
  if (readOnly) return;
  alarm = new AlarmCenter(api, i18n, plate, errorText);
  app.insertBefore(alarm.el, main);
  void alarm.reload();
}

function setConn(state: LiveState) {
  connEl.className = `conn ${state === 'live' ? 'live' : state === 'connecting' ? 'connecting' : 'offline'}`;
  connEl.textContent = t(`conn.${state}`);
}

function route() {
  for (const f of cleanup.splice(0)) f();
  const { section: named, arg, params } = parseHash();
  const section = named || 'dashboard';
  for (const a of app.querySelectorAll<HTMLAnchorElement>('nav.sections a'))
    a.setAttribute('aria-current', a.dataset.section === section ? 'page' : 'false');
  clear(main, h('p', { class: 'loading', role: 'status' }, t('loading')));
  const views: Record<string, () => Promise<void>> = {
    dashboard: () => dashboardView(ctx, params),
    search: () => searchView(ctx, params),
    fleet: fleetView,
    violations: () => (arg ? violationView(Number(arg)) : violationsView(params)),
    compliance: complianceView,
    inspections: () =>
      inspectionsView({ api, t, main, schools, buses, errorText, readOnly, today: localDay(schools[0]?.timeZone) }),
    reports: () => reportsView(arg ? Number(arg) : undefined),
    registry: () => registryView({ api, i18n, main, schools, buses, toast, readOnly }, arg, registryExports(ctx)),
  };
  (views[section] ?? views.dashboard!)().catch((err) =>
    clear(main, h('p', { class: 'error', role: 'alert' }, errorText(err))),
  );
}

function signIn(message?: string) {
  clear(
    app,
    h('header', { class: 'topbar' }, h('h1', null, t('title'))),
    h('main', null, signInCard({ title: t('signInTitle'), label: t('tokenLabel'), button: t('signIn') }, message)),
  );
}

async function start() {
  const token = takeToken(TOKEN_KEY);
  if (!token) return signIn();
  api = makeApi(token);
  const who = await whoAmI<typeof me>(api, TOKEN_KEY);
  if (!who) return signIn(t('linkExpired'));
  me = who;
  const ro = readOnlyOf(me.role);
  if (ro === undefined) {
    clear(app, h('p', { class: 'error', role: 'alert' }, t('notManager')));
    return;
  }
  readOnly = ro;
  [schools, buses] = await Promise.all([listAll<School>(api, '/api/v1/schools'), listAll<Bus>(api, '/api/v1/buses')]);
  // One school: its time zone; several: the browser's.
  if (new Set(schools.map((x) => x.timeZone)).size === 1) i18n.timeZone = schools[0]!.timeZone;
  shell();
  live = new LiveFeed({
    token,
    onState: setConn,
    onMessage: (m) => {
      if (m.type === 'violation') {
        const d = m.data;
        const kind: string = d.kind ?? (d.event === 'alert.childLeftOnBoard' ? 'childLeftOnBoard' : 'other');
        alarm?.onLive({ ...d, kind });
        toast(t('newViolation', { kind: t(`kind.${kind}`), bus: plate(d.busId ?? null) }));
        window.dispatchEvent(new CustomEvent('bg-violation', { detail: d }));
      } else window.dispatchEvent(new CustomEvent('bg-live', { detail: m }));
    },
  });
  setConn(live.state);
  // Every school's violations first (the left-on-board alarm comes with them), then the buses for the map: the feed
  // follows as many as the server allows a session of the office (its `maxTopics`), in this order.
  for (const sc of schools) live.subscribe(`school:${sc.id}:violations`);
  for (const b of buses) live.subscribe(`bus:${b.id}`);
  window.addEventListener('hashchange', route);
  if (!location.hash) history.replaceState(null, '', '#/dashboard');
  route();
}

// ── fleet ────────────────────────────────────────────────────────────────────────────────────────────────
async function fleetView() {
  const map = new MapView(t('fleetMap'));
  const seen = new Map<
    number,
    { lat: number; lon: number; timeMs: number; speedKph: number | null; headingDeg: number | null }
  >();
  const rows = h('tbody');
  const renderRows = () =>
    rows.replaceChildren(
      ...buses.map((b) => {
        const p = seen.get(b.id);
        return h(
          'tr',
          { 'data-bus': b.id },
          h('td', null, b.plate),
          h('td', null, schools.find((x) => x.id === b.schoolId)?.name ?? b.schoolId),
          h('td', null, p ? i18n.dateTime(p.timeMs) : t('never')),
          h('td', null, p?.speedKph != null ? t('kmh', { n: Math.round(p.speedKph) }) : '—'),
          h('td', null, t(`busStatus.${b.status}`)),
        );
      }),
    );
  const show = (
    busId: number,
    p: { lat: number; lon: number; timeMs: number; speedKph: number | null; headingDeg: number | null },
  ) => {
    seen.set(busId, p);
    const stale = Date.now() - p.timeMs > 5 * 60_000;
    map.setBus({
      id: busId,
      lat: p.lat,
      lon: p.lon,
      headingDeg: p.headingDeg,
      label: plate(busId),
      tone: stale ? 'stale' : 'ok',
    });
  };
  clear(
    main,
    h('h2', null, t('nav.fleet')),
    h(
      'div',
      { class: 'grid-2' },
      map.el,
      h(
        'div',
        null,
        h(
          'table',
          null,
          h('caption', { class: 'visually-hidden' }, t('fleetTable')),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ...['plate', 'school', 'lastSeen', 'speed', 'busStatus'].map((k) =>
                h('th', { scope: 'col' }, t(`col.${k}`)),
              ),
            ),
          ),
          rows,
        ),
      ),
    ),
  );
  renderRows();
  // The fleet's routes (each in its colour, named along the line) and schools under the buses.
  const [positions, routes] = await Promise.all([
    Promise.all(
      buses.map((b) => api.get<BusPosition>(`/api/v1/buses/${b.id}/position`).catch(() => ({ position: null }))),
    ),
    listAll<RouteListRow>(api, '/api/v1/routes?include=geometry').catch(() => []),
  ]);
  map.setRoutes(routes.flatMap((r) => (r.path ? [{ id: r.id, name: r.name, coords: r.path.coordinates }] : [])));
  map.setPlaces(
    schools.flatMap((sc) => (sc.lat != null && sc.lon != null ? [{ ...sc, lat: sc.lat, lon: sc.lon }] : [])),
  );
  positions.forEach((r, i) => r.position && show(buses[i]!.id, r.position));
  map.fit(true);
  renderRows();
  const onLive = (ev: Event) => {
    const m = (ev as CustomEvent).detail;
    if (m.type === 'position' && m.topic.startsWith('bus:')) {
      show(m.data.busId, m.data);
      renderRows();
    }
  };
  window.addEventListener('bg-live', onLive);
  cleanup.push(() => window.removeEventListener('bg-live', onLive));
}

// ── violations ───────────────────────────────────────────────────────────────────────────────────────────
// The filters live in the address (url-state.ts): a reload, the back button or a shared link restores them.
let filterState = filtersFromParams(new URLSearchParams());

async function violationsView(params: URLSearchParams) {
  filterState = filtersFromParams(params);
  const kinds = await api.get<ViolationCounts>(`/api/v1/violations/counts`).catch(() => null);
  const kindNames = kinds?.byKind ? Object.keys(kinds.byKind) : [];
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, t('loadMore'));
  const summary = h('p', { class: 'muted', role: 'status', 'data-testid': 'violations-summary' });
  let cursor: string | null = null;
  let shown = 0;

  const sel = (id: string, label: string, value: string, options: [string, string][], on: (v: string) => void) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      h(
        'select',
        { id, onchange: (ev: Event) => on((ev.target as HTMLSelectElement).value) },
        options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)),
      ),
    );

  const load = async (append: boolean) => {
    replaceParams(filtersToParams(filterState));
    const q = filtersToApiQuery(filterState);
    q.set('limit', '50');
    if (append && cursor) q.set('cursor', cursor);
    summary.textContent = t('loading');
    try {
      const page = await api.get<ViolationPage>(`/api/v1/violations?${q}`);
      if (!append) {
        body.replaceChildren();
        shown = 0;
      }
      for (const v of page.items) body.append(violationRow(v));
      shown += page.items.length;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      summary.textContent = shown ? t('shown', { n: shown }) : t('noViolations');
    } catch (err) {
      summary.textContent = '';
      body.replaceChildren(h('tr', null, h('td', { colspan: 8, class: 'error', role: 'alert' }, errorText(err))));
    }
  };
  more.addEventListener('click', () => void load(true));

  clear(
    main,
    h('h2', null, t('nav.violations')),
    h(
      'form',
      {
        class: 'filters',
        'aria-label': t('filters'),
        onsubmit: (ev: Event) => (ev.preventDefault(), void load(false)),
      },
      sel(
        'f-severity',
        t('col.severity'),
        filterState.severity,
        [
          ['', t('all')],
          ['critical', t('sev.critical')],
          ['major', t('sev.major')],
          ['minor', t('sev.minor')],
        ],
        (v) => ((filterState.severity = v), void load(false)),
      ),
      sel(
        'f-status',
        t('col.status'),
        filterState.status,
        [
          ['open,acknowledged,rectifying', t('activeCases')],
          ['', t('all')],
          ...(['open', 'acknowledged', 'rectifying', 'closed', 'dismissed'] as const).map((st): [string, string] => [
            st,
            t(`status.${st}`),
          ]),
        ],
        (v) => ((filterState.status = v), void load(false)),
      ),
      sel(
        'f-kind',
        t('col.kind'),
        filterState.kind,
        [['', t('all')], ...kindNames.map((k): [string, string] => [k, t(`kind.${k}`, { kind: k })])],
        (v) => ((filterState.kind = v), void load(false)),
      ),
      h(
        'label',
        { for: 'f-overdue', class: 'row' },
        h('input', {
          id: 'f-overdue',
          type: 'checkbox',
          checked: filterState.overdue,
          onchange: (ev: Event) => ((filterState.overdue = (ev.target as HTMLInputElement).checked), void load(false)),
        }),
        t('overdueOnly'),
      ),
      sel(
        'f-sort',
        t('sortBy'),
        filterState.sort,
        [
          ['-time', t('newest')],
          ['severity', t('col.severity')],
        ],
        (v) => ((filterState.sort = v), void load(false)),
      ),
    ),
    subjectChips(() => void load(false)),
    h(
      'div',
      { class: 'row' },
      summary,
      h('span', { class: 'spacer' }),
      csvExportButton(ctx, 'violations', () => filtersToApiQuery(filterState)),
    ),
    h(
      'table',
      { 'data-testid': 'violations' },
      h('caption', { class: 'visually-hidden' }, t('nav.violations')),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ...['id', 'time', 'kind', 'severity', 'bus', 'value', 'status', 'due'].map((k) =>
            h('th', { scope: 'col' }, t(`col.${k}`)),
          ),
        ),
      ),
      body,
    ),
    more,
  );
  await load(false);
  const onNew = () => void load(false);
  window.addEventListener('bg-violation', onNew);
  cleanup.push(() => window.removeEventListener('bg-violation', onNew));
}

/** The bus or driver the list is narrowed to (from a search result), each with a button that lifts it. */
function subjectChips(reload: () => void): HTMLElement | null {
  const chip = (label: string, lift: () => void) =>
    h(
      'button',
      { type: 'button', class: 'chip', 'aria-label': t('filter.remove', { what: label }), onclick: lift },
      `${label} ✕`,
    );
  const out: HTMLElement[] = [];
  if (filterState.busId)
    out.push(
      chip(t('filter.bus', { plate: plate(Number(filterState.busId)) }), () => ((filterState.busId = ''), reload())),
    );
  if (filterState.schoolId) {
    const name = schools.find((x) => String(x.id) === filterState.schoolId)?.name ?? `#${filterState.schoolId}`;
    out.push(chip(t('filter.school', { name }), () => ((filterState.schoolId = ''), reload())));
  }
  if (filterState.driverId) {
    const el = chip(
      t('filter.driver', { name: `#${filterState.driverId}` }),
      () => ((filterState.driverId = ''), reload()),
    );
    void api
      .get<Driver>(`/api/v1/drivers/${filterState.driverId}`)
      .then((d) => {
        const label = t('filter.driver', { name: d.name });
        el.textContent = `${label} ✕`;
        el.setAttribute('aria-label', t('filter.remove', { what: label }));
      })
      .catch(() => {});
    out.push(el);
  }
  if (!out.length) return null;
  const box = h('div', { class: 'row chips', 'data-testid': 'subject-filters' }, out);
  for (const b of out) b.addEventListener('click', () => b.remove());
  return box;
}

/**
 * The evidence a manager can read: known fields under their names, values in words (codes through the
 * dictionary, times in the school's zone, yes/no); internal bookkeeping (episode state, epoch milliseconds,
 * client ids, row ids) is left out.
 */
function evidenceRows(evidence: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, x] of Object.entries(evidence)) {
    const label = t(`ev.${k}`);
    if (label === `ev.${k}` || x == null || typeof x === 'object') continue;
    if (k.endsWith('Id') && k !== 'cardId') continue;
    let text: string;
    if (typeof x === 'boolean') text = t(x ? 'yes' : 'no');
    else if (typeof x === 'number') text = String(Math.round(x * 10) / 10);
    else {
      const raw = String(x);
      const word = t(`evv.${raw}`);
      text = word === `evv.${raw}` ? (/^\d{4}-\d{2}-\d{2}T/.test(raw) ? i18n.dateTime(raw) : raw) : word;
    }
    out.push([label, text]);
  }
  return out;
}

/**
 * A trail note in words: the server writes owner and due-date changes as `owner: 3 → 5; due: <ISO> → <ISO>`;
 * those become names (you / #id) and dates in the school's zone; free text stays as written.
 */
function trailNote(note: string): string {
  const who = (x: string) => (x === 'none' ? t('trail.none') : userName(x));
  const when = (x: string) => (x === 'none' ? t('trail.none') : i18n.dateTime(x));
  return note
    .split('; ')
    .map((part) => {
      let m = /^owner: (\S+) → (\S+)$/.exec(part);
      if (m) return t('trail.owner', { from: who(m[1]!), to: who(m[2]!) });
      m = /^due: (\S+) → (\S+)$/.exec(part);
      if (m) return t('trail.due', { from: when(m[1]!), to: when(m[2]!) });
      m = /^(reason|exemption): (.*)$/s.exec(part);
      if (m) return `${t(`trail.${m[1]}`)}：${m[2]}`;
      return part;
    })
    .join('；');
}

function valueText(v: Violation) {
  if (v.peakValue == null) return '—';
  return v.limitValue != null
    ? `${Math.round(v.peakValue)} / ${Math.round(v.limitValue)}`
    : String(Math.round(v.peakValue));
}

function violationRow(v: Violation) {
  return h(
    'tr',
    { 'data-id': v.id, 'data-severity': v.severity, 'data-status': v.status },
    h(
      'td',
      null,
      h(
        'a',
        {
          href: `#/violations/${v.id}`,
          'aria-label': t('openViolation', { id: v.id, kind: t(`kind.${v.kind}`, { kind: v.kind }) }),
        },
        `#${v.id}`,
      ),
    ),
    h('td', null, h('time', { datetime: v.startedAt }, i18n.dateTime(v.startedAt))),
    h('td', null, t(`kind.${v.kind}`, { kind: v.kind })),
    h('td', null, sevBadge(v.severity)),
    h('td', null, plate(v.busId)),
    h('td', null, valueText(v)),
    h('td', null, statusBadge(v.status)),
    h(
      'td',
      null,
      v.dueAt ? i18n.dateTime(v.dueAt) : '—',
      v.overdue ? h('span', { class: 'overdue', 'data-overdue': 'true' }, ` ⚠ ${t('overdue')}`) : null,
    ),
  );
}

/** Names of the people a case can be assigned to (the trail and the case panel name them, not their ids). */
const userNames = new Map<number, string>();
const userName = (id: number | string) =>
  Number(id) === me.userId ? t('you') : (userNames.get(Number(id)) ?? `#${id}`);

async function violationView(id: number) {
  const [v] = await Promise.all([
    api.get<ViolationDetail>(`/api/v1/violations/${id}`),
    // Managers and admins read the owner list; the bureau assigns nobody and may not (the trail names the actors).
    readOnly
      ? undefined
      : api
          .get<CaseOwnerList>(`/api/v1/violations/${id}/owners`)
          .then((list) => list.items.forEach((u) => userNames.set(u.id, u.name)))
          .catch(() => undefined),
  ]);
  const map = new MapView(t('trackMap'));
  const trackF = v.track.features.find((f): f is TrackFeature => f.properties.role === 'track');
  const coords: LonLat[] = trackF
    ? trackF.geometry.type === 'LineString'
      ? trackF.geometry.coordinates
      : [trackF.geometry.coordinates]
    : [];
  const times: string[] = trackF?.properties.coordTimes ?? [];
  const speeds: (number | null)[] = trackF?.properties.speedsKph ?? [];
  const ep: [number, number] | undefined =
    trackF && trackF.properties.episodeFromIndex != null && trackF.properties.episodeToIndex != null
      ? [trackF.properties.episodeFromIndex, trackF.properties.episodeToIndex]
      : undefined;
  if (v.routeId != null) {
    try {
      const r = await api.get<RouteWithStops>(`/api/v1/routes/${v.routeId}`);
      map.setRoute(r.path.coordinates);
      map.setStops(r.stops.map((st) => ({ id: st.id, lat: st.lat, lon: st.lon, name: st.name })));
    } catch {
      /* route deleted: the track alone */
    }
  }
  map.setTrack(coords.length > 1 ? coords : null, ep);

  // Replay: a slider over the track's points (keyboard: arrows), play/pause animates it.
  const slider = h('input', {
    type: 'range',
    min: 0,
    max: Math.max(0, coords.length - 1),
    value: ep?.[0] ?? 0,
    id: 'replay',
    'aria-label': t('replayPosition'),
  });
  const at = h('output', { for: 'replay', 'data-testid': 'replay-at' });
  const showAt = (i: number) => {
    const c = coords[i];
    if (!c) return;
    map.setBus({
      id: 'replay',
      lon: c[0],
      lat: c[1],
      label: plate(v.busId),
      tone: ep && i >= ep[0] && i <= ep[1] ? 'alarm' : 'ok',
    });
    at.textContent = `${times[i] ? i18n.dateTime(times[i]!) : ''} · ${speeds[i] != null ? t('kmh', { n: Math.round(speeds[i]!) }) : '—'}`;
  };
  slider.addEventListener('input', () => showAt(Number(slider.value)));
  let timer: ReturnType<typeof setInterval> | undefined;
  const play: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      'data-testid': 'replay-play',
      onclick: () => {
        if (timer) {
          clearInterval(timer);
          timer = undefined;
          play.textContent = t('play');
          return;
        }
        if (Number(slider.value) >= coords.length - 1) slider.value = '0';
        play.textContent = t('pause');
        timer = setInterval(
          () => {
            const i = Number(slider.value) + 1;
            if (i >= coords.length) {
              clearInterval(timer);
              timer = undefined;
              play.textContent = t('play');
              return;
            }
            slider.value = String(i);
            showAt(i);
          },
          Math.max(20, Math.min(250, 8000 / Math.max(1, coords.length))),
        );
      },
    },
    t('play'),
  );
  cleanup.push(() => clearInterval(timer));
  if (coords.length) showAt(Number(slider.value));

  const casePanel = h('section', { class: 'card', 'aria-labelledby': 'case-title', 'data-testid': 'case' });
  const renderCase = (cur: ViolationWithActions) => {
    const note = h('textarea', { id: 'case-note', rows: 2, cols: 40 });
    const reason = h('input', { id: 'case-reason', type: 'text' });
    const result = h('p', { role: 'status' });
    // An active case: managers move it (the bureau does not); everyone who sees it may note and escalate it.
    const active = caseTransitions[cur.status].length > 0;
    const moves = readOnly ? [] : caseTransitions[cur.status];
    const move = async (to: CaseStatus) => {
      try {
        const body: Record<string, unknown> = { to };
        if (note.value.trim()) body.note = note.value.trim();
        if (to === 'dismissed') {
          if (!reason.value.trim()) {
            result.className = 'error';
            result.textContent = t('reasonNeeded');
            reason.focus();
            return;
          }
          body.reason = reason.value.trim();
        }
        const updated = await api.post<ViolationWithActions>(`/api/v1/violations/${cur.id}/transitions`, body);
        renderCase(updated);
        toast(t('moved', { status: t(`status.${to}`) }));
        ($('[data-testid="case-status"]', casePanel) as HTMLElement).focus();
      } catch (err) {
        result.className = 'error';
        result.textContent = errorText(err);
      }
    };
    const addNote = async () => {
      if (!note.value.trim()) return;
      try {
        await api.post(`/api/v1/violations/${cur.id}/notes`, { note: note.value.trim() });
        renderCase({ ...cur, actions: (await api.get<CaseActionList>(`/api/v1/violations/${cur.id}/actions`)).items });
      } catch (err) {
        result.className = 'error';
        result.textContent = errorText(err);
      }
    };
    const escalate = async () => {
      if (!note.value.trim()) {
        result.className = 'error';
        result.textContent = t('escalateNeedsNote');
        note.focus();
        return;
      }
      try {
        const updated = await api.post<ViolationWithActions>(`/api/v1/violations/${cur.id}/escalate`, {
          note: note.value.trim(),
        });
        renderCase(updated);
        toast(t('escalatedToast'));
      } catch (err) {
        result.className = 'error';
        result.textContent = errorText(err);
      }
    };
    const label: Record<string, string> = {
      acknowledged: t('acknowledge'),
      rectifying: t('startRectifying'),
      closed: t('close'),
      dismissed: t('dismiss'),
    };
    clear(
      casePanel,
      h('h2', { id: 'case-title' }, t('case')),
      h(
        'dl',
        { class: 'kv' },
        h('dt', null, t('col.status')),
        h('dd', { 'data-testid': 'case-status', tabindex: -1, 'data-status': cur.status }, statusBadge(cur.status)),
        h('dt', null, t('owner')),
        h('dd', null, cur.ownerUserId == null ? '—' : userName(cur.ownerUserId)),
        h('dt', null, t('col.due')),
        h(
          'dd',
          null,
          cur.dueAt ? i18n.dateTime(cur.dueAt) : '—',
          cur.overdue ? h('span', { class: 'overdue' }, ` ⚠ ${t('overdue')}`) : null,
        ),
        cur.escalatedAt
          ? [
              h('dt', null, t('escalated')),
              h('dd', { 'data-testid': 'case-escalated' }, i18n.dateTime(cur.escalatedAt)),
            ]
          : null,
        cur.resolutionReason ? [h('dt', null, t('reason')), h('dd', null, cur.resolutionReason)] : null,
      ),
      active
        ? h(
            'div',
            null,
            h('p', null, h('label', { for: 'case-note' }, t('note')), h('br'), note),
            moves.includes('dismissed')
              ? h('p', null, h('label', { for: 'case-reason' }, t('dismissReason')), ' ', reason)
              : null,
            h(
              'div',
              { class: 'row' },
              moves.map((to) =>
                h(
                  'button',
                  { type: 'button', class: to === 'dismissed' ? null : 'primary', onclick: () => void move(to) },
                  label[to] ?? to,
                ),
              ),
              h('button', { type: 'button', onclick: () => void addNote() }, t('addNote')),
              cur.escalatedAt
                ? null
                : h(
                    'button',
                    { type: 'button', 'data-testid': 'case-escalate', onclick: () => void escalate() },
                    t('escalate'),
                  ),
            ),
          )
        : h('p', { class: 'muted' }, t('final')),
      result,
      active && !readOnly
        ? caseEditor(ctx, cur, async (updated) =>
            renderCase({
              ...updated,
              actions: (await api.get<CaseActionList>(`/api/v1/violations/${cur.id}/actions`)).items,
            }),
          )
        : null,
      h('h3', null, t('trail')),
      h(
        'ol',
        { class: 'trail', 'data-testid': 'trail' },
        cur.actions.map((a) =>
          h(
            'li',
            null,
            h('time', { datetime: a.at }, i18n.dateTime(a.at)),
            ` · ${a.actorName ?? (a.actorUserId != null ? userName(a.actorUserId) : '—')} · `,
            a.action === 'note'
              ? t('noteAdded')
              : a.action === 'escalate'
                ? t('trail.escalate')
                : a.action === 'assign'
                  ? t('trail.assign')
                  : a.fromStatus
                    ? t('trail.moved', { from: t(`status.${a.fromStatus}`), to: t(`status.${a.toStatus}`) })
                    : a.toStatus
                      ? t(`status.${a.toStatus}`)
                      : t('trail.created'),
            a.note ? ` — ${trailNote(a.note)}` : '',
          ),
        ),
      ),
    );
  };
  renderCase(v);

  clear(
    main,
    h('p', null, h('a', { href: hashOf('violations', undefined, filtersToParams(filterState)) }, t('backToList'))),
    h(
      'h2',
      { tabindex: -1, id: 'v-title' },
      `#${v.id} · ${t(`kind.${v.kind}`, { kind: v.kind })} `,
      sevBadge(v.severity),
    ),
    h(
      'div',
      { class: 'grid-2' },
      h(
        'div',
        null,
        map.el,
        coords.length ? h('div', { class: 'row' }, play, slider, at) : h('p', { class: 'muted' }, t('noTrack')),
        h(
          'section',
          { class: 'card' },
          h('h3', null, t('details')),
          h(
            'dl',
            { class: 'kv' },
            h('dt', null, t('col.bus')),
            h('dd', null, plate(v.busId)),
            h('dt', null, t('started')),
            h('dd', null, i18n.dateTime(v.startedAt)),
            h('dt', null, t('ended')),
            h('dd', null, v.endedAt ? i18n.dateTime(v.endedAt) : t('ongoing')),
            h('dt', null, t('col.value')),
            h('dd', null, valueText(v)),
            ...evidenceRows(v.evidence).flatMap(([k, x]) => [h('dt', null, k), h('dd', null, x)]),
          ),
        ),
      ),
      casePanel,
    ),
  );
  ($('#v-title', main) as HTMLElement).focus();
}

// ── compliance ───────────────────────────────────────────────────────────────────────────────────────────
async function complianceView() {
  const r = await api.get<ComplianceExpiries>('/api/v1/compliance/expiries?withinDays=60');
  const order = { expired: 0, missing: 1, expiring: 2 } as Record<string, number>;
  const items = [...r.items].sort(
    (a, b) => order[a.status]! - order[b.status]! || (a.daysLeft ?? -1e9) - (b.daysLeft ?? -1e9),
  );
  clear(
    main,
    h('h2', null, t('nav.compliance')),
    h(
      'p',
      null,
      t('complianceSummary', {
        expired: r.counts.expired ?? 0,
        missing: r.counts.missing ?? 0,
        expiring: r.counts.expiring ?? 0,
        date: [...new Set(Object.values(r.asOf).map((d) => (typeof d === 'string' ? d : '')))]
          .filter(Boolean)
          .join('、'),
      }),
    ),
    items.length
      ? h(
          'table',
          { 'data-testid': 'compliance' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ...['subject', 'item', 'expires', 'daysLeft', 'state'].map((k) =>
                h('th', { scope: 'col' }, t(`col.${k}`)),
              ),
            ),
          ),
          h(
            'tbody',
            null,
            items.map((i) =>
              h(
                'tr',
                null,
                h('td', null, `${t(`subject.${i.subjectType}`)}: ${i.subjectName}`),
                h('td', null, t(`item.${i.kind}`, { kind: i.kind })),
                h('td', null, i.expiresOn ?? '—'),
                h('td', null, i.daysLeft ?? '—'),
                h(
                  'td',
                  null,
                  h(
                    'span',
                    { class: `badge ${i.status === 'expiring' ? 'warn' : 'bad'}` },
                    t(`compliance.${i.status}`),
                  ),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'info' }, t('allValid')),
  );
}

// ── reports ──────────────────────────────────────────────────────────────────────────────────────────────
function bars(title: string, data: { label: string; count: number }[]) {
  const top = data.slice(0, 8);
  const max = Math.max(1, ...top.map((d) => d.count));
  const rowH = 24;
  return h(
    'figure',
    { class: 'card' },
    h('figcaption', null, h('strong', null, title)),
    top.length
      ? s(
          'svg',
          {
            class: 'bars',
            viewBox: `0 0 420 ${top.length * rowH}`,
            role: 'img',
            'aria-label': `${title}: ${top.map((d) => `${d.label} ${d.count}`).join(', ')}`,
          },
          ...top
            .map((d, i) => [
              s('text', { x: 0, y: i * rowH + 16 }, d.label.length > 22 ? `${d.label.slice(0, 21)}…` : d.label),
              s('rect', {
                class: 'bar',
                x: 170,
                y: i * rowH + 4,
                height: rowH - 8,
                width: Math.max(2, (d.count / max) * 210),
              }),
              s('text', { x: 176 + (d.count / max) * 210, y: i * rowH + 16 }, String(d.count)),
            ])
            .flat(),
        )
      : h('p', { class: 'muted' }, t('none')),
  );
}

async function reportsView(id?: number) {
  const list = await api.get<ReportPage>('/api/v1/reports?limit=30');
  const schoolSel = h(
    'select',
    { id: 'r-school' },
    schools.map((sc) => h('option', { value: sc.id }, sc.name)),
  );
  // The default period is today where the chosen school is (not the browser's or UTC's day), and follows the
  // school picker until the manager types a period of their own.
  const schoolDay = () => localDay(schools.find((sc) => String(sc.id) === schoolSel.value)?.timeZone);
  schoolSel.addEventListener('change', () => {
    if (!period.dataset.edited) period.value = schoolDay();
  });
  const period = h('input', {
    id: 'r-period',
    value: schoolDay(),
    oninput: () => (period.dataset.edited = '1'),
    pattern: '\\d{4}-(\\d{2}-\\d{2}|W\\d{2}|\\d{2})',
    required: true,
    'aria-describedby': 'r-help',
  });
  const result = h('p', { role: 'status' });
  const view = h('div');
  clear(
    main,
    h('h2', null, t('nav.reports')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          result.textContent = t('generating');
          try {
            const r = await api.post<Report>('/api/v1/reports', {
              schoolId: Number(schoolSel.value),
              period: period.value,
            });
            location.hash = `#/reports/${r.id}`;
          } catch (err) {
            result.className = 'error';
            result.textContent = errorText(err);
          }
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'r-school' }, t('col.school')), schoolSel),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'r-period' }, t('period')),
        period,
        h('small', { id: 'r-help', class: 'muted' }, t('periodHelp')),
      ),
      h('button', { type: 'submit', class: 'primary' }, t('generate')),
    ),
    result,
    h(
      'div',
      { class: 'grid-2' },
      view,
      h(
        'section',
        null,
        h('h3', null, t('stored')),
        list.items.length
          ? h(
              'ul',
              null,
              list.items.map((r) =>
                h(
                  'li',
                  null,
                  h(
                    'a',
                    { href: `#/reports/${r.id}`, 'aria-current': r.id === id ? 'page' : null },
                    `${r.periodKey} · ${t(`reportKind.${r.kind}`, { kind: r.kind })} · ${schools.find((x) => x.id === r.schoolId)?.name ?? t('district')}`,
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, t('noReports')),
      ),
    ),
  );
  if (id == null) return;
  const r = await api.get<Report>(`/api/v1/reports/${id}`);
  const d = r.data;
  const csv = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        const text = await api.text(`/api/v1/reports/${id}?format=csv&lang=${i18n.lang}`);
        // The byte-order mark (the decoder dropped the server's) keeps Chinese text right in Excel.
        const a = h('a', {
          href: URL.createObjectURL(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' })),
          download: `report-${r.periodKey}.csv`,
        });
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      },
    },
    t('downloadCsv'),
  );
  // Both downloads in the reader's language, the page's (a link without `lang` gets the school's).
  const html = h(
    'button',
    {
      type: 'button',
      'data-testid': 'report-html',
      onclick: async () => {
        const text = await api.text(`/api/v1/reports/${id}?format=html&lang=${i18n.lang}`);
        const a = h('a', {
          href: URL.createObjectURL(new Blob([text], { type: 'text/html;charset=utf-8' })),
          download: `report-${r.periodKey}.html`,
        });
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      },
    },
    t('downloadHtml'),
  );
  clear(
    view,
    h(
      'h3',
      { 'data-testid': 'report-title' },
      t('reportTitle', {
        scope: d.scope.schoolId == null ? t('district') : (d.scope.schools[0]?.name ?? '—'),
        kind: t(`reportKind.${d.period.kind}`),
        key: d.period.key,
      }),
    ),
    h(
      'dl',
      { class: 'kv card' },
      h('dt', null, t('nav.violations')),
      h(
        'dd',
        null,
        `${d.violations.total} (${d.violations.change >= 0 ? '+' : ''}${d.violations.change} ${t('vsPrevious')})`,
      ),
      h('dt', null, t('casesClosed')),
      h(
        'dd',
        null,
        `${d.cases.closed} / ${d.cases.opened}${d.cases.rectificationRate != null ? ` (${Math.round(d.cases.rectificationRate * 100)}%)` : ''}`,
      ),
      h('dt', null, t('overdue')),
      h('dd', null, String(d.cases.overdue)),
      h('dt', null, t('onTime')),
      h(
        'dd',
        null,
        d.onTime.onTimeRate != null
          ? `${Math.round(d.onTime.onTimeRate * 100)}% (${d.onTime.onTime}/${d.onTime.arrived})`
          : '—',
      ),
      h('dt', null, t('ridership')),
      h('dd', null, t('ridershipText', { boarded: d.ridership.boarded, trips: d.ridership.trips })),
    ),
    bars(
      t('byKind'),
      d.violations.byKind.map((x) => ({ ...x, label: t(`kind.${x.label}`) })),
    ),
    bars(
      t('bySeverity'),
      d.violations.bySeverity.map((x) => ({ ...x, label: t(`sev.${x.label}`) })),
    ),
    bars(t('byBus'), d.violations.byBus),
    bars(t('byDriver'), d.violations.byDriver),
    h('div', { class: 'row' }, csv, html),
  );
}

start().catch((err) => {
  console.warn(err);
  clear(app, h('p', { class: 'error', role: 'alert' }, errorText(err)));
});
