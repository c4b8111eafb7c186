// Routes: the list (rename, corridor width, delete, the route on a map) and an import with a preview — the file
// (GeoJSON, or a GTFS zip with the route to take from it) is read by the server without storing anything, the
// path and stops are shown on the map and listed, and only then imported.
import type { RoutePreview, RouteWithStops } from '../../../http/contract';
import { ApiError } from '../../shared/api';
import { clear, h } from '../../shared/dom';
import { type LonLat, MapView } from '../../shared/map';
import type { RegistryCtx } from './ctx';
import { errorWords } from './errors';
import { type Editor, type ResourceSpec, type Row, scrollTable } from './resource';

const PERIODS = ['morning', 'afternoon', 'other'];

function mapOf(
  ctx: RegistryCtx,
  label: string,
  path: LonLat[],
  stops: { sequence: number; name: string; lat: number; lon: number }[],
) {
  const t = ctx.i18n.t;
  const map = new MapView(label, { zoomLabels: { in: t('reg.zoomIn'), out: t('reg.zoomOut'), fit: t('reg.zoomFit') } });
  map.el.classList.add('reg-map');
  map.setRoute(path);
  map.setStops(stops.map((s) => ({ id: s.sequence, lat: s.lat, lon: s.lon, name: s.name })));
  return map;
}

function stopsTable(ctx: RegistryCtx, stops: { sequence: number; name: string; scheduledTime: string | null }[]) {
  const t = ctx.i18n.t;
  return scrollTable(
    t('reg.stops'),
    h(
      'table',
      { 'data-testid': 'route-stops' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          [t('reg.seq'), t('name'), t('reg.scheduled')].map((l) => h('th', { scope: 'col' }, l)),
        ),
      ),
      h(
        'tbody',
        null,
        stops.map((s) =>
          h(
            'tr',
            null,
            h('td', null, s.sequence),
            h('td', null, s.name),
            h('td', null, s.scheduledTime?.slice(0, 5) ?? '—'),
          ),
        ),
      ),
    ),
  );
}

export function routeSpec(ctx: RegistryCtx): ResourceSpec {
  const t = ctx.i18n.t;
  const showMap = async (r: Row, editor: Editor) => {
    const full = await ctx.api.get<RouteWithStops>(`/api/v1/routes/${r.id}`);
    const map = mapOf(ctx, t('reg.routeMap', { name: full.name }), full.path.coordinates as LonLat[], full.stops);
    editor.show(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rm-title' },
        h('h3', { id: 'rm-title' }, t('reg.routeMap', { name: full.name })),
        map.el,
        stopsTable(ctx, full.stops),
        h('button', { type: 'button', onclick: () => editor.close() }, t('closePanel')),
      ),
    );
    map.fit(true);
  };
  return {
    path: 'routes',
    title: t('reg.routes'),
    newLabel: t('reg.newRouteByImport'),
    editLabel: (r) => t('reg.editRoute', { name: r.name }),
    deleteLabel: (r) => t('reg.deleteRoute', { name: r.name }),
    deleteQuestion: (r) => t('reg.deleteRouteQ', { name: r.name }),
    columns: [
      [t('name'), (r) => r.name],
      [t('reg.period'), (r) => t(`reg.period.${r.period}`)],
      [t('reg.corridor'), (r) => t('reg.metres', { n: r.corridorWidthM })],
      [
        t('reg.approval'),
        (r) =>
          r.approvedBy && r.approvalNumber && r.approvedOn
            ? t('reg.approvedAs', { number: r.approvalNumber, on: r.approvedOn })
            : t('reg.notApproved'),
      ],
    ],
    fields: (r) => [
      { key: 'name', label: t('name'), type: 'text', required: true, value: r?.name },
      {
        key: 'period',
        label: t('reg.period'),
        type: 'select',
        required: true,
        value: r?.period ?? 'morning',
        options: PERIODS.map((p) => [p, t(`reg.period.${p}`)]),
      },
      {
        key: 'corridorWidthM',
        label: t('reg.corridor'),
        type: 'number',
        required: true,
        value: r?.corridorWidthM,
        help: t('reg.corridorHelp'),
      },
      // Route approval (Art. 30): trips are refused on a route without all three.
      { key: 'approvedBy', label: t('reg.approvedBy'), type: 'text', value: r?.approvedBy ?? undefined },
      { key: 'approvalNumber', label: t('reg.approvalNumber'), type: 'text', value: r?.approvalNumber ?? undefined },
      { key: 'approvedOn', label: t('reg.approvedOn'), type: 'date', value: r?.approvedOn ?? undefined },
    ],
    actions: (r, editor) => [
      h(
        'button',
        {
          type: 'button',
          onclick: () => void showMap(r, editor),
          'aria-label': t('reg.showRouteMap', { name: r.name }),
        },
        t('reg.map'),
      ),
    ],
  };
}

