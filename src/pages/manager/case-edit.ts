// The owner and due date of an active case: a small form under the case workflow. Saving sends
// PATCH /api/v1/violations/{id}/case, which appends an `assign` action to the trail (append-only, like every other
// case action). The due date is typed in the school's time zone; the page checks it (a real date, not in the
// past, something changed) and words the server's refusals in the page's language.
import { ApiError } from '../shared/api';
import { h } from '../shared/dom';
import { zonedTimeToEpochMs, zoneOffsetMin } from '../../core/time-zone';
import type { CaseOwnerList, Violation } from '../../http/contract';
import type { ManagerCtx } from './view-context';

/** An instant as the value of a datetime-local input, in the zone (the browser's when none). */
export function toLocalInput(iso: string | null, timeZone: string | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (!timeZone) {
    const d = new Date(ms);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  return new Date(ms + zoneOffsetMin(timeZone, ms) * 60_000).toISOString().slice(0, 16);
}

/** A datetime-local value read in the zone; NaN when it is not a date and time. */
export function fromLocalInput(value: string, timeZone: string | undefined): number {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return NaN;
  if (!timeZone) return new Date(value).getTime();
  return zonedTimeToEpochMs(m[1]!, Number(m[2]) * 3600 + Number(m[3]) * 60, timeZone);
}

export function caseEditor(
  ctx: ManagerCtx,
  cur: Violation,
  onSaved: (updated: Violation) => Promise<void>,
): HTMLElement {
  const t = ctx.i18n.t;
  const tz = ctx.i18n.timeZone;
  const ownerName = (id: number) => (id === ctx.me.userId ? `${ctx.me.name}（${t('you')}）` : `#${id}`);
  const owner = h(
    'select',
    { id: 'case-owner', name: 'owner' },
    h('option', { value: '' }, t('caseEdit.nobody')),
    cur.ownerUserId != null
      ? h('option', { value: cur.ownerUserId, selected: true }, ownerName(cur.ownerUserId))
      : null,
  );
  void ctx.api
    .get<CaseOwnerList>(`/api/v1/violations/${cur.id}/owners`)
    .then((list) => {
      owner.replaceChildren(
        h('option', { value: '' }, t('caseEdit.nobody')),
        ...list.items.map((u) =>
          h(
            'option',
            { value: u.id, selected: u.id === cur.ownerUserId },
            t('caseEdit.ownerOption', { name: u.name, role: t(`role.${u.role}`) }),
          ),
        ),
      );
      owner.value = cur.ownerUserId == null ? '' : String(cur.ownerUserId);
    })
    .catch(() => {
      /* the current owner stays the only choice */
    });
  const initialDue = toLocalInput(cur.dueAt, tz);
  const due = h('input', { id: 'case-due', name: 'due', type: 'datetime-local', value: initialDue });
  const note = h('input', { id: 'case-edit-note', name: 'note', type: 'text', maxlength: 4000 });
  const msg = h('p', { id: 'case-edit-msg', role: 'status' });
  const fail = (text: string, field?: HTMLElement) => {
    msg.className = 'error';
    msg.textContent = text;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', 'case-edit-msg');
      field.focus();
    }
  };
  return h(
    'form',
    {
      class: 'case-edit',
      'data-testid': 'case-edit',
      'aria-labelledby': 'case-edit-title',
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        due.removeAttribute('aria-invalid');
        msg.className = '';
        msg.textContent = '';
        const body: { ownerUserId?: number | null; dueAt?: string | null; note?: string } = {};
        const ownerValue = owner.value === '' ? null : Number(owner.value);
        if (ownerValue !== cur.ownerUserId) body.ownerUserId = ownerValue;
        if (due.value !== initialDue) {
          if (due.value === '') body.dueAt = null;
          else {
            const ms = fromLocalInput(due.value, tz);
            if (!Number.isFinite(ms)) return fail(t('caseEdit.badDue'), due);
            if (ms < Date.now()) return fail(t('caseEdit.pastDue'), due);
            body.dueAt = new Date(ms).toISOString();
          }
        } else if (due.validity.badInput) return fail(t('caseEdit.badDue'), due);
        if (body.ownerUserId === undefined && body.dueAt === undefined) return fail(t('caseEdit.unchanged'));
        if (note.value.trim()) body.note = note.value.trim();
        try {
          const updated = await ctx.api.patch<Violation>(`/api/v1/violations/${cur.id}/case`, body);
          await onSaved(updated);
          ctx.toast(t('caseEdit.saved'));
        } catch (err) {
          if (err instanceof ApiError && err.code === 'invalid_reference') fail(t('caseEdit.badOwner'), owner);
          else if (err instanceof ApiError && err.status === 409) fail(t('caseEdit.conflict'));
          else if (err instanceof ApiError && err.status === 400 && JSON.stringify(err.details ?? '').includes('dueAt'))
            fail(t('caseEdit.badDue'), due);
          else fail(ctx.errorText(err));
        }
      },
    },
    h('h3', { id: 'case-edit-title' }, t('caseEdit.title')),
    h(
      'div',
      { class: 'form-grid' },
      h('div', { class: 'field' }, h('label', { for: 'case-owner' }, t('caseEdit.owner')), owner),
      h('div', { class: 'field' }, h('label', { for: 'case-due' }, t('caseEdit.due')), due),
      h('div', { class: 'field' }, h('label', { for: 'case-edit-note' }, t('caseEdit.note')), note),
    ),
    h('button', { type: 'submit' }, t('caseEdit.save')),
    msg,
  );
}
