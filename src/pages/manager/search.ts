// The header search (plates, drivers, students in the caller's schools) and its results view (#/search?q=…):
// a bus or a driver leads to its cases in the violations list; a student shows their school and grade.
import { clear, h } from '../shared/dom';
import type { SearchResult } from '../../http/contract';
import { hashOf } from './url-state';
import type { ManagerCtx } from './view-context';

/** The search box of the top bar: submitting opens the results view (the text is kept in the address). */
export function searchForm(ctx: ManagerCtx, current: () => string): HTMLFormElement {
  const t = ctx.i18n.t;
  const input = h('input', {
    id: 'search-q',
    type: 'search',
    name: 'q',
    maxlength: 100,
    autocomplete: 'off',
    placeholder: t('search.placeholder'),
    value: current(),
  });
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const q = input.value.trim();
        location.hash = hashOf('search', undefined, q ? { q } : undefined);
      },
    },
    h('label', { for: 'search-q', class: 'visually-hidden' }, t('search.label')),
    input,
    h('button', { type: 'submit' }, t('search.button')),
  );
  window.addEventListener('hashchange', () => {
    if (document.activeElement !== input) input.value = current();
  });
  return form;
}

export async function searchView(ctx: ManagerCtx, params: URLSearchParams): Promise<void> {
  const t = ctx.i18n.t;
  const q = (params.get('q') ?? '').trim().slice(0, 100);
  if (!q) {
    clear(ctx.main, h('h2', null, t('search.button')), h('p', { class: 'muted' }, t('search.empty')));
    (document.getElementById('search-q') as HTMLInputElement | null)?.focus();
    return;
  }
  const r = await ctx.api.get<SearchResult>(`/api/v1/search?${new URLSearchParams({ q, limit: '20' })}`);
  const schoolName = (id: number) => ctx.schools.find((x) => x.id === id)?.name ?? `#${id}`;
  const group = (id: string, title: string, items: HTMLElement[]) =>
    h(
      'section',
      { class: 'card', 'aria-labelledby': `s-${id}`, 'data-testid': `search-${id}` },
      h('h3', { id: `s-${id}` }, title, ` (${items.length})`),
      items.length ? h('ul', { class: 'hits' }, items) : h('p', { class: 'muted' }, t('search.none')),
    );
  clear(
    ctx.main,
    h('h2', { id: 'search-title', tabindex: -1 }, t('search.title', { q })),
    h(
      'div',
      { class: 'dash-grid' },
      group(
        'buses',
        t('search.buses'),
        r.buses.map((b) =>
          h(
            'li',
            null,
            h(
              'a',
              { href: hashOf('violations', undefined, { busId: String(b.id), status: 'all' }) },
              t('search.busCases', { plate: b.plate }),
            ),
            ` · ${schoolName(b.schoolId)} · ${t(`busStatus.${b.status}`)}`,
          ),
        ),
      ),
      group(
        'drivers',
        t('search.drivers'),
        r.drivers.map((d) =>
          h(
            'li',
            null,
            h(
              'a',
              { href: hashOf('violations', undefined, { driverId: String(d.id), status: 'all' }) },
              t('search.driverCases', { name: d.name }),
            ),
            ` · ${schoolName(d.schoolId)}${d.phone ? ` · ${d.phone}` : ''}`,
          ),
        ),
      ),
      ctx.readOnly
        ? null
        : group(
            'students',
            t('search.students'),
            r.students.map((st) =>
              h(
                'li',
                null,
                h('strong', null, st.name),
                ` · ${schoolName(st.schoolId)}${st.grade ? ` · ${t('search.grade', { grade: st.grade })}` : ''}`,
              ),
            ),
          ),
    ),
  );
  (document.getElementById('search-title') as HTMLElement | null)?.focus();
}