/** The import card: choose a file, preview it on the map, import it. `imported` adds the new route to the list. */
export function importCard(ctx: RegistryCtx, imported: (r: RouteWithStops) => void): HTMLElement {
  const t = ctx.i18n.t;
  const school = h(
    'select',
    { id: 'imp-school' },
    ctx.schools.map((s) => h('option', { value: s.id }, s.name)),
  );
  const file = h('input', {
    id: 'imp-file',
    type: 'file',
    accept: '.geojson,.json,.zip',
    'aria-describedby': 'imp-file-help',
  });
  const gtfsRoute = h('input', { id: 'imp-gtfs', type: 'text', autocomplete: 'off', list: 'imp-gtfs-list' });
  const gtfsList = h('datalist', { id: 'imp-gtfs-list' });
  const gtfsField = h(
    'div',
    { class: 'field', hidden: true },
    h('label', { for: 'imp-gtfs' }, t('gtfsRoute')),
    gtfsRoute,
    gtfsList,
  );
  const name = h('input', { id: 'imp-name', type: 'text', autocomplete: 'off' });
  const period = h(
    'select',
    { id: 'imp-period' },
    PERIODS.map((p) => h('option', { value: p }, t(`reg.period.${p}`))),
  );
  const msg = h('p', { role: 'status', class: 'form-msg', 'data-testid': 'import-msg' });
  const previewEl = h('div', { 'data-testid': 'import-preview' });
  const importBtn = h(
    'button',
    { type: 'button', class: 'primary', disabled: true, 'data-testid': 'import-route' },
    t('import'),
  );
  const isZip = () => /\.zip$/i.test(file.files?.[0]?.name ?? '');
  file.addEventListener('change', () => {
    gtfsField.hidden = !isZip();
    importBtn.disabled = true;
    previewEl.replaceChildren();
    msg.textContent = '';
  });
  for (const el of [gtfsRoute, name, period, school])
    el.addEventListener('change', () => ((importBtn.disabled = true), previewEl.replaceChildren()));

  const send = async <T>(preview: boolean): Promise<T> => {
    const f = file.files?.[0];
    if (!f) throw new Error('no file');
    if (isZip()) {
      const q = new URLSearchParams({ schoolId: school.value, period: period.value });
      if (gtfsRoute.value.trim()) q.set('routeId', gtfsRoute.value.trim());
      if (name.value.trim()) q.set('name', name.value.trim());
      if (preview) q.set('preview', 'true');
      return ctx.api.send<T>('POST', `/api/v1/routes/import/gtfs?${q}`, f, 'application/zip');
    }
    const geojson = JSON.parse(await f.text());
    return ctx.api.post<T>('/api/v1/routes/import/geojson', {
      schoolId: Number(school.value),
      geojson,
      period: period.value,
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      ...(preview ? { preview: true } : {}),
    });
  };
  const fail = (err: unknown) => {
    msg.className = 'form-msg error';
    if (err instanceof SyntaxError) msg.textContent = t('badGeojson');
    else if (err instanceof ApiError && err.code === 'gtfs_route_required') {
      // The feed's routes, to choose from.
      const available = ((err.details as { available?: { routeId: string; shortName?: string; longName?: string }[] })
        ?.available ?? []) as { routeId: string; shortName?: string; longName?: string }[];
      gtfsList.replaceChildren(
        ...available.map((r) => h('option', { value: r.routeId }, [r.shortName, r.longName].filter(Boolean).join(' '))),
      );
      gtfsField.hidden = false;
      msg.textContent = t('reg.code.gtfs_route_required', { n: available.length });
      gtfsRoute.focus();
    } else msg.textContent = errorWords(t, err);
  };

  const form = h(
    'form',
    {
      class: 'card reg-import',
      'aria-labelledby': 'imp-title',
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        importBtn.disabled = true;
        previewEl.replaceChildren();
        if (!file.files?.[0]) {
          msg.className = 'form-msg error';
          msg.textContent = t('reg.chooseFile');
          file.focus();
          return;
        }
        msg.className = 'form-msg';
        msg.textContent = t('reg.reading');
        try {
          const p = await send<RoutePreview>(true);
          msg.className = 'form-msg';
          msg.textContent = t('reg.previewOf', {
            name: p.name,
            stops: p.stops.length,
            points: p.path.coordinates.length,
          });
          const map = mapOf(ctx, t('reg.routeMap', { name: p.name }), p.path.coordinates as LonLat[], p.stops);
          clear(
            previewEl,
            h('h4', null, t('reg.preview')),
            p.simplified
              ? h('p', { class: 'muted' }, t('reg.simplified', { from: p.sourcePoints, to: p.path.coordinates.length }))
              : null,
            map.el,
            stopsTable(ctx, p.stops),
          );
          map.fit(true);
          importBtn.disabled = false;
        } catch (err) {
          fail(err);
        }
      },
    },
    h('h3', { id: 'imp-title' }, t('importRoute')),
    h(
      'div',
      { class: 'form-grid' },
      ctx.schools.length > 1
        ? h('div', { class: 'field' }, h('label', { for: 'imp-school' }, t('col.school')), school)
        : null,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'imp-file' }, t('routeFile')),
        file,
        h('small', { id: 'imp-file-help', class: 'muted' }, t('reg.fileHelp')),
      ),
      gtfsField,
      h('div', { class: 'field' }, h('label', { for: 'imp-name' }, t('reg.routeName')), name),
      h('div', { class: 'field' }, h('label', { for: 'imp-period' }, t('reg.period')), period),
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', 'data-testid': 'preview-route' }, t('reg.previewButton')),
      importBtn,
    ),
    msg,
    previewEl,
  );
  importBtn.addEventListener('click', async () => {
    importBtn.disabled = true;
    msg.className = 'form-msg';
    msg.textContent = t('importing');
    try {
      const r = await send<RouteWithStops>(false);
      msg.className = 'form-msg ok-text';
      msg.textContent = t('imported', { name: r.name, stops: r.stops.length });
      previewEl.replaceChildren();
      imported(r);
    } catch (err) {
      fail(err);
    }
  });
  return form;
}
