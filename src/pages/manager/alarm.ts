// The managers' alarm for SOS (`emergency`) and "child possibly left on board": a red bar on every view and a
// repeating two-tone sound, for as long as one such case is open and unacknowledged, on this screen or any
// other (the open list is re-read on each live alert and every 20 s). Acknowledging (the case workflow's first
// step) silences it for everyone.
import { type Api } from '../shared/api';
import { h } from '../shared/dom';
import type { I18n } from '../shared/i18n';
import type { Violation, ViolationPage, ViolationWithActions } from '../../http/contract';

export const ALARM_KINDS = ['emergency', 'childLeftOnBoard'] as const;

export class AlarmCenter {
  readonly el: HTMLElement;
  private items: Violation[] = [];
  private audio: AudioContext | null = null;
  private beeper: ReturnType<typeof setInterval> | undefined;
  private beeps = 0;
  private loading: Promise<void> | null = null;
  private shown = '';
  /** Shown while the browser keeps the sound off (no touch yet); kept, not rebuilt, so a click on it lands. */
  private readonly soundBtn: HTMLButtonElement;

  constructor(
    private readonly api: Api,
    private readonly i18n: I18n,
    private readonly plate: (busId: number | null) => string,
    private readonly onError: (err: unknown) => string,
  ) {
    this.el = h('section', { class: 'alarm-bar', 'data-testid': 'alarm', hidden: true, role: 'alert' });
    this.soundBtn = h(
      'button',
      { type: 'button', 'data-testid': 'alarm-sound', hidden: true, onclick: () => void this.ensureAudio() },
      i18n.t('alarm.soundOn'),
    );
    // Browsers play sound only after the user touched the page: the first touch or key unlocks it.
    const unlock = () => void this.ensureAudio();
    document.addEventListener('pointerdown', unlock, { capture: true });
    document.addEventListener('keydown', unlock, { capture: true });
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

  private render() {
    const t = this.i18n.t;
    const on = this.items.length > 0;
    this.el.hidden = !on;
    this.el.dataset.count = String(this.items.length);
    if (on && !this.beeper) {
      this.beep();
      this.beeper = setInterval(() => this.beep(), 1500);
    } else if (!on && this.beeper) {
      clearInterval(this.beeper);
      this.beeper = undefined;
    }
    const soundOn = this.audio?.state === 'running';
    this.el.dataset.sound = soundOn ? 'on' : 'blocked';
    // Same alarms, same sound state: keep the buttons (rebuilding them under a pointer would swallow a click).
    this.soundBtn.hidden = !on || soundOn;
    const key = `${this.items.map((v) => v.id).join(',')}|${this.i18n.lang}`;
    if (key === this.shown) return;
    this.shown = key;
    const parts: Node[] = [
      h('h2', { class: 'visually-hidden' }, t('alarm.title')),
      h(
        'ul',
        null,
        this.items.map((v) => {
          const btn: HTMLButtonElement = h(
            'button',
            { type: 'button', 'data-testid': 'alarm-ack', onclick: () => void this.acknowledge(v, btn) },
            t('alarm.ack'),
          );
          return h(
            'li',
            { 'data-id': v.id, 'data-kind': v.kind },
            h(
              'strong',
              null,
              t(`alarm.${v.kind}`, { bus: this.plate(v.busId), time: this.i18n.dateTime(v.startedAt) }),
            ),
            h('a', { href: `#/violations/${v.id}` }, t('alarm.open')),
            btn,
          );
        }),
      ),
    ];
    parts.push(this.soundBtn);
    this.el.replaceChildren(...parts);
  }
}
