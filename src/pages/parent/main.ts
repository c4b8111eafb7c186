// Parent page (phone first): the child's bus live on the map with the route and the child's stop, the ETA in
// minutes, the notice feed, and how early the "approaching" notice should come. Signed in by the link a school
// issues (/parent#token=…): the token moves from the fragment to localStorage and never appears in a URL the
// server sees. ?student=<id> picks a child; the page asks the API for nothing the guardian may not read.
import { ApiError, type Api, listAll, makeApi, takeToken } from '../shared/api';
import { signInCard, whoAmI } from '../shared/sign-in';
import { $, clear, h } from '../shared/dom';
import { defaultLang, I18n, type Lang, storedLang } from '../shared/i18n';
import { LiveFeed, type LiveMessage, type LiveState } from '../shared/live';
import { alongM } from '../shared/geo';
import { type LonLat, MapView } from '../shared/map';
import { en, zh } from './strings';
import { enablePush, pushState, registerServiceWorker } from '../shared/pwa';
import type {
  Eta,
  EtaStop,
  MyNoticePreferences,
  MyTrip,
  MyTrips,
  Notice,
  NoticePage,
  Principal,
  RouteWithStops,
  School,
  ShareLinkCreated,
  ShareLinkList,
  Student,
  TripPosition,
} from '../../http/contract';

const TOKEN_KEY = 'bg.token.parent';
const NOTICE_CACHE = 'bg.parent.notices';

const i18n = new I18n({ en, 'zh-CN': zh }, defaultLang());
const t = i18n.t;
const app = $('#app');

function signIn(message?: string) {
  clear(
    app,
    topbar(),
    h(
      'main',
      null,
      signInCard(
        { title: t('signInTitle'), label: t('tokenLabel'), button: t('signIn'), help: t('signInHelp') },
        message,
      ),
    ),
  );
}

let connEl: HTMLElement | null = null;
function topbar(title?: string) {
  connEl = h('span', { class: 'conn', role: 'status', 'aria-live': 'polite' });
  const other: Lang = i18n.lang === 'en' ? 'zh-CN' : 'en';
  return h(
    'header',
    { class: 'topbar' },
    h('h1', null, title ?? t('title')),
    h('span', { class: 'spacer' }),
    connEl,
    h(
      'button',
      { type: 'button', lang: other, onclick: () => (i18n.set(other), location.reload()) },
      other === 'en' ? 'English' : '中文',
    ),
  );
}

function setConn(state: LiveState) {
  if (!connEl) return;
  connEl.className = `conn ${state === 'live' ? 'live' : state === 'connecting' ? 'connecting' : 'offline'}`;
  connEl.textContent = t(`conn.${state}`);
}

function minutesText(etaMs: number): string {
  const min = Math.max(0, Math.round((etaMs - Date.now()) / 60_000));
  return min < 1 ? t('etaNow') : t('etaMinutes', { n: min });
}

function pickTrip(trips: MyTrip[]): MyTrip | undefined {
  const active = trips.find((x) => x.status === 'active');
  if (active) return active;
  const upcoming = trips
    .filter((x) => x.status === 'planned')
    .sort((a, b) => Date.parse(a.plannedStartAt) - Date.parse(b.plannedStartAt));
  return upcoming[0] ?? trips[trips.length - 1];
}

function loadNoticeCache(guardianId: number): { cursor: number; items: Notice[] } {
  try {
    const c = JSON.parse(localStorage.getItem(NOTICE_CACHE) ?? 'null');
    if (c && c.guardianId === guardianId && Array.isArray(c.items))
      return { cursor: Number(c.cursor) || 0, items: c.items };
  } catch {
    /* no cache */
  }
  return { cursor: 0, items: [] };
}

function saveNoticeCache(guardianId: number, cursor: number, items: Notice[]) {
  try {
    localStorage.setItem(NOTICE_CACHE, JSON.stringify({ guardianId, cursor, items: items.slice(0, 50) }));
  } catch {
    /* storage full: fine */
  }
}

