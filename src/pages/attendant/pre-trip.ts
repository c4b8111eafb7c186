// The pre-trip check on the attendant page (出车前检查): every item marked OK or fault (a fault asks what is
// wrong), who checked (the attendant or the driver), sent before check-in. A failed check opens a case on the
// server and check-in stays refused until a later check passes. State lives here, so re-renders keep the marks.
import { ApiError, type Api } from '../shared/api';
import { h } from '../shared/dom';
import type { PreTripCheck, PreTripCheckState } from '../../http/contract';
import { errorText } from './server-text';

type T = (key: string, vars?: Record<string, string | number>) => string;

export class PreTripPanel {
  private state: PreTripCheckState | null = null;
  private marks = new Map<string, boolean>();
  private notes = new Map<string, string>();
  private by: 'attendant' | 'driver' = 'attendant';
  private sending = false;
  private error: string | null = null;

  constructor(
    private readonly api: Api,
    private readonly tripId: number,
    private readonly t: T,
    private readonly time: (iso: string) => string,
    private readonly changed: () => void,
  ) {}

  async load(): Promise<void> {
    try {
      this.state = await this.api.get<PreTripCheckState>(`/api/v1/trips/${this.tripId}/pre-trip-check`);
    } catch {
      this.state = null; // offline or refused: the page works without the panel
    }
    this.changed();
  }

  private async submit() {
    if (!this.state) return;
    this.sending = true;
    this.error = null;
    this.changed();
    const items = Object.fromEntries(
      this.state.items.map((i) => {
        const ok = this.marks.get(i)!;
        const note = this.notes.get(i)?.trim();
        return [i, ok || !note ? { ok } : { ok, note }];
      }),
    );
    try {
      const res = await this.api.post<PreTripCheck>(`/api/v1/trips/${this.tripId}/pre-trip-check`, {
        performedBy: this.by,
        items,
      });
      this.state = { ...this.state, latest: res, checkInAllowed: res.passed };
      if (!res.passed) this.marks.clear();
    } catch (err) {
      this.error = err instanceof ApiError && err.network ? this.t('pt.offline') : errorText(this.t, err);
    }
    this.sending = false;
    this.changed();
  }

  /** The card, or null when there is nothing to show (not loaded, or already passed and nothing to redo). */
  section(): HTMLElement | null {
    const s = this.state;
    if (!s) return null;
    const t = this.t;
    const latest = s.latest;
    const result = latest
      ? latest.passed
        ? h(
            'p',
            { class: 'info', 'data-testid': 'pre-trip-result', 'data-passed': 'true' },
            t('pt.passed', { time: this.time(latest.createdAt) }),
          )
        : h(
            'p',
            { class: 'error', role: 'alert', 'data-testid': 'pre-trip-result', 'data-passed': 'false' },
            t('pt.failed', { items: latest.failedItems.map((i) => t(`pt.item.${i}`)).join('、') }),
          )
      : null;
    if (latest?.passed)
      return h(
        'section',
        { class: 'card', 'aria-labelledby': 'pt-title' },
        h('h2', { id: 'pt-title' }, t('pt.title')),
        result,
      );
    const unanswered = s.items.filter((i) => !this.marks.has(i)).length;
    const mark = (item: string, ok: boolean) => () => {
      this.marks.set(item, ok);
      this.changed();
    };
    const submit: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        'data-testid': 'pre-trip-submit',
        disabled: unanswered > 0 || this.sending,
        onclick: () => void this.submit(),
      },
      t('pt.submit'),
    );
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'pt-title', 'data-testid': 'pre-trip' },
      h('h2', { id: 'pt-title' }, t('pt.title')),
      result,
      h('p', null, t('pt.help')),
      s.required ? h('p', null, t('pt.required')) : null,
      h(
        'label',
        null,
        `${t('pt.performedBy')} `,
        h(
          'select',
          {
            'data-testid': 'pre-trip-by',
            onchange: (ev: Event) => {
              this.by = (ev.target as HTMLSelectElement).value === 'driver' ? 'driver' : 'attendant';
            },
          },
          h('option', { value: 'attendant', selected: this.by === 'attendant' }, t('pt.by.attendant')),
          h('option', { value: 'driver', selected: this.by === 'driver' }, t('pt.by.driver')),
        ),
      ),
      h(
        'button',
        {
          type: 'button',
          'data-testid': 'pre-trip-all-ok',
          onclick: () => {
            for (const i of s.items) this.marks.set(i, true);
            this.changed();
          },
        },
        t('pt.allOk'),
      ),
      h(
        'ul',
        { class: 'roster pre-trip' },
        s.items.map((i) => {
          const m = this.marks.get(i);
          return h(
            'li',
            { 'data-item': i },
            h('span', { class: 'name' }, t(`pt.item.${i}`)),
            h(
              'button',
              {
                type: 'button',
                'aria-pressed': m === true ? 'true' : 'false',
                'data-mark': 'ok',
                onclick: mark(i, true),
              },
              t('pt.ok'),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'fault',
                'aria-pressed': m === false ? 'true' : 'false',
                'data-mark': 'fault',
                onclick: mark(i, false),
              },
              t('pt.fault'),
            ),
            m === false
              ? h('input', {
                  type: 'text',
                  maxlength: 500,
                  'aria-label': t('pt.note', { item: t(`pt.item.${i}`) }),
                  placeholder: t('pt.note', { item: t(`pt.item.${i}`) }),
                  value: this.notes.get(i) ?? '',
                  oninput: (ev: Event) => this.notes.set(i, (ev.target as HTMLInputElement).value),
                })
              : null,
          );
        }),
      ),
      unanswered ? h('p', null, t('pt.unanswered', { n: unanswered })) : null,
      this.error ? h('p', { class: 'error', role: 'alert' }, this.error) : null,
      submit,
    );
  }
}
