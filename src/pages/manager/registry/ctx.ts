// What the registry views share with the manager page: the API, the dictionary, the page's main element and the
// lists the rest of the page also uses (schools, buses: edited in place so the other views see the changes).
import type { Api } from '../../shared/api';
import type { I18n } from '../../shared/i18n';
import type { Bus, School } from '../../../http/contract';

export interface RegistryCtx {
  api: Api;
  i18n: I18n;
  main: HTMLElement;
  schools: School[];
  buses: Bus[];
  toast(text: string): void;
  /**
   * The bureau's view (ManagerCtx.readOnly): the lists without New, Edit, Delete or the rows' own actions, no route
   * import, and no children's or guardians' lists.
   */
  readOnly?: boolean;
}

/** The instant of a wall-clock date and time in a time zone (ISO, UTC). */
export function zonedIso(date: string, time: string, timeZone: string): string {
  const [y, mo, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y!, mo! - 1, d!, hh!, mm!);
  let at = wall - offsetMs(timeZone, wall);
  at = wall - offsetMs(timeZone, at); // once more across an offset change
  return new Date(at).toISOString();
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetMs(timeZone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(atMs);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/** The wall-clock date (YYYY-MM-DD) and time (HH:MM) of an instant in a time zone. */
export function zonedParts(iso: string, timeZone: string): { date: string; time: string } {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(iso));
  const p = (type: string) => f.find((x) => x.type === type)?.value ?? '';
  return { date: `${p('year')}-${p('month')}-${p('day')}`, time: `${p('hour')}:${p('minute')}` };
}
