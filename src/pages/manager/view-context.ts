// What the manager page's views share (built once in main.ts after sign-in).
import type { Api } from '../shared/api';
import type { I18n } from '../shared/i18n';
import type { Bus, Principal, School } from '../../http/contract';

export interface ManagerCtx {
  api: Api;
  i18n: I18n;
  me: Principal;
  /**
   * The education bureau's view (a supervisor): every list and case of the schools it oversees, to read; on a case
   * it may add a note and escalate it, nothing more. No registry create, edit or delete, no case moves, owners or
   * due dates, no inspection records, no alarm to acknowledge, no children's or guardians' records (the API refuses
   * them all). One flag, from the role (`readOnlyOf`); the views ask it, never the role.
   */
  readOnly: boolean;
  schools: School[];
  buses: Bus[];
  main: HTMLElement;
  plate(busId: number | null): string;
  errorText(err: unknown): string;
  toast(text: string): void;
  /** Runs when the view is left (listeners, timers). */
  onLeave(f: () => void): void;
}

/** Who the page is for: managers and admins manage (false), the bureau reads (true); anyone else: undefined. */
export function readOnlyOf(role: Principal['role']): boolean | undefined {
  if (role === 'manager' || role === 'admin') return false;
  if (role === 'supervisor') return true;
  return undefined;
}
