// The manager page's registry (#/registry/<list>): buses, drivers, attendants, devices, students, guardians,
// routes and trips — each a list with create, edit and delete, errors next to the fields in the page's language;
// the schools themselves, edited only (name, kind, the language of their reports); a guardian's parent link with
// its QR code, an OsmAnd phone's settings, a JSON feed's token, and route import with a map preview.
import type { Attendant, Device, Driver, Guardian, Route, RouteWithStops, Student, Trip } from '../../../http/contract';
import { listAll } from '../../shared/api';
import { clear, h } from '../../shared/dom';
import type { RegistryCtx } from './ctx';
import { deviceTokenPanel, parentLinkPanel, phoneSetupPanel } from './links';
import { resourceSection, type Row } from './resource';
import { importCard, routeSpec } from './routes';
import {
  attendantSpec,
  busSpec,
  deviceSpec,
  driverSpec,
  guardianSpec,
  schoolSpec,
  studentSpec,
  tripSpec,
} from './specs';

export type { RegistryCtx } from './ctx';

const LISTS = [
  'buses',
  'drivers',
  'attendants',
  'devices',
  'students',
  'guardians',
  'routes',
  'trips',
  'schools',
] as const;
type List = (typeof LISTS)[number];
/** Children's and guardians' records: not the bureau's (the API refuses them). */
const PERSONAL: readonly List[] = ['students', 'guardians'];

/** Routes with their stops (the list leaves stops out; one request per route, at most 50). */
async function routesWithStops(ctx: RegistryCtx): Promise<RouteWithStops[]> {
  const routes = await listAll<Route>(ctx.api, '/api/v1/routes');
  return Promise.all(routes.slice(0, 50).map((r) => ctx.api.get<RouteWithStops>(`/api/v1/routes/${r.id}`)));
}

/** `extra`: what the page adds under every list (the CSV exports of the registry). */
export async function registryView(ctx: RegistryCtx, arg?: string, extra?: HTMLElement): Promise<void> {
  const t = ctx.i18n.t;
  const lists = ctx.readOnly ? LISTS.filter((l) => !PERSONAL.includes(l)) : LISTS;
  const list: List = (lists as readonly string[]).includes(arg ?? '') ? (arg as List) : 'buses';
  const nav = h(
    'nav',
    { class: 'reg-tabs', 'aria-label': t('reg.lists') },
    lists.map((l) =>
      h(
        'a',
        { href: `#/registry/${l}`, 'aria-current': l === list ? 'page' : 'false', 'data-list': l },
        t(`reg.list.${l}`),
      ),
    ),
  );
  const hash = location.hash;
  const body = await listBody(ctx, list);
  // The manager moved on while the list loaded: the view now shown is not this one's to replace.
  if (location.hash !== hash) return;
  clear(ctx.main, h('h2', null, t('nav.registry')), nav, body, extra ?? null);
}

async function listBody(ctx: RegistryCtx, list: List): Promise<HTMLElement> {
  const api = ctx.api;
  const all = <T>(path: string) => listAll<T>(api, `/api/v1/${path}`) as Promise<Row[] & T[]>;
  switch (list) {
    case 'schools':
      // The page's own school list, so the other views see edits.
      return resourceSection(ctx, schoolSpec(ctx), ctx.schools as Row[]);
    case 'buses':
      // The page's own bus list, so the other views see edits.
      return resourceSection(ctx, busSpec(ctx), ctx.buses as Row[]);
    case 'drivers':
      return resourceSection(ctx, driverSpec(ctx), await all<Driver>('drivers'));
    case 'attendants':
      return resourceSection(ctx, attendantSpec(ctx), await all<Attendant>('attendants'));
    case 'devices':
      return resourceSection(
        ctx,
        deviceSpec(ctx, (d, editor) => {
          const dev = d as Device;
          const t = ctx.i18n.t;
          if (dev.protocol === 'osmand')
            return [
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => editor.show(phoneSetupPanel(ctx, dev, editor)),
                  'aria-label': t('phoneSetupFor', { id: dev.identifier }),
                },
                t('phoneSetup'),
              ),
            ];
          if (dev.protocol === 'json')
            return [
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => editor.show(deviceTokenPanel(ctx, dev, editor)),
                  'aria-label': t('reg.deviceTokenFor', { id: dev.label ?? dev.identifier }),
                },
                t('reg.issueToken'),
              ),
            ];
          return [];
        }),
        await all<Device>('devices'),
      );
    case 'students': {
      const [routes, students] = await Promise.all([routesWithStops(ctx), all<Student>('students?include=stops')]);
      return resourceSection(ctx, studentSpec(ctx, routes), students);
    }
    case 'guardians': {
      const [students, guardians] = await Promise.all([
        all<Student>('students'),
        all<Guardian>('guardians?include=students'),
      ]);
      const t = ctx.i18n.t;
      return resourceSection(
        ctx,
        guardianSpec(ctx, students, (g, editor) => [
          h(
            'button',
            {
              type: 'button',
              'data-testid': 'parent-link',
              onclick: () => editor.show(parentLinkPanel(ctx, g, editor)),
              'aria-label': t('reg.parentLinkFor', { name: g.name }),
            },
            t('reg.parentLink'),
          ),
        ]),
        guardians,
      );
    }
    case 'routes': {
      const rows = await all<Route>('routes');
      const spec = { ...routeSpec(ctx), onNew: () => document.querySelector<HTMLInputElement>('#imp-file')?.focus() };
      const section = resourceSection(ctx, spec, rows);
      if (ctx.readOnly) return section;
      const card = importCard(ctx, (r) => {
        rows.push(r);
        section.refresh();
      });
      return h('div', null, section, card);
    }
    case 'trips': {
      const [routes, drivers, attendants, trips] = await Promise.all([
        routesWithStops(ctx),
        all<Driver>('drivers'),
        all<Attendant>('attendants'),
        all<Trip>('trips'),
      ]);
      // Newest first; the most recent 200.
      trips.sort((a, b) => String(b.plannedStartAt).localeCompare(String(a.plannedStartAt)));
      return resourceSection(ctx, tripSpec(ctx, { routes, drivers, attendants }), trips.slice(0, 200));
    }
  }
}
