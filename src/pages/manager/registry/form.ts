// A registry form: labelled fields of a few kinds, the values as the API takes them, and each field's error
// message under it (aria-invalid, aria-describedby) from the server's details or a required field left empty.
import { h } from '../../shared/dom';
import type { I18n } from '../../shared/i18n';
import { errorWords, formErrors } from './errors';

export type FieldType = 'text' | 'number' | 'date' | 'time' | 'tel' | 'password' | 'select' | 'checkbox' | 'checks';
export type FieldValue = string | number | boolean | null | undefined | (string | number)[];

export interface Field {
  key: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** select and checks: [value, label] */
  options?: [string, string][];
  value?: FieldValue;
  help?: string;
  /**
   * An empty value is always sent as null (clears a reference). Without it, an emptied input that held a value (when
   * the form opened or at its last save) is sent as null, which clears the field; one that was empty is left out.
   */
  nullable?: boolean;
  /** select / checks values are ids. */
  numeric?: boolean;
  /** Where the server's details for this field may point instead (e.g. plannedStartAt for the start time). */
  aliases?: string[];
}

export interface FormOptions {
  id: string;
  title: string;
  fields: Field[];
  submitLabel: string;
  /** Sends the values; throws the API's error. Returns the success message (default "Saved."). */
  submit(values: Record<string, unknown>): Promise<string | void>;
  cancel(): void;
  /** The field a 409 without a known constraint is about. */
  conflictField?: string;
  /** More content under the fields (e.g. a student's stops). */
  extra?: HTMLElement | null;
  /** Extra values (read when submitting). */
  extraValues?: () => Record<string, unknown>;
  /** Error types of fields not in `fields` (an extra part's keys). */
  extraFieldTypes?: Record<string, string>;
  /** Where an error of an extra key is shown. */
  extraErrorSlot?: (key: string) => HTMLElement | undefined;
}

