// Attendant page (phone, one hand, in a moving bus): today's trips; check-in with the pre-departure check
// results; the stop list with large board/get-off buttons or the student roster; the onboard count against the
// bus's approved capacity (red when over); an offline queue that survives reloads (pending count shown, sent
// once when the network is back); the end-of-trip sweep confirmation.
import { registerServiceWorker } from '../shared/pwa';
import { ApiError, type Api, clientId, makeApi, takeToken } from '../shared/api';
import { signInCard, whoAmI } from '../shared/sign-in';
import { $, clear, h } from '../shared/dom';
import { defaultLang, I18n, type Lang } from '../shared/i18n';
import { type BoardingRecord, BoardingQueue, type FlushResult } from './queue';
import { en, zh } from './strings';
import type {
  BoardingState as Boarding,
  BoardingRecord as ServerRecord,
  CheckIn,
  MyTrip,
  MyTrips,
  Principal,
  RouteWithStops,
  Stop,
  SweepResult,
} from '../../http/contract';

const TOKEN_KEY = 'bg.token.attendant';
const i18n = new I18n({ en, 'zh-CN': zh }, defaultLang());
const t = i18n.t;
const app = $('#app');

interface Snapshot {
  trip: MyTrip;
  stops: Stop[];
  boarding: Boarding;
  savedAt: number;
}

type NewRecord = BoardingRecord extends infer R
  ? R extends BoardingRecord
    ? Omit<R, 'clientId' | 'recordedAt'>
    : never
  : never;

const snapshotKey = (id: number) => `bg.att.trip.${id}`;
const checkinKey = (id: number) => `bg.att.checkin.${id}`;
const stopKey = (id: number) => `bg.att.stop.${id}`;
const save = (k: string, v: unknown) => {
  try {
    localStorage.setItem(k, JSON.stringify(v));
  } catch {
    /* full */
  }
};
const load = <T>(k: string): T | null => {
  try {
    return JSON.parse(localStorage.getItem(k) ?? 'null') as T | null;
  } catch {
    return null;
  }
};

let netEl: HTMLElement | null = null;
function topbar(title: string) {
  netEl = h('span', { class: 'conn', role: 'status' });
  renderNet();
  const other: Lang = i18n.lang === 'en' ? 'zh-CN' : 'en';
  return h(
    'header',
    { class: 'topbar' },
    h('h1', null, title),
    h('span', { class: 'spacer' }),
    netEl,
    h(
      'button',
      { type: 'button', lang: other, onclick: () => (i18n.set(other), location.reload()) },
      other === 'en' ? 'English' : '中文',
    ),
  );
}
function renderNet() {
  if (!netEl) return;
  netEl.className = `conn ${navigator.onLine ? 'live' : 'offline'}`;
  netEl.textContent = navigator.onLine ? t('online') : t('offline');
}
window.addEventListener('online', renderNet);
window.addEventListener('offline', renderNet);

function signIn(message?: string) {
  clear(
    app,
    topbar(t('title')),
    h('main', null, signInCard({ title: t('signInTitle'), label: t('tokenLabel'), button: t('signIn') }, message)),
  );
}

function fatal(message: string) {
  clear(
    app,
    topbar(t('title')),
    h('main', null, h('p', { class: 'error', role: 'alert', 'data-testid': 'fatal' }, message)),
  );
}

async function start() {
  const token = takeToken(TOKEN_KEY);
  if (!token) return signIn();
  const api = makeApi(token);
  clear(app, topbar(t('title')), h('main', null, h('p', { class: 'loading', role: 'status' }, t('loading'))));
  const m = /^#\/trip\/(\d+)$/.exec(location.hash);
  if (m) return showTrip(api, Number(m[1]));
  const me = await whoAmI<Principal>(api, TOKEN_KEY);
  if (!me) return signIn(t('linkExpired'));
  if (me.role !== 'attendant') return fatal(t('notAttendant'));
  const today: MyTrips = await api.get('/api/v1/me/trips');
  i18n.timeZone = today.items[0]?.timeZone;
  for (const trip of today.items) {
    const snap = load<Snapshot>(snapshotKey(trip.id));
    if (snap) save(snapshotKey(trip.id), { ...snap, trip });
  }
  clear(
    app,
    topbar(t('title')),
    h(
      'main',
      null,
      h('h2', null, t('todayTrips')),
      today.items.length
        ? h(
            'ul',
            { class: 'trip-list', 'data-testid': 'trips' },
            today.items.map((x) =>
              h(
                'li',
                null,
                h(
                  'button',
                  { type: 'button', onclick: () => ((location.hash = `#/trip/${x.id}`), void showTrip(api, x.id, x)) },
                  h('strong', null, `${i18n.time(x.plannedStartAt)} · ${x.routeName}`),
                  h('br'),
                  `${x.busPlate} · ${t(`status.${x.status}`)} · ${t('riders', { n: x.riders.length })}`,
                ),
              ),
            ),
          )
        : h('p', { class: 'info' }, t('noTrips')),
    ),
  );
}

