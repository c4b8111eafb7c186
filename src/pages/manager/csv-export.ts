// Lists downloaded as CSV files: the server's export (GET /api/v1/exports/…, in the page's language) saved with
// a UTF-8 byte-order mark, so spreadsheet programs read the Chinese text (the response decoder drops the server's
// mark, as for the report CSV).
import { h } from '../shared/dom';
import type { ManagerCtx } from './view-context';

export type ExportList = 'violations' | 'buses' | 'drivers' | 'students';

export function csvExportButton(ctx: ManagerCtx, list: ExportList, query?: () => URLSearchParams): HTMLButtonElement {
  const t = ctx.i18n.t;
  return h(
    'button',
    {
      type: 'button',
      'data-testid': `export-${list}`,
      onclick: async () => {
        const q = query?.() ?? new URLSearchParams();
        q.set('lang', ctx.i18n.lang);
        try {
          const text = await ctx.api.text(`/api/v1/exports/${list}?${q}`);
          const file = `${list}-${new Date().toISOString().slice(0, 10)}.csv`;
          const a = h('a', {
            href: URL.createObjectURL(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' })),
            download: file,
          });
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
          ctx.toast(t('export.done', { file }));
        } catch (err) {
          ctx.toast(ctx.errorText(err));
        }
      },
    },
    t(`export.${list}`),
  );
}

/** The registry's export buttons, in a row (the bureau's view: no students' list). */
export function registryExports(ctx: ManagerCtx): HTMLElement {
  const lists = ctx.readOnly ? (['buses', 'drivers'] as const) : (['buses', 'drivers', 'students'] as const);
  return h(
    'div',
    { class: 'row export-row' },
    lists.map((l) => csvExportButton(ctx, l)),
  );
}