export function buildForm(t: I18n['t'], o: FormOptions): HTMLFormElement {
  const controls = new Map<
    string,
    { field: Field; read(): FieldValue; focusEl: HTMLElement; err: HTMLElement; saved?(): void }
  >();
  const msg = h('p', { class: 'form-msg', role: 'status', 'data-testid': 'form-msg' });
  const fieldEls = o.fields.map((f) => {
    const id = `${o.id}-${f.key}`;
    const errId = `${id}-err`;
    const helpId = f.help ? `${id}-help` : null;
    const err = h('p', { class: 'field-error', id: errId, 'data-field-error': f.key, hidden: true });
    const described = [helpId, errId].filter(Boolean).join(' ');
    const help = f.help ? h('small', { id: helpId!, class: 'muted' }, f.help) : null;
    if (f.type === 'checks') {
      const boxes = (f.options ?? []).map(([v, label]) => {
        const box = h('input', {
          type: 'checkbox',
          value: v,
          checked: Array.isArray(f.value) && f.value.map(String).includes(v),
        });
        return [box, h('label', { class: 'check' }, box, label)] as const;
      });
      const set = h(
        'fieldset',
        { class: 'field field-wide', 'aria-describedby': described, id },
        h('legend', null, f.label),
        boxes.length ? boxes.map(([, l]) => l) : h('p', { class: 'muted' }, t('reg.noOptions')),
        help,
        err,
      );
      controls.set(f.key, {
        field: f,
        read: () => boxes.filter(([b]) => b.checked).map(([b]) => (f.numeric ? Number(b.value) : b.value)),
        focusEl: (boxes[0]?.[0] as HTMLElement | undefined) ?? set,
        err,
      });
      return set;
    }
    if (f.type === 'checkbox') {
      const box = h('input', { id, type: 'checkbox', checked: f.value === true, 'aria-describedby': described });
      controls.set(f.key, { field: f, read: () => box.checked, focusEl: box, err });
      return h('div', { class: 'field' }, h('label', { class: 'check', for: id }, box, f.label), help, err);
    }
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.type === 'select') {
      input = h(
        'select',
        { id, name: f.key, 'aria-describedby': described },
        (f.nullable || !f.required ? [['', t('reg.none')] as [string, string]] : [])
          .concat(f.options ?? [])
          .map(([v, label]) => h('option', { value: v, selected: String(f.value ?? '') === v }, label)),
      );
    } else {
      input = h('input', {
        id,
        name: f.key,
        type: f.type,
        value: f.value == null ? '' : String(f.value),
        'aria-describedby': described,
        'aria-required': f.required ? 'true' : null,
        autocomplete: f.type === 'password' ? 'new-password' : 'off',
        inputmode: f.type === 'number' ? 'numeric' : null,
      });
    }
    // Whether the server holds a value: an input emptied from it clears the field. Never so for a password (a secret
    // is not shown; an empty one keeps the secret).
    const holds = () => f.type !== 'password' && input.value.trim() !== '';
    let held = holds();
    controls.set(f.key, {
      field: f,
      saved: () => (held = holds()),
      read: () => {
        const raw = input.value.trim();
        if (raw === '') return f.nullable || held ? null : undefined;
        if (f.type === 'number') return Number(raw);
        if (f.numeric) return Number(raw);
        return raw;
      },
      focusEl: input,
      err,
    });
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, f.label, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      input,
      help,
      err,
    );
  });

  const fieldTypes: Record<string, string> = { ...o.extraFieldTypes };
  for (const f of o.fields) {
    fieldTypes[f.key] = f.type;
    for (const a of f.aliases ?? []) fieldTypes[a] = f.type;
  }
  const slotOf = (key: string) => {
    for (const c of controls.values()) if (c.field.key === key || c.field.aliases?.includes(key)) return c;
    return undefined;
  };

  const clearErrors = () => {
    for (const c of controls.values()) {
      c.err.hidden = true;
      c.err.textContent = '';
      c.focusEl.removeAttribute('aria-invalid');
    }
    for (const k of Object.keys(o.extraFieldTypes ?? {})) {
      const slot = o.extraErrorSlot?.(k);
      if (slot) {
        slot.hidden = true;
        slot.textContent = '';
      }
    }
    msg.className = 'form-msg';
    msg.textContent = '';
  };
  const showErrors = (fields: Record<string, string>, general: string) => {
    let first: HTMLElement | undefined;
    for (const [key, text] of Object.entries(fields)) {
      const c = slotOf(key);
      const slot = c?.err ?? o.extraErrorSlot?.(key);
      if (!slot) continue;
      slot.textContent = text;
      slot.hidden = false;
      c?.focusEl.setAttribute('aria-invalid', 'true');
      first ??= c?.focusEl;
    }
    msg.className = 'form-msg error';
    msg.textContent = general;
    first?.focus();
  };

  const submit = h('button', { type: 'submit', class: 'primary' }, o.submitLabel);
  const form = h(
    'form',
    {
      class: 'card reg-form',
      novalidate: true,
      'aria-labelledby': `${o.id}-title`,
      'data-testid': 'reg-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clearErrors();
        const values: Record<string, unknown> = {};
        const missing: Record<string, string> = {};
        for (const [key, c] of controls) {
          const v = c.read();
          if (c.field.required && (v == null || (Array.isArray(v) && !v.length))) missing[key] = t('reg.err.required');
          if (v !== undefined) values[key] = v;
        }
        if (Object.keys(missing).length) return showErrors(missing, t('reg.err.form'));
        Object.assign(values, o.extraValues?.());
        submit.disabled = true;
        msg.textContent = t('reg.saving');
        try {
          const done = await o.submit(values);
          for (const c of controls.values()) c.saved?.();
          msg.className = 'form-msg ok-text';
          msg.textContent = done || t('saved');
        } catch (err) {
          const { fields, general } = formErrors(t, err, fieldTypes, { conflictField: o.conflictField });
          showErrors(fields, general || errorWords(t, err));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', { id: `${o.id}-title` }, o.title),
    h('div', { class: 'form-grid' }, fieldEls),
    o.extra ?? null,
    h('div', { class: 'row' }, submit, h('button', { type: 'button', onclick: () => o.cancel() }, t('cancel'))),
    msg,
  );
  return form;
}