async function start() {
  const token = takeToken(TOKEN_KEY);
  if (!token) return signIn();
  const api = makeApi(token);
  clear(app, topbar(), h('main', null, h('p', { class: 'loading', role: 'status' }, t('loading'))));
  const me = await whoAmI<Principal>(api, TOKEN_KEY);
  if (!me) return signIn(t('linkExpired'));
  if (me.role !== 'guardian' || me.guardianId == null) return fatal(t('notParentLink'));
  const [prefs, today, children] = await Promise.all([
    api.get<MyNoticePreferences>('/api/v1/me/notice-preferences'),
    api.get<MyTrips>('/api/v1/me/trips'),
    listAll<Student>(api, '/api/v1/students'),
  ]);
  // The guardian's language from the school's registry, unless this phone chose one.
  if (!storedLang() && prefs.locale !== i18n.lang) i18n.use(prefs.locale);
  const params = new URLSearchParams(location.search);
  // ?trip= (a notification's link) opens the child riding that trip
  const onTrip = today.items.find((x) => String(x.id) === params.get('trip'));
  const wanted = params.get('student') ?? (onTrip?.riders[0] ? String(onTrip.riders[0].studentId) : null);
  let child: Student | undefined = children[0];
  if (wanted != null) {
    child = children.find((c) => String(c.id) === wanted);
    // The API lists only the guardian's own children: any other id is not theirs (and the API refuses its data).
    if (!child) return fatal(t('notYourChild'), children);
  }
  if (!child) return fatal(t('noChildren'));
  await showChild(api, me.guardianId, child, children, today.items, prefs.noticePreferences);
}

function childTabs(children: { id: number; name: string }[], currentId?: number) {
  if (children.length < 2 && currentId != null) return null;
  return h(
    'nav',
    { class: 'child-tabs', 'aria-label': t('children') },
    children.map((c) =>
      h('a', { href: `/parent?student=${c.id}`, 'aria-current': c.id === currentId ? 'page' : null }, c.name),
    ),
  );
}

function fatal(message: string, children?: { id: number; name: string }[]) {
  clear(
    app,
    topbar(),
    h(
      'main',
      null,
      h('p', { class: 'error', role: 'alert', 'data-testid': 'fatal' }, message),
      children?.length ? childTabs(children) : null,
    ),
  );
}

