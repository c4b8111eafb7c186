// One registry list: a table with a create button, and per row Edit, Delete (asked once more, inline) and the
// resource's own actions; the form or the question opens in the editor above the table.
import { h } from '../../shared/dom';
import type { RegistryCtx } from './ctx';
import { errorWords } from './errors';
import { buildForm, type Field, type FormOptions } from './form';

type Child = Node | string | number | null | undefined | false;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any registry resource
export type Row = Record<string, any>;

export interface ResourceSpec {
  /** API path segment and ids ("buses"). */
  path: string;
  title: string;
  /** "New bus"; without it (and without onNew) the list has no New button (schools are made elsewhere). */
  newLabel?: string;
  /** "Edit bus 沪A1001" / "Delete bus 沪A1001" / "Delete bus 沪A1001?" for a row; without the last two, no Delete. */
  editLabel(row: Row): string;
  deleteLabel?(row: Row): string;
  deleteQuestion?(row: Row): string;
  columns: [string, (row: Row) => Child][];
  /** Fields of the create form (row undefined) and of the edit form. */
  fields(row: Row | undefined): Field[] | Promise<Field[]>;
  /** Values → request body (defaults to the values as they are). */
  body?(values: Record<string, unknown>, row: Row | undefined): Record<string, unknown>;
  /** Other form parts (e.g. a student's stops). */
  formExtras?(row: Row | undefined): Promise<Partial<FormOptions>> | Partial<FormOptions>;
  conflictField?: string;
  /** Actions beyond edit and delete (phone setup, parent link). */
  actions?(row: Row, editor: Editor): Child[];
  /** The "new" button's action when the form does not make one (routes come by import). */
  onNew?: () => void;
  /** Called after a create, update or delete so other lists (buses) stay right. */
  changed?(row: Row | undefined, removed?: Row): void;
}

export interface Editor {
  el: HTMLElement;
  show(...content: Child[]): void;
  close(): void;
}

export function makeEditor(): Editor {
  const el = h('div', { class: 'reg-editor', 'data-testid': 'reg-editor' });
  return {
    el,
    show(...content) {
      el.replaceChildren(
        ...(content.filter(Boolean) as (Node | string)[]).map((c) => (typeof c === 'number' ? String(c) : c)),
      );
      (el.querySelector('input, select, textarea, button') as HTMLElement | null)?.focus();
    },
    close() {
      el.replaceChildren();
    },
  };
}

/** A table in a region that scrolls sideways on a narrow screen (focusable, so a keyboard can scroll it). */
export function scrollTable(label: string, table: HTMLTableElement): HTMLElement {
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': label, tabindex: 0 }, table);
}

export type RegistrySection = HTMLElement & { refresh(): void };

export function resourceSection(ctx: RegistryCtx, spec: ResourceSpec, rows: Row[]): RegistrySection {
  const t = ctx.i18n.t;
  const editor = makeEditor();
  const body = h('tbody');
  const empty = h('p', { class: 'muted' }, t('reg.empty'));

  const readOnly = ctx.readOnly === true;
  const newButton =
    !readOnly && (spec.newLabel != null || spec.onNew)
      ? h(
          'button',
          {
            type: 'button',
            class: 'primary',
            onclick: () => (spec.onNew ? spec.onNew() : void openForm(undefined)),
          },
          spec.newLabel ?? '',
        )
      : null;

  const render = () => {
    empty.hidden = rows.length > 0;
    body.replaceChildren(
      ...rows.map((row) =>
        h(
          'tr',
          { 'data-id': row.id },
          spec.columns.map(([, cell]) => h('td', null, cell(row) ?? '—')),
          readOnly
            ? null
            : h(
                'td',
                { class: 'actions' },
                h(
                  'div',
                  { class: 'row-actions' },
                  h(
                    'button',
                    { type: 'button', onclick: () => void openForm(row), 'aria-label': spec.editLabel(row) },
                    t('edit'),
                  ),
                  ...(spec.actions?.(row, editor) ?? []),
                  spec.deleteLabel
                    ? h(
                        'button',
                        { type: 'button', onclick: () => askDelete(row), 'aria-label': spec.deleteLabel(row) },
                        t('reg.delete'),
                      )
                    : null,
                ),
              ),
        ),
      ),
    );
  };

  const openForm = async (row: Row | undefined) => {
    const [fields, extras] = await Promise.all([spec.fields(row), spec.formExtras?.(row) ?? {}]);
    editor.show(
      buildForm(t, {
        id: `reg-${spec.path}`,
        title: row ? spec.editLabel(row) : (spec.newLabel ?? ''),
        fields,
        submitLabel: t('save'),
        conflictField: spec.conflictField,
        cancel: () => editor.close(),
        ...extras,
        submit: async (values) => {
          const payload = spec.body ? spec.body(values, row) : values;
          if (row) {
            const updated = await ctx.api.patch<Row>(`/api/v1/${spec.path}/${row.id}`, payload);
            Object.assign(row, updated);
            spec.changed?.(row);
          } else {
            const created = await ctx.api.post<Row>(`/api/v1/${spec.path}`, payload);
            rows.push(created);
            spec.changed?.(created);
            render();
            // Further saves edit the new row.
            void openForm(created).then(() => {
              const m = editor.el.querySelector('[data-testid="form-msg"]');
              if (m) {
                m.className = 'form-msg ok-text';
                m.textContent = t('reg.created');
              }
            });
            return t('reg.created');
          }
          render();
        },
      }),
    );
  };

  const askDelete = (row: Row) => {
    const msg = h('p', { role: 'status', class: 'form-msg' });
    const question = spec.deleteQuestion?.(row) ?? '';
    editor.show(
      h(
        'div',
        { class: 'card reg-confirm', role: 'group', 'aria-label': question },
        h('p', null, question),
        h(
          'div',
          { class: 'row' },
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-testid': 'confirm-delete',
              onclick: async () => {
                try {
                  await ctx.api.send('DELETE', `/api/v1/${spec.path}/${row.id}`);
                  rows.splice(rows.indexOf(row), 1);
                  spec.changed?.(undefined, row);
                  render();
                  editor.close();
                  ctx.toast(t('reg.deleted'));
                  newButton?.focus();
                } catch (err) {
                  msg.className = 'form-msg error';
                  msg.textContent =
                    err instanceof Error && 'code' in err && err.code === 'conflict'
                      ? t('reg.err.inUse')
                      : errorWords(t, err);
                }
              },
            },
            t('reg.delete'),
          ),
          h('button', { type: 'button', onclick: () => editor.close() }, t('cancel')),
        ),
        msg,
      ),
    );
  };

  render();
  const titleId = `reg-${spec.path}-h`;
  const section = h(
    'section',
    { class: 'reg-section', 'aria-labelledby': titleId },
    h('div', { class: 'reg-head' }, h('h3', { id: titleId }, spec.title), newButton),
    editor.el,
    scrollTable(
      spec.title,
      h(
        'table',
        null,
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            spec.columns.map(([label]) => h('th', { scope: 'col' }, label)),
            readOnly ? null : h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('reg.actions'))),
          ),
        ),
        body,
      ),
    ),
    empty,
  );
  return Object.assign(section, { refresh: render });
}
