// The managers' alarm for SOS (`emergency`) and "child possibly left on board": a red bar on every view and a
// repeating two-tone sound, for as long as one such case is open and unacknowledged, on this screen or any
// other (the open list is re-read on each live alert and every 20 s). Acknowledging (the case workflow's first
// step) silences it for everyone.
//
// The bar never moves a click. It is docked at the bottom of the window, over the page, and the page keeps room
// for it at its end (`--alarm-space`), so an alarm that comes, grows or goes shifts nothing of the page. The bar
// grows and shrinks at its top edge (newest alarm first, the sound button in the head), so the rows already shown
// keep their place too. While a pointer is pressed the bar does not change at all (the change waits for the
// release and the click it makes); rows are kept by case (a new alarm never rebuilds the button under a finger);
// and a click on a control that appeared or moved less than half a second before the press is ignored: it was
// aimed at what was there before (an accidental "acknowledge" would silence an SOS for everyone). Keys act at once.
import { type Api } from '../shared/api';
import { h } from '../shared/dom';
import type { I18n } from '../shared/i18n';
import type { Violation, ViolationPage, ViolationWithActions } from '../../http/contract';

export const ALARM_KINDS = ['emergency', 'childLeftOnBoard'] as const;

/** A press this soon after a control appeared or moved was aimed at what was there before. */
const GUARD_MS = 500;
/** The longest an alarm waits for a pressed pointer (a map being dragged) before it shows anyway. */
const MAX_HOLD_MS = 2000;
/** After a release, how long the click it makes may take to come (touch) before the bar changes anyway. */
const CLICK_WAIT_MS = 150;

interface Row {
  li: HTMLLIElement;
  text: HTMLElement;
  ack: HTMLButtonElement;
  /** where the row is on the screen (rounded), and since when */
  box: string;
  placedAt: number;
}

export class AlarmCenter {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly rows = new Map<number, Row>();
  private items: Violation[] = [];
  private audio: AudioContext | null = null;
  private beeper: ReturnType<typeof setInterval> | undefined;
  private beeps = 0;
  private loading: Promise<void> | null = null;
  /** Shown while the browser keeps the sound off (no touch yet), at the bar's top: the rows never move for it. */
  private readonly soundBtn: HTMLButtonElement;
  /** Pointers pressed now: the bar waits for their release. */
  private readonly pressed = new Set<number>();
  /** The last press: when it went down and came up (a click right after the release is that press's click). */
  private press = { downAt: -Infinity, upAt: -Infinity };
  /** An acknowledge button that had the focus: when its alarm goes, the focus moves on to the next one. */
  private refocus: HTMLButtonElement | null = null;
  private dirty = false;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The bar's height and the room the page keeps for it at its end (px). */
  private barH = 0;
  private spaceH = 0;

  constructor(
    private readonly api: Api,
    private readonly i18n: I18n,
    private readonly plate: (busId: number | null) => string,
    private readonly onError: (err: unknown) => string,
  ) {
    this.soundBtn = h(
      'button',
      { type: 'button', 'data-testid': 'alarm-sound', hidden: true, onclick: () => void this.ensureAudio() },
      i18n.t('alarm.soundOn'),
    );
    this.list = h('ul');
    this.el = h(
      'section',
      { class: 'alarm-bar', 'data-testid': 'alarm', 'aria-labelledby': 'alarm-title', hidden: true, role: 'alert' },
      h('div', { class: 'alarm-head' }, h('h2', { id: 'alarm-title' }, i18n.t('alarm.title')), this.soundBtn),
      this.list,
    );
    this.el.dataset.settled = 'true';
    // A click on a control that has just appeared or moved under the pointer was meant for what was there.
    this.el.addEventListener('click', (ev) => this.guard(ev), { capture: true });

    // Browsers play sound only after the user touched the page: the first touch or key unlocks it.
    document.addEventListener(
      'pointerdown',
      (ev) => {
        this.pressed.add(ev.pointerId);
        this.press = { downAt: ev.timeStamp, upAt: Infinity };
        void this.ensureAudio();
      },
      { capture: true },
    );
    document.addEventListener(
      'pointerup',
      (ev) => {
        this.press.upAt = ev.timeStamp;
        this.release(ev.pointerId);
      },
      { capture: true },
    );
    document.addEventListener('pointercancel', (ev) => this.release(ev.pointerId), { capture: true });
    window.addEventListener('blur', () => {
      this.pressed.clear();
      this.flush();
    });
    document.addEventListener('keydown', () => void this.ensureAudio(), { capture: true });

    // The room at the page's end follows the bar; the rows' places are noted whenever the bar's size changes.
    new ResizeObserver(() => {
      this.barH = this.el.hidden ? 0 : Math.ceil(this.el.getBoundingClientRect().height);
      document.documentElement.style.setProperty('--alarm-h', `${this.barH}px`);
      this.fitSpace();
      this.notePlaces();
    }).observe(this.el);
    window.addEventListener('scroll', () => this.fitSpace(), { passive: true });
    window.addEventListener('hashchange', () => this.fitSpace(true));
    setInterval(() => void this.reload(), 20_000);
  }