async function showChild(
  api: Api,
  guardianId: number,
  child: { id: number; name: string },
  children: { id: number; name: string }[],
  trips: MyTrip[],
  prefs: { approachMinutes?: number; approachMetres?: number },
) {
  const mine = trips.filter((x) => x.riders.some((r) => r.studentId === child.id));
  i18n.timeZone = trips[0]?.timeZone;
  const trip = pickTrip(mine);
  const stopId = trip?.riders.find((r) => r.studentId === child.id)?.stopId;

  const statusEl = h('p', { class: 'muted', 'data-testid': 'trip-status' });
  const etaEl = h('p', { class: 'eta', 'data-testid': 'eta', 'aria-live': 'polite' }, '—');
  const etaDetail = h('p', { class: 'muted', 'data-testid': 'eta-detail' });
  const noticeList = h('ol', { class: 'notices', 'data-testid': 'notices', 'aria-live': 'polite' });
  const map = new MapView(t('mapLabel'), {
    zoomLabels: { in: t('zoomIn'), out: t('zoomOut'), fit: t('zoomFit') },
    cooperative: { touch: t('mapTwoFingers'), windows: t('mapCtrlZoom'), mac: t('mapCmdZoom') },
    unavailable: t('mapUnavailable'),
  });
  map.el.setAttribute('data-testid', 'map');
  const lastSeen = h('p', { class: 'muted', 'data-testid': 'bus-seen' });
  const staleEl = h('p', { class: 'warning', role: 'status', 'data-testid': 'bus-stale', hidden: '' });

  clear(
    app,
    topbar(child.name),
    h(
      'main',
      null,
      childTabs(children, child.id),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'bus-title' },
        h(
          'h2',
          { id: 'bus-title' },
          trip ? t('busOf', { plate: trip.busPlate, route: trip.routeName }) : t('noTripToday'),
        ),
        statusEl,
        etaEl,
        etaDetail,
        staleEl,
      ),
      trip
        ? h(
            'section',
            { 'aria-labelledby': 'map-title' },
            h('h2', { id: 'map-title', class: 'visually-hidden' }, t('mapLabel')),
            map.el,
            lastSeen,
          )
        : null,
      mine.length > 1
        ? h(
            'p',
            { class: 'muted' },
            t('otherTrips', {
              list: mine
                .filter((x) => x !== trip)
                .map((x) => `${x.routeName} ${i18n.time(x.plannedStartAt)}`)
                .join(', '),
            }),
          )
        : null,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'notices-title' },
        h('h2', { id: 'notices-title' }, t('notices')),
        noticeList,
      ),
      prefsForm(api, prefs),
      shareCard(api, child),
      pushCard(api),
    ),
  );

  // Notices: cached ones, then what came since the cursor, then live.
  const cache = loadNoticeCache(guardianId);
  const notices = new Map<number, Notice>(cache.items.map((n) => [n.id, n]));
  let cursor = cache.cursor;
  const renderNotices = (fresh?: number) => {
    const list = [...notices.values()].sort((a, b) => b.id - a.id).slice(0, 30);
    noticeList.replaceChildren(
      ...(list.length
        ? list.map((n) =>
            h(
              'li',
              { class: n.id === fresh ? 'is-new' : null, 'data-kind': n.kind },
              h('time', { datetime: n.createdAt }, i18n.dateTime(n.createdAt)),
              i18n.lang === 'en' ? n.textEn : n.textZh,
            ),
          )
        : [h('li', { class: 'muted' }, t('noNotices'))]),
    );
    saveNoticeCache(guardianId, cursor, list);
  };
  renderNotices();
  try {
    for (let i = 0; i < 20; i++) {
      const page: NoticePage = await api.get(`/api/v1/notices?cursor=${cursor}&limit=200`);
      for (const n of page.items) notices.set(n.id, n);
      if (page.items.length) cursor = Math.max(cursor, ...page.items.map((n) => n.id));
      if (page.nextCursor == null) break;
    }
    renderNotices();
  } catch (err) {
    noticeList.replaceChildren(h('li', { class: 'error' }, t('loadFailed', { why: (err as Error).message })));
  }

  if (!trip) {
    statusEl.textContent = t('noTripTodayHelp');
    return;
  }

  let status = trip.status;
  let eta: EtaStop | undefined;
  // "Passed" only once the bus has left the child's stop (stop.departed / missed, a later stop reached, or a live
  // ETA list without it: the engine keeps a stop in the list until its departure).
  let passed = false;
  let atMyStop = false;
  let stopOrder: string[] = [];
  let routeLine: LonLat[] = [];
  let stopAlongM: number | null = null;
  let busAlongM: number | null = null;
  let etaSource = 'timetable';
  let lastFixMs: number | null = null;
  let stopsAlongM: number[] = [];
  /** A position older than this while the trip runs is called out ("last position 2 min ago"). */
  const STALE_AFTER_MS = 60_000;
  const renderStale = () => {
    const ageMs = lastFixMs == null ? 0 : Date.now() - lastFixMs;
    const stale = status === 'active' && lastFixMs != null && ageMs > STALE_AFTER_MS;
    staleEl.hidden = !stale;
    staleEl.textContent = stale ? t('stale', { n: Math.max(1, Math.floor(ageMs / 60_000)) }) : '';
  };
  const renderStatus = () => {
    renderStale();
    statusEl.textContent =
      status === 'active'
        ? t('status.active')
        : status === 'completed'
          ? t('status.completed')
          : status === 'cancelled'
            ? t('status.cancelled')
            : t('status.planned', { time: i18n.time(trip.plannedStartAt) });
    if (status === 'completed' || status === 'cancelled') {
      etaEl.textContent = '—';
      etaDetail.textContent = '';
      return;
    }
    if (status === 'active' && passed) {
      etaEl.textContent = t('etaPassed');
      etaDetail.textContent = '';
      return;
    }
    if (status === 'active' && atMyStop) {
      etaEl.textContent = t('etaAtStop');
      etaDetail.textContent = '';
      return;
    }
    if (!eta) {
      etaEl.textContent = '—';
      etaDetail.textContent = '';
      return;
    }
    etaEl.replaceChildren(minutesText(eta.etaMs));
    const bits = [t('etaAt', { stop: eta.name ?? t('yourStop'), time: i18n.time(eta.etaMs) })];
    // How many stops until the child's (theirs included), from the bus's place along the route.
    if (status === 'active' && busAlongM != null && stopAlongM != null && busAlongM < stopAlongM) {
      const n = stopsAlongM.filter((a) => a > busAlongM! && a <= stopAlongM! + 1).length;
      if (n > 0) bits.unshift(n === 1 ? t('oneStopAway') : t('stopsAway', { n }));
    }
    // Distance along the route from the latest position (the ETA message is only re-sent when the time moves).
    const left = busAlongM != null && stopAlongM != null ? stopAlongM - busAlongM : eta.remainingM;
    if (left != null && left > 0) bits.push(t('remaining', { km: (left / 1000).toFixed(1) }));
    if (etaSource === 'timetable') bits.push(t('byTimetable'));
    else if (eta.delayS != null && eta.delayS > 120) bits.push(t('late', { n: Math.round(eta.delayS / 60) }));
    etaDetail.textContent = bits.join(' · ');
  };

  const applyEta = (data: { source: string; stops: EtaStop[]; atStopId?: string | null }) => {
    etaSource = data.source;
    eta = data.stops.find((x) => x.stopId === String(stopId));
    if (data.source === 'live' && stopId != null) {
      atMyStop = data.atStopId === String(stopId);
      if (!eta) passed = true;
    }
    renderStatus();
  };

  const onStopEvent = (event: string, id: string) => {
    if (stopId == null) return;
    const mine = String(stopId);
    if (id === mine) {
      if (event === 'stop.arrived') atMyStop = true;
      if (event === 'stop.departed' || event === 'stop.missed') {
        passed = true;
        atMyStop = false;
      }
    } else if (
      event === 'stop.arrived' &&
      stopOrder.indexOf(id) > stopOrder.indexOf(mine) &&
      stopOrder.indexOf(mine) >= 0
    ) {
      passed = true;
      atMyStop = false;
    }
  };

  const setBus = (p: {
    lat: number;
    lon: number;
    headingDeg?: number | null;
    timeMs: number;
    speedKph?: number | null;
    tripId?: number | null;
  }) => {
    // The lane puts a position on a trip only while that trip runs: the page need not wait for the trip.started
    // message (it is published after the riders are looked up, so a moving bus can come first).
    if (p.tripId === trip.id && status === 'planned') status = 'active';
    map.setBus({ id: trip.busId, lat: p.lat, lon: p.lon, headingDeg: p.headingDeg, label: trip.busPlate });
    map.el.setAttribute('data-bus-lat', String(p.lat));
    map.el.setAttribute('data-bus-lon', String(p.lon));
    if (routeLine.length > 1) busAlongM = alongM(routeLine, p.lat, p.lon);
    lastFixMs = Math.max(lastFixMs ?? 0, p.timeMs);
    renderStatus();
    lastSeen.textContent = t('seenAt', {
      time: i18n.time(p.timeMs),
      speed: p.speedKph != null ? Math.round(p.speedKph) : '—',
    });
  };

  const [route, pos, etaNow, school] = await Promise.all([
    api.get<RouteWithStops>(`/api/v1/routes/${trip.routeId}`),
    api.get<TripPosition>(`/api/v1/trips/${trip.id}/position`).catch(() => ({ position: null })),
    api.get<Eta>(`/api/v1/trips/${trip.id}/eta${stopId ? `?stopId=${stopId}` : ''}`).catch(() => null),
    api.get<School>(`/api/v1/schools/${trip.schoolId}`).catch(() => null),
  ]);
  routeLine = route.path.coordinates;
  stopOrder = route.stops.map((st) => String(st.id));
  const myStop = route.stops.find((st) => st.id === stopId);
  if (myStop) stopAlongM = alongM(routeLine, myStop.lat, myStop.lon);
  stopsAlongM = route.stops.map((st) => alongM(routeLine, st.lat, st.lon));
  map.setRoute(route.path.coordinates);
  map.setStops(
    route.stops.map((st) => ({ id: st.id, lat: st.lat, lon: st.lon, name: st.name, highlight: st.id === stopId })),
  );
  if (school?.lat != null && school.lon != null)
    map.setPlaces([{ id: school.id, lat: school.lat, lon: school.lon, name: school.name }]);
  // The map keeps the bus and the child's stop in view (until the parent moves it).
  if (stopId != null) map.followBusAndStop(trip.busId, stopId);
  if (pos.position) setBus(pos.position);
  else lastSeen.textContent = t('noPosition');
  if (etaNow) applyEta(etaNow);
  renderStatus();
  setInterval(renderStatus, 10_000);

  const live = new LiveFeed({
    token: api.token,
    onState: setConn,
    onMessage: (m: LiveMessage) => {
      if (m.type === 'position') setBus(m.data);
      else if (m.type === 'eta') applyEta(m.data);
      else if (m.type === 'notice') {
        notices.set(m.data.id, m.data);
        cursor = Math.max(cursor, m.data.id);
        renderNotices(m.data.id);
      } else if (m.type === 'trip') {
        if (m.data.event === 'trip.started') status = 'active';
        if (m.data.event === 'trip.ended') status = 'completed';
        if (typeof m.data.event === 'string' && m.data.event.startsWith('stop.') && m.data.stopId != null)
          onStopEvent(m.data.event, String(m.data.stopId));
        renderStatus();
      }
    },
  });
  setConn(live.state);
  live.subscribe(`trip:${trip.id}`);
}

