// Attendant page (phone, one hand, in a moving bus): today's trips; check-in with the pre-departure check
// results; the stop list with large board/get-off buttons or the student roster; the onboard count against the
// bus's approved capacity (red when over); an offline queue that survives reloads (pending count shown, sent
// once when the network is back); the end-of-trip sweep confirmation.
import { registerServiceWorker } from '../shared/pwa';
import { ApiError, type Api, clientId, makeApi, takeToken } from '../shared/api';
import { signInCard, whoAmI } from '../shared/sign-in';
import { $, clear, h } from '../shared/dom';
import { defaultLang, I18n, type Lang } from '../shared/i18n';
import { LiveFeed } from '../shared/live';
import { type BoardingRecord, BoardingQueue, type FlushResult } from './queue';
import { errorText, checkReasonText, refusedText } from './server-text';
import { SosSender } from './sos';
import { PreTripPanel } from './pre-trip';
import { en, zh } from './strings';
import type {
  BoardingState as Boarding,
  BoardingRecord as ServerRecord,
  CheckIn,
  Eta,
  MyTrip,
  MyTrips,
  Principal,
  RouteWithStops,
  Stop,
  SosResult,
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

/** The last recording action on this phone (one tap, or "all got off"), for undo. */
interface LastAction {
  records: BoardingRecord[];
  undone: boolean;
}

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
  let liveEta: Eta | null = null;
  try {
    const trip = known ?? (await api.get<MyTrips>('/api/v1/me/trips')).items.find((x) => x.id === tripId);
    if (!trip) return fatal(t('tripNotToday'));
    const [route, boarding, eta] = await Promise.all([
      api.get<RouteWithStops>(`/api/v1/routes/${trip.routeId}`),
      api.get<Boarding>(`/api/v1/trips/${tripId}/boarding`),
      api.get<Eta>(`/api/v1/trips/${tripId}/eta`).catch(() => null),
    ]);
    liveEta = eta;
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
  const lastStop = stops[stops.length - 1];
  let mode: 'stops' | 'students' = 'stops';
  // The current stop follows the bus (the trip's live stop events); "We are here" overrides it by hand until the
  // bus reaches its next stop.
  const saved = load<{ stopId: number; manual: boolean }>(stopKey(tripId));
  const fromEta =
    liveEta?.source === 'live' && liveEta.stops[0]
      ? stops.find((x) => String(x.id) === liveEta!.stops[0]!.stopId)
      : null;
  let currentStop: number = fromEta?.id ?? saved?.stopId ?? stops[0]?.id ?? 0;
  let manualStop = fromEta ? false : (saved?.manual ?? true);
  let finalReached = boarding.tripStatus === 'completed' || (liveEta?.source === 'live' && liveEta.stops.length === 0);
  let panel: 'none' | 'sweep' | 'stillAboard' | 'sos' = 'none';
  let sweepChecked = false;
  let message: { kind: 'error' | 'info'; text: string } | null = stale
    ? { kind: 'info', text: t('savedCopy', { time: i18n.time(snap!.savedAt) }) }
    : null;
  let lastSos: SosResult | null = null;
  const preTrip = new PreTripPanel(
    api,
    tripId,
    t,
    (iso) => i18n.time(iso),
    () => render(),
  );
  if (!boarding.checkedInAt && boarding.tripStatus !== 'completed') void preTrip.load();

  const stopName = (id: number | null | undefined) => stops.find((s) => s.id === id)?.name ?? '—';
  const setStop = (id: number, manual: boolean) => {
    currentStop = id;
    manualStop = manual;
    save(stopKey(tripId), { stopId: id, manual });
  };

  const live = new LiveFeed({
    token: api.token,
    onMessage: (m) => {
      if (m.type !== 'trip' || m.data?.tripId !== tripId) return;
      const d = m.data as { event: string; stopId?: string | number | null };
      const idx = stops.findIndex((x) => String(x.id) === String(d.stopId));
      if (d.event === 'stop.arrived' || d.event === 'trip.arrivedAtSchool') {
        if (idx >= 0) setStop(stops[idx]!.id, false);
        if (idx === stops.length - 1) finalReached = true;
      } else if (d.event === 'stop.departed' || d.event === 'stop.missed') {
        if (idx >= 0 && idx + 1 < stops.length) setStop(stops[idx + 1]!.id, false);
        if (idx === stops.length - 1) finalReached = true;
      } else if (d.event === 'trip.ended') finalReached = true;
      else return;
      render();
    },
  });
  live.subscribe(`trip:${tripId}`);

  const sos = new SosSender(api, (r) => {
    if (r?.sent) {
      lastSos = r.sent;
      message = { kind: 'info', text: t('sosSent', { time: i18n.time(r.sent.startedAt) }) };
      panel = panel === 'sos' ? 'none' : panel;
    } else if (r?.error) {
      message = {
        kind: 'error',
        text:
          r.error instanceof ApiError && (r.error.network || r.error.status >= 500)
            ? t('sosQueued')
            : t('sosFailed', { why: errorText(t, r.error) }),
      };
    }
    render();
  });

  function onFlushed(r: FlushResult) {
    if (r.tripId !== tripId) return;
    if (r.counts) boarding = { ...boarding, counts: r.counts };
    const notes = [
      ...r.warnings.map((w) =>
        t(`warn.${w.kind}`, { name: w.studentName ?? '', card: w.cardId ?? '', stop: stopName(w.stopId ?? null) }),
      ),
      ...r.violations.map((v) => {
        const key = `violation.${v.kind}`;
        return t(key) === key ? t('violation.other') : t(key);
      }),
    ];
    message = notes.length ? { kind: 'error', text: notes.join(' · ') } : message;
    void refresh();
  }

  async function refresh() {
    try {
      boarding = await api.get<Boarding>(`/api/v1/trips/${tripId}/boarding`);
      if (boarding.tripStatus === 'completed') finalReached = true;
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

  // ── recording, with undo of the last action (a compensating record per record, idempotent by its id) ──────
  const lastKey = `bg.att.last.${tripId}`;
  let last = load<LastAction>(lastKey);
  function record(rs: NewRecord[]) {
    const now = new Date().toISOString();
    const made = rs.map((r) => ({ ...r, clientId: clientId(`t${tripId}`), recordedAt: now }) as BoardingRecord);
    for (const r of made) queue.add(tripId, r);
    last = { records: made, undone: false };
    save(lastKey, last);
    navigator.vibrate?.(30);
  }
  function undo() {
    if (!last || last.undone) return;
    const now = new Date().toISOString();
    const undoing = last;
    last = { ...undoing, undone: true };
    save(lastKey, last);
    for (const r of undoing.records) {
      const back: BoardingRecord =
        r.type === 'count'
          ? {
              type: 'count',
              clientId: `${r.clientId}-undo`,
              recordedAt: now,
              stopId: r.stopId,
              boarded: r.alighted ?? 0,
              alighted: r.boarded ?? 0,
            }
          : {
              type: 'student',
              clientId: `${r.clientId}-undo`,
              recordedAt: now,
              stopId: r.stopId,
              studentId: r.studentId,
              event: r.event === 'boarded' ? 'gotOff' : 'boarded',
            };
      queue.add(tripId, back);
    }
    message = { kind: 'info', text: t('undone', { n: undoing.records.length }) };
    render();
  }
  /** Everyone gets off here in one action: each child on board by name, the rest as one head count. */
  function allOff(stopId: number) {
    const named = trip.riders.filter((r) => studentOnboard(r.studentId));
    const rest = onboardCount() - named.length;
    const rs: NewRecord[] = named.map((r) => ({
      type: 'student',
      studentId: r.studentId,
      stopId,
      event: 'gotOff',
    }));
    if (rest > 0) rs.push({ type: 'count', stopId, alighted: rest });
    if (rs.length) record(rs);
    message = { kind: 'info', text: t('allOffDone', { n: named.length + Math.max(rest, 0) }) };
    render();
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
        text: err instanceof ApiError && err.network ? t('checkInOffline') : errorText(t, err),
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
          ? {
              kind: 'error',
              text: res.counts.onboard !== 0 ? t('alert.onboard', { n: res.counts.onboard }) : t('alert.notEmpty'),
            }
          : { kind: 'info', text: t('sweepDone') };
      panel = 'none';
    } catch (err) {
      message = {
        kind: 'error',
        text: err instanceof ApiError && err.network ? t('sweepOffline') : errorText(t, err),
      };
      if (err instanceof ApiError && err.code === 'sweep_too_early') panel = 'none';
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
                `${c.passed ? '✔' : '✘'} ${t(`check.${c.check}`)} (${c.rule}): ${c.passed ? t('passed') : t('failedCheck')}${
                  c.reasons.length
                    ? ` — ${c.reasons.map((r) => checkReasonText(t, r, Boolean(boarding.checkedInAt))).join('；')}`
                    : ''
                }`,
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
        const onboard = onboardCount();
        return h(
          'li',
          { class: here ? 'is-current' : null, 'data-stop': st.id, 'aria-current': here ? 'location' : null },
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
                    onclick: () => (setStop(st.id, true), render()),
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
                    onclick: () => record([{ type: 'count', stopId: st.id, boarded: 1 }]),
                  },
                  t('boardOne'),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn-off',
                    'data-testid': 'off-one',
                    onclick: () => record([{ type: 'count', stopId: st.id, alighted: 1 }]),
                  },
                  t('offOne'),
                ),
                st.id === lastStop?.id && onboard > 0
                  ? h(
                      'button',
                      { type: 'button', class: 'btn-off wide', 'data-testid': 'all-off', onclick: () => allOff(st.id) },
                      t('allOff', { n: onboard }),
                    )
                  : null,
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
                          record([
                            {
                              type: 'student',
                              studentId: r.studentId,
                              stopId: currentStop || st.id,
                              event: on ? 'gotOff' : 'boarded',
                            },
                          ]),
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

  /** The end-of-trip panel: "bus is empty" behind a check, and "child still aboard" apart from it. */
  function sweepPanel() {
    const waiting = queue.pending(tripId).length > 0;
    if (panel === 'stillAboard')
      return h(
        'section',
        {
          class: 'card panel alarm-panel',
          'data-testid': 'still-aboard-panel',
          role: 'alertdialog',
          'aria-labelledby': 'sa-title',
        },
        h('h2', { id: 'sa-title' }, t('stillAboardTitle')),
        h('p', null, t('stillAboardHelp')),
        h(
          'button',
          {
            type: 'button',
            class: 'danger wide',
            'data-testid': 'still-aboard-confirm',
            onclick: () => void sweep(false),
          },
          t('stillAboardConfirm'),
        ),
        h('button', { type: 'button', onclick: () => ((panel = 'sweep'), render()) }, t('back')),
      );
    const box: HTMLInputElement = h('input', {
      type: 'checkbox',
      id: 'sweep-check',
      'data-testid': 'sweep-check',
      onchange: () => ((sweepChecked = box.checked), render()),
    });
    box.checked = sweepChecked;
    return h(
      'section',
      { class: 'card panel', 'data-testid': 'sweep-panel', role: 'dialog', 'aria-labelledby': 'sweep-title' },
      h('h2', { id: 'sweep-title' }, t('sweepTitle')),
      finalReached
        ? null
        : h(
            'p',
            { class: 'warn-text', 'data-testid': 'sweep-early' },
            t('sweepEarly', { stop: lastStop?.name ?? '—' }),
          ),
      h('p', null, t('sweepHelp', { n: onboardCount() })),
      waiting ? h('p', { class: 'muted' }, t('sweepWaiting')) : null,
      h('label', { class: 'check-row', for: 'sweep-check' }, box, ' ', t('sweepCheckLabel')),
      h(
        'button',
        {
          type: 'button',
          class: 'btn-board wide',
          'data-testid': 'sweep-empty',
          disabled: !sweepChecked || waiting,
          onclick: () => void sweep(true),
        },
        t('confirmEmpty'),
      ),
      h('hr'),
      h(
        'button',
        {
          type: 'button',
          class: 'danger wide',
          'data-testid': 'still-aboard',
          onclick: () => ((panel = 'stillAboard'), render()),
        },
        t('notEmpty'),
      ),
      h('button', { type: 'button', onclick: () => ((panel = 'none'), render()) }, t('cancel')),
    );
  }

  function sosPanel() {
    const note: HTMLTextAreaElement = h('textarea', {
      id: 'sos-note',
      rows: 2,
      maxlength: 2000,
      'data-testid': 'sos-note',
    });
    return h(
      'section',
      {
        class: 'card panel alarm-panel',
        'data-testid': 'sos-panel',
        role: 'alertdialog',
        'aria-labelledby': 'sos-title',
      },
      h('h2', { id: 'sos-title' }, t('sosTitle')),
      h('p', null, t('sosHelp')),
      h('label', { for: 'sos-note' }, t('sosNote')),
      note,
      h(
        'button',
        {
          type: 'button',
          class: 'danger wide',
          'data-testid': 'sos-send',
          onclick: (ev: Event) => {
            (ev.currentTarget as HTMLButtonElement).disabled = true;
            message = { kind: 'info', text: t('sosSending') };
            void sos.press(tripId, note.value.trim() || undefined);
          },
        },
        t('sosSend'),
      ),
      h('button', { type: 'button', onclick: () => ((panel = 'none'), render()) }, t('cancel')),
    );
  }

  function sweepDoneSection() {
    if (!boarding.sweep?.confirmedAt) return null;
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
  }

  function actionBar() {
    const swept = Boolean(boarding.sweep?.confirmedAt);
    const sosWaiting = sos.pending(tripId).length;
    return h(
      'nav',
      { class: 'action-bar', 'aria-label': t('actions') },
      h(
        'button',
        { type: 'button', 'data-testid': 'undo', disabled: !last || last.undone || swept, onclick: undo },
        t('undo'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          'data-testid': 'end-trip',
          disabled: swept,
          onclick: () => ((panel = 'sweep'), (sweepChecked = false), render()),
        },
        t('endTrip'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger sos',
          'data-testid': 'sos',
          'data-pending': sosWaiting,
          onclick: () => ((panel = 'sos'), render()),
        },
        sosWaiting ? t('sosPending') : t('sos'),
      ),
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
      h(
        'div',
        { class: 'sticky-top' },
        topbar(`${trip.busPlate} · ${trip.routeName}`),
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
          'p',
          {
            class: 'current-stop',
            'data-testid': 'current-stop',
            'data-stop': currentStop,
            'data-manual': manualStop ? 'true' : 'false',
          },
          t('currentStop', { stop: stopName(currentStop) }),
          ' ',
          h('small', null, manualStop ? t('stopManual') : t('stopFollows')),
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
      ),
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
        message
          ? h(
              'p',
              { class: message.kind, role: message.kind === 'error' ? 'alert' : 'status', 'data-testid': 'message' },
              message.text,
            )
          : null,
        lastSos
          ? h('p', { class: 'error', 'data-testid': 'sos-open' }, t('sosOpen', { time: i18n.time(lastSos.startedAt) }))
          : null,
        refused.length
          ? h(
              'p',
              { class: 'error', role: 'alert' },
              t('refused', { n: refused.length, why: refusedText(t, refused[refused.length - 1]!.reason) }),
            )
          : null,
        panel === 'sos' ? sosPanel() : panel !== 'none' ? sweepPanel() : null,
        sweepDoneSection(),
        boarding.checkedInAt ? null : preTrip.section(),
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
      ),
      actionBar(),
    );
    if (focused) (app.querySelector(`[data-testid="${focused}"]`) as HTMLElement | null)?.focus();
  }

  render();
  void queue.flush();
  void sos.flush();
}

void registerServiceWorker();

start().catch((err) => {
  console.warn(err);
  fatal(err instanceof ApiError && err.network ? t('offlineStart') : errorText(t, err));
});