  /** A live violation message: alarm kinds (or the sweep's alert) re-read the open list. */
  onLive(d: { kind?: string; event?: string }) {
    if ((d.kind && (ALARM_KINDS as readonly string[]).includes(d.kind)) || d.event?.startsWith('alert.'))
      void this.reload();
  }

  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const page = await this.api.get<ViolationPage>(
          `/api/v1/violations?kind=${ALARM_KINDS.join(',')}&status=open&sort=-time&limit=50`,
        );
        this.items = page.items;
      } catch {
        /* offline: the bar keeps what it shows */
      }
      this.render();
    })().finally(() => (this.loading = null));
    return this.loading;
  }

  private async ensureAudio(): Promise<boolean> {
    const before = this.audio?.state;
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === 'suspended') await this.audio.resume();
    } catch {
      return false;
    }
    if (this.items.length && before !== 'running' && this.audio.state === 'running') this.render();
    this.el.dataset.sound = this.audio.state === 'running' ? 'on' : 'blocked';
    return this.audio.state === 'running';
  }

  private beep() {
    const ctx = this.audio;
    if (!ctx || ctx.state !== 'running') return;
    const t0 = ctx.currentTime;
    for (const [i, hz] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.25, t0 + i * 0.3);
      gain.gain.setValueAtTime(0, t0 + i * 0.3 + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + i * 0.3);
      osc.stop(t0 + i * 0.3 + 0.26);
    }
    this.beeps++;
    this.el.dataset.beeps = String(this.beeps);
  }

  private async acknowledge(v: Violation, btn: HTMLButtonElement) {
    if (document.activeElement === btn) this.refocus = btn;
    btn.disabled = true;
    try {
      await this.api.post<ViolationWithActions>(`/api/v1/violations/${v.id}/transitions`, {
        to: 'acknowledged',
        note: this.i18n.t('alarm.ackNote'),
      });
    } catch (err) {
      btn.disabled = false;
      btn.title = this.onError(err);
    }
    await this.reload();
  }

  /** The sound follows the open list at once; what the bar shows changes when no pointer is pressed. */
  private render() {
    const on = this.items.length > 0;
    if (on && !this.beeper) {
      this.beep();
      this.beeper = setInterval(() => this.beep(), 1500);
    } else if (!on && this.beeper) {
      clearInterval(this.beeper);
      this.beeper = undefined;
    }
    this.el.dataset.sound = this.audio?.state === 'running' ? 'on' : 'blocked';
    this.dirty = true;
    this.flush();
  }

  private release(pointerId: number) {
    if (!this.pressed.delete(pointerId) || this.pressed.size) return;
    // The click this release makes comes after it (for a touch, a little later): the bar changes once it landed.
    const done = () => {
      document.removeEventListener('click', done, true);
      clearTimeout(timer);
      setTimeout(() => this.flush(), 0);
    };
    document.addEventListener('click', done, { capture: true, once: true });
    const timer = setTimeout(done, CLICK_WAIT_MS);
  }

  private flush(force = false) {
    if (!this.dirty) return;
    if (this.pressed.size && !force) {
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = undefined;
        this.flush(true);
      }, MAX_HOLD_MS);
      return;
    }
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.dirty = false;
    this.apply();
  }

  private apply() {
    const on = this.items.length > 0;
    const soundOn = this.audio?.state === 'running';
    this.el.dataset.count = String(this.items.length);
    this.soundBtn.hidden = !on || soundOn;
    const want = this.items.map((v) => this.row(v));
    const kept = new Set(want);
    const focused = document.activeElement;
    let lostFocusAt = -1;
    for (const [id, r] of this.rows) {
      if (kept.has(r)) continue;
      if ((focused && r.li.contains(focused)) || r.ack === this.refocus)
        lostFocusAt = [...this.list.children].indexOf(r.li);
      r.li.remove();
      this.rows.delete(id);
    }
    // Rows already in place stay put (a focused button keeps its focus); new ones go where they belong.
    want.forEach((r, i) => {
      const at = this.list.children[i];
      if (at !== r.li) this.list.insertBefore(r.li, at ?? null);
    });
    this.el.hidden = !on;
    this.refocus = null;
    if (lostFocusAt >= 0) {
      // The alarm whose button had the focus is gone: the next one's button, else the view.
      const next = want[Math.min(lostFocusAt, want.length - 1)];
      if (next) next.ack.focus({ preventScroll: true });
      else document.querySelector<HTMLElement>('main')?.focus({ preventScroll: true });
    }
    this.notePlaces();
  }

  /** The row of an alarm: kept while the alarm stays open, its text brought up to date. */
  private row(v: Violation): Row {
    const t = this.i18n.t;
    const text = t(`alarm.${v.kind}`, { bus: this.plate(v.busId), time: this.i18n.dateTime(v.startedAt) });
    const had = this.rows.get(v.id);
    if (had) {
      if (had.text.textContent !== text) had.text.textContent = text;
      return had;
    }
    const ack: HTMLButtonElement = h(
      'button',
      { type: 'button', 'data-testid': 'alarm-ack', onclick: () => void this.acknowledge(v, ack) },
      t('alarm.ack'),
    );
    const strong = h('strong', null, text);
    const li = h(
      'li',
      { 'data-id': v.id, 'data-kind': v.kind },
      strong,
      h('a', { href: `#/violations/${v.id}` }, t('alarm.open')),
      ack,
    );
    const r: Row = { li, text: strong, ack, box: '', placedAt: performance.now() };
    this.rows.set(v.id, r);
    return r;
  }

  /** Notes the rows that appeared or moved; `data-settled` tells when every control takes clicks again. */
  private notePlaces() {
    const now = performance.now();
    let moved = false;
    for (const r of this.rows.values()) {
      const b = r.li.getBoundingClientRect();
      const box = [b.left, b.top, b.width, b.height].map(Math.round).join(' ');
      if (box === r.box) continue;
      r.box = box;
      r.placedAt = now;
      moved = true;
    }
    if (!moved) return;
    this.el.dataset.settled = 'false';
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => (this.el.dataset.settled = 'true'), GUARD_MS);
  }

  private guard(ev: MouseEvent) {
    // Only the click of a press just released is checked: keys and assistive technology act at once.
    if (ev.detail === 0 || ev.timeStamp - this.press.upAt > 1000 || !(ev.target instanceof Element)) return;
    const li = ev.target.closest('li');
    const row = [...this.rows.values()].find((r) => r.li === li);
    if (!row || !ev.target.closest('a, button') || this.press.downAt >= row.placedAt + GUARD_MS) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }

  /**
   * The room the page keeps for the bar at its end: it grows with the bar at once (that moves nothing), and
   * shrinks only when that moves nothing either (not scrolled to the very end) or the view changes.
   */
  private fitSpace(viewChanged = false) {
    if (this.barH === this.spaceH) return;
    if (this.barH < this.spaceH && !viewChanged) {
      const doc = document.scrollingElement ?? document.documentElement;
      const maxAfter = doc.scrollHeight - (this.spaceH - this.barH) - window.innerHeight;
      if (window.scrollY > Math.max(0, maxAfter)) return;
    }
    this.spaceH = this.barH;
    document.documentElement.style.setProperty('--alarm-space', `${this.spaceH}px`);
  }
}