function prefsForm(api: Api, prefs: { approachMinutes?: number; approachMetres?: number }) {
  const byMetres = prefs.approachMetres != null && prefs.approachMinutes == null;
  const minutesRadio = h('input', {
    type: 'radio',
    name: 'mode',
    value: 'minutes',
    id: 'mode-min',
    checked: !byMetres,
  });
  const metresRadio = h('input', { type: 'radio', name: 'mode', value: 'metres', id: 'mode-m', checked: byMetres });
  const minutes = h('input', {
    type: 'number',
    id: 'pref-min',
    'aria-label': t('minutesUnit'),
    min: 1,
    max: 60,
    step: 1,
    value: prefs.approachMinutes ?? 5,
    inputmode: 'numeric',
  });
  const metres = h('input', {
    type: 'number',
    id: 'pref-m',
    'aria-label': t('metresUnit'),
    min: 50,
    max: 20000,
    step: 50,
    value: prefs.approachMetres ?? 500,
    inputmode: 'numeric',
  });
  const result = h('p', { role: 'status', 'data-testid': 'prefs-result' });
  const save = h('button', { type: 'submit', class: 'primary' }, t('save'));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'prefs-title' },
    h('h2', { id: 'prefs-title' }, t('prefsTitle')),
    h(
      'form',
      {
        'data-testid': 'prefs',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const body = metresRadio.checked
            ? { approachMetres: Number(metres.value) }
            : { approachMinutes: Number(minutes.value) };
          save.disabled = true;
          result.className = '';
          result.textContent = t('saving');
          try {
            await api.patch('/api/v1/me/notice-preferences', body);
            result.className = 'ok-text';
            result.textContent = t('saved');
          } catch (err) {
            result.className = 'error';
            result.textContent =
              err instanceof ApiError && err.status === 400
                ? t('prefsInvalid')
                : t('saveFailed', { why: (err as Error).message });
          } finally {
            save.disabled = false;
          }
        },
      },
      h(
        'fieldset',
        null,
        h('legend', null, t('prefsLegend')),
        h(
          'p',
          null,
          h('label', { for: 'mode-min' }, minutesRadio, t('prefsMinutes')),
          ' ',
          minutes,
          ' ',
          t('minutesUnit'),
        ),
        h('p', null, h('label', { for: 'mode-m' }, metresRadio, t('prefsMetres')), ' ', metres, ' ', t('metresUnit')),
      ),
      save,
      result,
    ),
  );
}

