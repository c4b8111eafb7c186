// The pages' API client: the bearer token (taken from the link's #token= fragment, kept in localStorage, never
// sent in a URL), JSON requests, and errors in the API's envelope.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  /** No answer at all: offline, DNS, connection reset. */
  get network() {
    return this.status === 0;
  }
}

/**
 * The token for a page: a `#token=…` fragment wins (it is stored, then removed from the address bar and the
 * history entry); else the stored one. The fragment never reaches the server, so the token stays out of its logs.
 */
export function takeToken(key: string): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]!);
    try {
      localStorage.setItem(key, token);
    } catch {
      /* private mode: the token lives for this page only */
    }
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function forgetToken(key: string) {
  try {
    localStorage.removeItem(key);
  } catch {
    /* nothing stored */
  }
}

export interface Api {
  token: string;
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path: string, body: unknown): Promise<T>;
  send<T = unknown>(method: string, path: string, body?: BodyInit, contentType?: string): Promise<T>;
  text(path: string): Promise<string>;
}

export function makeApi(token: string, onUnauthorized?: () => void): Api {
  async function request(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (contentType) headers['content-type'] = contentType;
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, 'network', err instanceof Error ? err.message : 'Network error');
    }
    if (!res.ok) {
      let code = 'http_' + res.status;
      let message = res.statusText || `HTTP ${res.status}`;
      let details: unknown;
      try {
        const j = await res.json();
        if (j?.error) ({ code, message, details } = j.error);
      } catch {
        /* not the envelope */
      }
      if (res.status === 401) onUnauthorized?.();
      throw new ApiError(res.status, code, message, details);
    }
    return res;
  }
  const json = async <T>(res: Response): Promise<T> =>
    res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  return {
    token,
    get: async (path) => json(await request('GET', path)),
    post: async (path, body) =>
      json(
        await request(
          'POST',
          path,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? undefined : 'application/json',
        ),
      ),
    patch: async (path, body) => json(await request('PATCH', path, JSON.stringify(body), 'application/json')),
    send: async (method, path, body, contentType) => json(await request(method, path, body, contentType)),
    text: async (path) => (await request('GET', path)).text(),
  };
}

/** Every page of a cursor-paginated registry list (bounded). */
export async function listAll<T>(api: Api, path: string, maxPages = 20): Promise<T[]> {
  const out: T[] = [];
  let cursor: number | null = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: number | null } = await api.get(
      `${path}${sep}limit=500${cursor != null ? `&cursor=${cursor}` : ''}`,
    );
    out.push(...page.items);
    if (page.nextCursor == null) break;
    cursor = page.nextCursor;
  }
  return out;
}

/** A random id for a record made on this device (works without a secure context, unlike randomUUID). */
export function clientId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