window.addEventListener('hashchange', () => {
  if (!location.hash) location.reload();
});

async function showTrip(api: Api, tripId: number, known?: MyTrip) {
  let snap = load<Snapshot>(snapshotKey(tripId));
  let stale = false;
  try {
    const trip = known ?? (await api.get<MyTrips>('/api/v1/me/trips')).items.find((x) => x.id === tripId);
    if (!trip) return fatal(t('tripNotToday'));
    const [route, boarding] = await Promise.all([
      api.get<RouteWithStops>(`/api/v1/routes/${trip.routeId}`),
      api.get<Boarding>(`/api/v1/trips/${tripId}/boarding`),
    ]);
    snap = { trip, stops: route.stops, boarding, savedAt: Date.now() };
    save(snapshotKey(tripId), snap);
  } catch (err) {
    if (!(err instanceof ApiError && (err.network || err.status >= 500)) || !snap) throw err;
    stale = true; // offline: work from the copy kept on this phone
  }
  const { trip, stops } = snap!;
  i18n.timeZone = trip.timeZone;
  let boarding = snap!.boarding;
  const queue = new BoardingQueue(
    api,
    () => render(),
    (r: FlushResult) => onFlushed(r),
  );
  let mode: 'stops' | 'students' = 'stops';
  let currentStop: number = load<number>(stopKey(tripId)) ?? stops[0]?.id ?? 0;
  let sweepOpen = false;
  let message: { kind: 'error' | 'info'; text: string } | null = stale
    ? { kind: 'info', text: t('savedCopy', { time: i18n.time(snap!.savedAt) }) }
    : null;

  const stopName = (id: number | null | undefined) => stops.find((s) => s.id === id)?.name ?? '—';

  function onFlushed(r: FlushResult) {
    if (r.tripId !== tripId) return;
    if (r.counts) boarding = { ...boarding, counts: r.counts };
    const notes = [
      ...r.warnings.map((w) => w.message),
      ...r.violations.map((v) => t(`violation.${v.kind}`, { kind: v.kind })),
    ];
    message = notes.length ? { kind: 'error', text: notes.join(' · ') } : message;
    void refresh();
  }

  async function refresh() {
    try {
      boarding = await api.get<Boarding>(`/api/v1/trips/${tripId}/boarding`);
      save(snapshotKey(tripId), { trip, stops, boarding, savedAt: Date.now() });
      render();
    } catch {
      /* offline: the copy stands */
    }
  }

  /** The server's records plus those still queued here. */
  function allRecords(): (ServerRecord | (BoardingRecord & { queued: true }))[] {
    const seen = new Set(boarding.records.map((r) => r.clientId));
    return [
      ...boarding.records,
      ...queue
        .pending(tripId)
        .filter((r) => !seen.has(r.clientId))
        .map((r) => ({ ...r, queued: true as const })),
    ];
  }

  function onboardCount(): number {
    const pending = queue.pending(tripId).filter((r) => !boarding.records.some((s) => s.clientId === r.clientId));
    let n = boarding.counts.onboard;
    for (const r of pending)
      n += r.type === 'count' ? (r.boarded ?? 0) - (r.alighted ?? 0) : r.event === 'boarded' ? 1 : -1;
    return n;
  }

  function studentOnboard(studentId: number): boolean {
    let on = false;
    const recs = allRecords()
      .filter((r) => r.type === 'student' && r.studentId === studentId)
      .sort((a, b) => Date.parse(a.recordedAt) - Date.parse(b.recordedAt));
    for (const r of recs) on = 'event' in r ? r.event === 'boarded' : (r.boarded ?? 0) > 0;
    return on;
  }

  function stopTotals(stopId: number) {
    let on = 0;
    let off = 0;
    for (const r of allRecords()) {
      if (r.stopId !== stopId) continue;
      if ('event' in r) {
        if (r.event === 'boarded') on++;
        else off++;
      } else {
        on += r.boarded ?? 0;
        off += r.alighted ?? 0;
      }
    }
    return { on, off };
  }

  function record(r: NewRecord) {
    queue.add(tripId, {
      ...r,
      clientId: clientId(`t${tripId}`),
      recordedAt: new Date().toISOString(),
    } as BoardingRecord);
    navigator.vibrate?.(30);
  }

  async function checkIn(btn: HTMLButtonElement) {
    btn.disabled = true;
    try {
      const res = await api.post<CheckIn>(`/api/v1/trips/${tripId}/check-in`);
      save(checkinKey(tripId), res);
      boarding = { ...boarding, checkedInAt: res.checkedInAt, counts: res.counts, tripStatus: res.tripStatus };
      message = null;
    } catch (err) {
      message = {
        kind: 'error',
        text:
          err instanceof ApiError && err.network ? t('checkInOffline') : t('failed', { why: (err as Error).message }),
      };
    }
    render();
  }

  async function sweep(confirmedEmpty: boolean) {
    try {
      const res = await api.post<SweepResult>(`/api/v1/trips/${tripId}/sweep`, { confirmedEmpty });
      boarding = {
        ...boarding,
        sweep: res.sweep,
        counts: res.counts,
        tripStatus: res.tripStatus ?? boarding.tripStatus,
      };
      message =
        !res.alreadyConfirmed && res.alert
          ? { kind: 'error', text: t('sweepAlert', { msg: res.alert.message }) }
          : { kind: 'info', text: t('sweepDone') };
      sweepOpen = false;
    } catch (err) {
      message = {
        kind: 'error',
        text: err instanceof ApiError && err.network ? t('sweepOffline') : t('failed', { why: (err as Error).message }),
      };
    }
    render();
    void refresh();
  }

  function checkinSection() {
    const res = load<CheckIn>(checkinKey(tripId));
    if (!boarding.checkedInAt) {
      const btn: HTMLButtonElement = h(
        'button',
        { type: 'button', class: 'primary', 'data-testid': 'check-in', onclick: () => void checkIn(btn) },
        t('checkIn'),
      );
      return h(
        'section',
        { class: 'card', 'aria-labelledby': 'ci-title' },
        h('h2', { id: 'ci-title' }, t('checkInTitle')),
        h('p', null, t('checkInHelp')),
        btn,
      );
    }
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'ci-title', 'data-testid': 'checks' },
      h('h2', { id: 'ci-title' }, t('checkedInAt', { time: i18n.time(boarding.checkedInAt) })),
      res?.checks
        ? h(
            'ul',
            { class: 'checks' },
            res.checks.map((c) =>
              h(
                'li',
                { class: c.passed ? 'pass' : 'fail', 'data-check': c.check },
                `${t(`check.${c.check}`)} (${c.rule}): ${c.passed ? t('passed') : t('failedCheck')}${c.reasons.length ? ` — ${c.reasons.join('; ')}` : ''}`,
              ),
            ),
          )
        : null,
    );
  }

  function stopsView() {
    return h(
      'ol',
      { class: 'stop-list', 'data-testid': 'stops' },
      stops.map((st) => {
        const here = st.id === currentStop;
        const tot = stopTotals(st.id);
        return h(
          'li',
          { class: here ? 'is-current' : null, 'data-stop': st.id },
          h(
            'div',
            { class: 'row' },
            h('strong', null, `${st.sequence}. ${st.name}`),
            st.scheduledTime ? h('span', { class: 'muted' }, st.scheduledTime.slice(0, 5)) : null,
            h('span', { class: 'spacer' }),
            h('span', { class: 'muted' }, t('stopTotals', tot)),
            here
              ? null
              : h(
                  'button',
                  {
                    type: 'button',
                    onclick: () => ((currentStop = st.id), save(stopKey(tripId), st.id), render()),
                    'aria-label': t('atStopAria', { stop: st.name }),
                  },
                  t('atStop'),
                ),
          ),
          here
            ? h(
                'div',
                { class: 'big-buttons' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn-board',
                    'data-testid': 'board-one',
                    onclick: () => record({ type: 'count', stopId: st.id, boarded: 1 }),
                  },
                  t('boardOne'),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn-off',
                    'data-testid': 'off-one',
                    onclick: () => record({ type: 'count', stopId: st.id, alighted: 1 }),
                  },
                  t('offOne'),
                ),
              )
            : null,
        );
      }),
    );
  }

  function studentsView() {
    if (!trip.riders.length) return h('p', { class: 'info' }, t('noRiders'));
    return h(
      'ol',
      { class: 'stop-list', 'data-testid': 'roster' },
      stops
        .filter((st) => trip.riders.some((r) => r.stopId === st.id))
        .map((st) =>
          h(
            'li',
            null,
            h('strong', null, st.name),
            h(
              'ul',
              { class: 'roster' },
              trip.riders
                .filter((r) => r.stopId === st.id)
                .map((r) => {
                  const on = studentOnboard(r.studentId);
                  return h(
                    'li',
                    { 'data-student': r.studentId },
                    h('span', { class: 'name' }, r.name),
                    h(
                      'button',
                      {
                        type: 'button',
                        'aria-pressed': on ? 'true' : 'false',
                        'aria-label': on ? t('studentOffAria', { name: r.name }) : t('studentOnAria', { name: r.name }),
                        onclick: () =>
                          record({
                            type: 'student',
                            studentId: r.studentId,
                            stopId: currentStop || st.id,
                            event: on ? 'gotOff' : 'boarded',
                          }),
                      },
                      on ? t('onBoard') : t('board'),
                    ),
                  );
                }),
            ),
          ),
        ),
    );
  }

  function sweepSection() {
    if (boarding.sweep?.confirmedAt)
      return h(
        'section',
        { class: 'card', 'data-testid': 'sweep' },
        h('h2', null, t('sweepTitle')),
        h(
          'p',
          { class: boarding.sweep.confirmedEmpty ? 'ok-text' : 'error' },
          t(boarding.sweep.confirmedEmpty ? 'sweepConfirmed' : 'sweepNotEmpty', {
            time: i18n.time(boarding.sweep.confirmedAt),
          }),
        ),
      );
    const waiting = queue.pending(tripId).length > 0;
    return h(
      'section',
      { class: 'card', 'data-testid': 'sweep', 'aria-labelledby': 'sweep-title' },
      h('h2', { id: 'sweep-title' }, t('sweepTitle')),
      !sweepOpen
        ? h(
            'button',
            { type: 'button', class: 'primary', disabled: waiting, onclick: () => ((sweepOpen = true), render()) },
            t('endTrip'),
          )
        : h(
            'div',
            null,
            h('p', null, t('sweepHelp', { n: onboardCount() })),
            h(
              'div',
              { class: 'big-buttons' },
              h(
                'button',
                { type: 'button', class: 'btn-board', 'data-testid': 'sweep-empty', onclick: () => void sweep(true) },
                t('confirmEmpty'),
              ),
              h('button', { type: 'button', class: 'danger', onclick: () => void sweep(false) }, t('notEmpty')),
            ),
            h('button', { type: 'button', onclick: () => ((sweepOpen = false), render()) }, t('cancel')),
          ),
      waiting ? h('p', { class: 'muted' }, t('sweepWaiting')) : null,
    );
  }

  function render() {
    const onboard = onboardCount();
    const capacity = boarding.counts.capacity ?? trip.approvedCapacity;
    const over = onboard > capacity;
    const pending = queue.pending(tripId).length;
    const refused = queue.refused(tripId);
    const focused = document.activeElement?.getAttribute('data-testid');
    clear(
      app,
      topbar(`${trip.busPlate} · ${trip.routeName}`),
      h(
        'main',
        null,
        h(
          'p',
          null,
          h(
            'a',
            {
              href: '#',
              onclick: (ev: Event) => (
                ev.preventDefault(),
                history.pushState(null, '', location.pathname),
                location.reload()
              ),
            },
            t('backToTrips'),
          ),
        ),
        h(
          'div',
          {
            class: `counter${over ? ' over' : ''}`,
            'data-testid': 'onboard',
            'data-onboard': onboard,
            'data-over': over ? 'true' : 'false',
            role: 'status',
            'aria-live': 'polite',
          },
          `${onboard} / ${capacity}`,
          h('small', null, over ? t('overCapacity') : t('onboardLabel')),
        ),
        h(
          'div',
          {
            class: `queue-bar${pending ? '' : ' empty'}`,
            'data-testid': 'queue',
            'data-pending': pending,
            role: 'status',
          },
          h('span', null, pending ? t('pending', { n: pending }) : t('allSent')),
          pending ? h('button', { type: 'button', onclick: () => void queue.flush() }, t('sendNow')) : null,
        ),
        message
          ? h('p', { class: message.kind, role: message.kind === 'error' ? 'alert' : 'status' }, message.text)
          : null,
        refused.length
          ? h(
              'p',
              { class: 'error', role: 'alert' },
              t('refused', { n: refused.length, why: refused[refused.length - 1]!.message }),
            )
          : null,
        checkinSection(),
        h(
          'div',
          { class: 'tabs', role: 'tablist' },
          h(
            'button',
            {
              type: 'button',
              role: 'tab',
              'aria-selected': mode === 'stops' ? 'true' : 'false',
              onclick: () => ((mode = 'stops'), render()),
            },
            t('byStop'),
          ),
          h(
            'button',
            {
              type: 'button',
              role: 'tab',
              'aria-selected': mode === 'students' ? 'true' : 'false',
              onclick: () => ((mode = 'students'), render()),
            },
            t('byStudent'),
          ),
        ),
        mode === 'stops' ? stopsView() : studentsView(),
        h('p', { class: 'muted' }, t('currentStop', { stop: stopName(currentStop) })),
        sweepSection(),
      ),
    );
    if (focused) (app.querySelector(`[data-testid="${focused}"]`) as HTMLElement | null)?.focus();
  }

  render();
  void queue.flush();
}

void registerServiceWorker();

start().catch((err) => {
  console.warn(err);
  fatal(
    err instanceof ApiError && err.network
      ? t('offlineStart')
      : t('failed', { why: err instanceof Error ? err.message : String(err) }),
  );
});
