// What the manager page's views share (built once in main.ts after sign-in).
import type { Api } from '../shared/api';
import type { I18n } from '../shared/i18n';
import type { Bus, Principal, School } from '../../http/contract';

export interface ManagerCtx {
  api: Api;
  i18n: I18n;
  me: Principal;
  schools: School[];
  buses: Bus[];
  main: HTMLElement;
  plate(busId: number | null): string;
  errorText(err: unknown): string;
  toast(text: string): void;
  /** Runs when the view is left (listeners, timers). */
  onLeave(f: () => void): void;
}