/** Trusted-adult links for this child: make one (shown once), list the active ones, revoke. */
function shareCard(api: Api, child: { id: number; name: string }) {
  const list = h('ul', { class: 'share-links', 'data-testid': 'share-links' });
  const made = h('div', { 'data-testid': 'share-made', role: 'status' });
  const refresh = async () => {
    const links = await api.get<ShareLinkList>('/api/v1/share-links');
    const active = links.items.filter((l) => l.studentId === child.id && l.status === 'active');
    clear(
      list,
      ...(active.length
        ? active.map((l) =>
            h(
              'li',
              { 'data-link-id': String(l.id) },
              `${t('shareUntil', { time: i18n.time(l.expiresAt) })} `,
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => void api.send('DELETE', `/api/v1/share-links/${l.id}`).then(refresh),
                },
                t('shareRevoke'),
              ),
            ),
          )
        : [h('li', { class: 'muted' }, t('shareNone'))]),
    );
  };
  const create = h(
    'button',
    {
      type: 'button',
      'data-testid': 'share-create',
      onclick: () =>
        void api.post<ShareLinkCreated>('/api/v1/share-links', { studentId: child.id }).then((l) => {
          const url = new URL(l.path, location.origin).href;
          clear(
            made,
            h('p', null, t('shareMade')),
            h('input', { readonly: '', value: url, 'data-testid': 'share-url' }),
          );
          return refresh();
        }),
    },
    t('shareCreate'),
  );
  void refresh().catch(() => undefined);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'share-title', 'data-testid': 'share' },
    h('h2', { id: 'share-title' }, t('shareTitle')),
    h('p', { class: 'muted' }, t('shareHelp', { child: child.name })),
    create,
    made,
    list,
  );
}

/** Web Push on this phone: the state, and a button to turn it on. */
function pushCard(api: Api) {
  const status = h('p', { role: 'status', 'data-testid': 'push-status' });
  const button = h('button', { type: 'button', 'data-testid': 'push-enable' }, t('pushEnable'));
  const show = (state: Awaited<ReturnType<typeof pushState>>) => {
    status.textContent = t(`push.${state}`);
    button.hidden = state === 'on' || state === 'unsupported' || state === 'denied';
  };
  button.addEventListener('click', () => {
    button.setAttribute('disabled', '');
    enablePush(api)
      .then(show)
      .catch((err: unknown) => {
        status.textContent = t('push.failed', { why: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => button.removeAttribute('disabled'));
  });
  void pushState().then(show, () => show('unsupported'));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'push-title', 'data-testid': 'push' },
    h('h2', { id: 'push-title' }, t('pushTitle')),
    h('p', { class: 'muted' }, t('pushHelp')),
    status,
    button,
  );
}

void registerServiceWorker();

start().catch((err) => {
  console.warn(err);
  fatal(
    err instanceof ApiError && err.network
      ? t('offline')
      : t('loadFailed', { why: err instanceof Error ? err.message : String(err) }),
  );
});
