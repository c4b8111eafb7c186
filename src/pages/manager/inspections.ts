// The manager's inspections view: this week's inspection of each bus (and a form to record one: every checklist
// item ticked when in order, unticked = fault), and the evacuation drills with a form (date, route, participants,
// notes, photos). The bureau's read-only view (a supervisor) shows the same without the forms.
import type { Api } from '../shared/api';
import { clear, h } from '../shared/dom';
import type { Bus, BusInspection, EvacuationDrill, School } from '../../http/contract';
import { inspectionItems as ITEMS } from '../../core/inspection-items';

type T = (key: string, vars?: Record<string, string | number>) => string;

export interface InspectionsViewDeps {
  api: Api;
  t: T;
  main: HTMLElement;
  schools: School[];
  buses: Bus[];
  /** Today at the school (YYYY-MM-DD). */
  today: string;
  errorText: (err: unknown) => string;
  /** The bureau's view: no recording forms (ManagerCtx.readOnly). */
  readOnly?: boolean;
}

/** Today's date (YYYY-MM-DD) in a time zone (the browser's when none). */
export function localDay(timeZone?: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
}

/** Monday of the ISO week of a date. */
function weekStart(date: string): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  const dow = (new Date(ms).getUTCDay() + 6) % 7;
  return new Date(ms - dow * 86_400_000).toISOString().slice(0, 10);
}

async function toBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function inspectionsView(d: InspectionsViewDeps): Promise<void> {
  const { api, t, main } = d;
  const week = weekStart(d.today);
  const [insp, drills] = await Promise.all([
    api.get<{ items: BusInspection[] }>(`/api/v1/inspections?from=${week}&limit=500`),
    api.get<{ items: EvacuationDrill[] }>('/api/v1/evacuation-drills?limit=50'),
  ]);
  const active = d.buses.filter((b) => b.status === 'active');
  const latestOf = (busId: number) => insp.items.find((i) => i.busId === busId && i.weekStart === week);
  const msg = h('p', { role: 'status' });
  const done = (ok: boolean, text: string) => {
    msg.className = ok ? 'ok-text' : 'error';
    msg.textContent = text;
  };

  const busSel = h(
    'select',
    { id: 'in-bus' },
    active.map((b) => h('option', { value: b.id }, b.plate)),
  );
  const date = h('input', { id: 'in-date', type: 'date', value: d.today, required: true });
  const inspector = h('input', { id: 'in-inspector', type: 'text', required: true, maxlength: 100 });
  const notes = h('input', { id: 'in-notes', type: 'text', maxlength: 2000 });
  const boxes = ITEMS.map((i) => h('input', { type: 'checkbox', checked: true, 'data-item': i }));
  const inspectForm = h(
    'form',
    {
      class: 'card',
      'data-testid': 'inspection-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        try {
          await api.post(`/api/v1/buses/${busSel.value}/inspections`, {
            inspectedOn: date.value,
            inspector: inspector.value.trim(),
            items: Object.fromEntries(ITEMS.map((i, n) => [i, { ok: boxes[n]!.checked }])),
            ...(notes.value.trim() ? { notes: notes.value.trim() } : {}),
          });
          await inspectionsView(d);
        } catch (err) {
          done(false, d.errorText(err));
        }
      },
    },
    h('h3', null, t('insp.record')),
    h(
      'div',
      { class: 'form-grid' },
      h('label', { for: 'in-bus' }, t('insp.bus'), busSel),
      h('label', { for: 'in-date' }, t('insp.date'), date),
      h('label', { for: 'in-inspector' }, t('insp.inspector'), inspector),
      h('label', { for: 'in-notes' }, t('insp.notes'), notes),
    ),
    h(
      'fieldset',
      { class: 'checklist' },
      h('legend', null, t('insp.faultsHelp')),
      ITEMS.map((i, n) => h('label', null, boxes[n], t(`pt.item.${i}`))),
    ),
    h('button', { type: 'submit', class: 'primary' }, t('insp.save')),
  );

  const school = h(
    'select',
    { id: 'dr-school' },
    d.schools.map((s) => h('option', { value: s.id }, s.name)),
  );
  const drillDate = h('input', { id: 'dr-date', type: 'date', value: d.today, required: true });
  const participants = h('input', { id: 'dr-n', type: 'number', min: 1, max: 5000, required: true });
  const drillNotes = h('input', { id: 'dr-notes', type: 'text', maxlength: 4000 });
  const photos = h('input', { id: 'dr-photos', type: 'file', accept: 'image/jpeg,image/png', multiple: true });
  const drillForm = h(
    'form',
    {
      class: 'card',
      'data-testid': 'drill-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        try {
          const files = [...(photos.files ?? [])].slice(0, 3);
          await api.post('/api/v1/evacuation-drills', {
            schoolId: Number(school.value),
            heldOn: drillDate.value,
            participants: Number(participants.value),
            ...(drillNotes.value.trim() ? { notes: drillNotes.value.trim() } : {}),
            photos: await Promise.all(files.map(async (f) => ({ data: await toBase64(f) }))),
          });
          await inspectionsView(d);
        } catch (err) {
          done(false, d.errorText(err));
        }
      },
    },
    h('h3', null, t('insp.recordDrill')),
    h(
      'div',
      { class: 'form-grid' },
      h('label', { for: 'dr-school' }, t('insp.school'), school),
      h('label', { for: 'dr-date' }, t('insp.date'), drillDate),
      h('label', { for: 'dr-n' }, t('insp.participants'), participants),
      h('label', { for: 'dr-notes' }, t('insp.notes'), drillNotes),
      h('label', { for: 'dr-photos' }, t('insp.photos'), photos),
    ),
    h('button', { type: 'submit', class: 'primary' }, t('insp.save')),
  );

  clear(
    main,
    h('h2', null, t('nav.inspections')),
    h('h3', null, t('insp.weekTitle', { week })),
    h(
      'table',
      { 'data-testid': 'weekly-inspections' },
      h('thead', null, h('tr', null, h('th', null, t('insp.bus')), h('th', null, t('insp.date')))),
      h(
        'tbody',
        null,
        active.map((b) => {
          const x = latestOf(b.id);
          return h(
            'tr',
            { 'data-bus': b.id },
            h('td', null, b.plate),
            h(
              'td',
              { class: x ? (x.passed ? 'ok-text' : 'error') : '' },
              !x
                ? t('insp.notYet')
                : x.passed
                  ? t('insp.passedOn', { date: x.inspectedOn })
                  : t('insp.failedOn', {
                      date: x.inspectedOn,
                      items: x.failedItems.map((i) => t(`pt.item.${i}`)).join('、'),
                    }),
            ),
          );
        }),
      ),
    ),
    d.readOnly ? null : inspectForm,
    h('h3', null, t('insp.drills')),
    drills.items.length
      ? h(
          'ul',
          { 'data-testid': 'drills' },
          drills.items.map((x) =>
            h(
              'li',
              null,
              `${x.heldOn} · ${d.schools.find((s) => s.id === x.schoolId)?.name ?? ''} · ${t('insp.participants')} ${x.participants}` +
                (x.photos ? ` · ${t('insp.photoCount', { n: x.photos })}` : '') +
                (x.notes ? ` · ${x.notes}` : ''),
            ),
          ),
        )
      : h('p', null, t('insp.noDrills')),
    d.readOnly ? null : drillForm,
    msg,
  );
}
