// Which push-service URLs the server may POST to (PUSH_ALLOWED_HOSTS). Pure.
//
// An entry is a host name, `host:port`, or `*.domain`:
// - `host` allows https://host/… on the default port 443 only;
// - `host:port` allows that host on that port only;
// - `*.domain` allows every name below `domain` (one label or more: `a.domain`, `a.b.domain`), never `domain` itself;
//   a wildcard entry may carry a port too (`*.domain:8443`).
// Names compare case-insensitively, a trailing dot ignored. URLs with user info are refused. Plain http is allowed
// only for a loopback host given with an explicit port (127.0.0.0/8, [::1], localhost: a local push service for
// development and tests); every other endpoint must be https. The server never follows a redirect (the sender
// uses `redirect: 'manual'`), so an allowed host cannot bounce it elsewhere.

export const DEFAULT_PUSH_ALLOWED_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.notify.windows.com',
  'web.push.apple.com',
] as const;

export interface HostRule {
  /** lower case, no trailing dot; for a wildcard the suffix after `*.` */
  host: string;
  wildcard: boolean;
  /** explicit port, or undefined for the scheme's default (443) */
  port?: number;
}

const ENTRY =
  /^(\*\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3})\.?(?::(\d{1,5}))?$/i;

/** Parses a comma-separated list; throws with the bad entry named. */
export function parseAllowedHosts(list: string | readonly string[]): HostRule[] {
  const entries = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  return entries.map((entry) => {
    const m = ENTRY.exec(entry);
    const port = m?.[3] === undefined ? undefined : Number(m[3]);
    if (!m || (port !== undefined && (port < 1 || port > 65535)))
      throw new Error(`PUSH_ALLOWED_HOSTS: "${entry}" is not a host name, host:port or *.domain`);
    return { host: m[2]!.toLowerCase(), wildcard: Boolean(m[1]), port };
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why an endpoint may not be used, or null when it may. */
export function endpointProblem(endpoint: string, rules: readonly HostRule[]): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'not a URL';
  }
  if (url.username || url.password) return 'user info is not allowed in a push endpoint';
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const explicitPort = url.port === '' ? undefined : Number(url.port);
  if (url.protocol === 'http:') {
    if (!isLoopback(host) || explicitPort === undefined) return 'a push endpoint must be https';
  } else if (url.protocol !== 'https:') return 'a push endpoint must be https';
  const port = explicitPort ?? (url.protocol === 'https:' ? 443 : 80);
  const ok = rules.some((r) => {
    if ((r.port ?? 443) !== port) return false;
    return r.wildcard ? host.endsWith(`.${r.host}`) : host === r.host;
  });
  return ok ? null : `push service host ${url.host} is not in PUSH_ALLOWED_HOSTS`;
}
