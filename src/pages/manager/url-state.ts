// The manager page's address: `#/section/arg?key=value…`. The section (the view) and its arguments and the list
// filters live in the fragment, so a reload, the back button or a shared link shows the same view with the same
// filters. Filter changes replace the current history entry (one entry per view, not per click).

export interface HashRoute {
  section: string;
  arg: string | undefined;
  params: URLSearchParams;
}

export function parseHash(hash: string = location.hash): HashRoute {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const [section = '', arg] = path.split('/');
  return { section, arg: arg || undefined, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

export function hashOf(section: string, arg?: string | number, params?: URLSearchParams | Record<string, string>) {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? {});
  const query = p.toString();
  return `#/${section}${arg != null && arg !== '' ? `/${arg}` : ''}${query ? `?${query}` : ''}`;
}

/** Writes the params of the current view into the address without a new history entry or a re-render. */
export function replaceParams(params: URLSearchParams) {
  const { section, arg } = parseHash();
  const next = hashOf(section, arg, params);
  if (next !== location.hash) history.replaceState(history.state, '', next);
}

/** The filters of the violations list, as the list's API takes them. */
export interface ViolationFilters {
  severity: string;
  /** Comma-separated statuses; '' = all. */
  status: string;
  kind: string;
  overdue: boolean;
  sort: string;
  busId: string;
  driverId: string;
  schoolId: string;
}

export const ACTIVE_STATUSES = 'open,acknowledged,rectifying';
export const defaultFilters = (): ViolationFilters => ({
  severity: '',
  status: ACTIVE_STATUSES,
  kind: '',
  overdue: false,
  sort: '-time',
  busId: '',
  driverId: '',
  schoolId: '',
});

const token = /^[A-Za-z0-9,_-]{0,200}$/;
const clean = (v: string | null) => (v != null && token.test(v) ? v : null);

/** Filters from the address; what is missing or malformed keeps its default. `status=all` is every status. */
export function filtersFromParams(p: URLSearchParams): ViolationFilters {
  const f = defaultFilters();
  const status = clean(p.get('status'));
  if (status != null) f.status = status === 'all' ? '' : status;
  f.severity = clean(p.get('severity')) ?? f.severity;
  f.kind = clean(p.get('kind')) ?? f.kind;
  f.sort = ['-time', 'time', 'severity'].includes(p.get('sort') ?? '') ? p.get('sort')! : f.sort;
  f.overdue = p.get('overdue') === '1' || p.get('overdue') === 'true';
  f.busId = /^\d{1,10}$/.test(p.get('busId') ?? '') ? p.get('busId')! : '';
  f.driverId = /^\d{1,10}$/.test(p.get('driverId') ?? '') ? p.get('driverId')! : '';
  f.schoolId = /^\d{1,10}$/.test(p.get('schoolId') ?? '') ? p.get('schoolId')! : '';
  return f;
}

/** The address form of the filters: only what differs from the defaults. */
export function filtersToParams(f: ViolationFilters): URLSearchParams {
  const d = defaultFilters();
  const p = new URLSearchParams();
  if (f.status !== d.status) p.set('status', f.status || 'all');
  if (f.severity) p.set('severity', f.severity);
  if (f.kind) p.set('kind', f.kind);
  if (f.overdue) p.set('overdue', '1');
  if (f.sort !== d.sort) p.set('sort', f.sort);
  if (f.busId) p.set('busId', f.busId);
  if (f.driverId) p.set('driverId', f.driverId);
  if (f.schoolId) p.set('schoolId', f.schoolId);
  return p;
}

/** The query of GET /violations (and of its CSV export) for the filters. */
export function filtersToApiQuery(f: ViolationFilters): URLSearchParams {
  const q = new URLSearchParams({ sort: f.sort });
  if (f.severity) q.set('severity', f.severity);
  if (f.status) q.set('status', f.status);
  if (f.kind) q.set('kind', f.kind);
  if (f.overdue) q.set('overdue', 'true');
  if (f.busId) q.set('busId', f.busId);
  if (f.driverId) q.set('driverId', f.driverId);
  if (f.schoolId) q.set('schoolId', f.schoolId);
  return q;
}
