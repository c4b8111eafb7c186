// The service worker of the phone pages (/parent, /attendant), served at /sw.js (scope /). The server prepends
// `self.BG_SW = { version, precache }`: the page shells and their content-hashed assets, so a new build is a new
// worker. It
// - precaches the shells and assets on install, drops older caches on activate;
// - answers page navigations network-first (4 s), from the cache when the network is off or too slow, so both
//   pages open in a dead zone; assets cache-first; the API is never cached here (the pages keep their own data);
// - shows Web Push notices (title, body, tag per trip and stop) and opens the page of that trip on a click.
// Hand-written and small on purpose: a library would add more than this file.
export {}; // a module for the type checker; esbuild bundles it as one classic script

interface SwConfig {
  version: string;
  precache: string[];
}
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Response | Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown; text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification & { data?: { url?: string } };
}
interface WindowClientLike {
  url: string;
  focus(): Promise<unknown>;
  navigate(url: string): Promise<unknown>;
}
interface SwScope {
  BG_SW: SwConfig;
  location: Location;
  registration: {
    showNotification(title: string, options: NotificationOptions & Record<string, unknown>): Promise<void>;
    getNotifications(filter?: { tag?: string }): Promise<{ data?: { noticeId?: unknown } | null }[]>;
  };
  clients: {
    claim(): Promise<void>;
    matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, listener: (e: never) => void): void;
}

const sw = self as unknown as SwScope;
const CACHE = `bg-shell-${sw.BG_SW.version}`;
const SHELLS = ['/parent', '/attendant'];
const NAVIGATION_TIMEOUT_MS = 4000;

sw.addEventListener('install', (e: ExtendableEvent) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(sw.BG_SW.precache))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (e: ExtendableEvent) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith('bg-shell-') && k !== CACHE).map((k) => caches.delete(k))),
      )
      .then(() => sw.clients.claim()),
  );
});

function shellOf(url: URL): string | undefined {
  return SHELLS.find((s) => url.pathname === s);
}

async function networkOrShell(req: Request, shell: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const res = await Promise.race([
      fetch(req),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow network')), NAVIGATION_TIMEOUT_MS)),
    ]);
    if (res.ok) await cache.put(shell, res.clone());
    return res;
  } catch (err) {
    const cached = await cache.match(shell);
    if (cached) return cached;
    throw err;
  }
}

async function asset(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(req);
  if (cached) return cached;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

sw.addEventListener('fetch', (e: FetchEvent) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin) return;
  const shell = shellOf(url);
  if (shell && req.mode === 'navigate') e.respondWith(networkOrShell(req, shell));
  else if (url.pathname.startsWith('/assets/')) e.respondWith(asset(req));
});

interface PushPayload {
  title?: string;
  body?: string;
  tag?: string;
  url?: string;
  lang?: string;
  /** the notice's id: a later notice of the same trip and stop has a larger one */
  noticeId?: number;
}

// Pushes are shown one at a time, in the order they reach this worker. Push services do not promise order, so a
// notice older than the one already shown under its tag (an "approaching" that arrives after "arrived") does not
// replace it.
let showing: Promise<unknown> = Promise.resolve();

sw.addEventListener('push', (e: PushEvent) => {
  let p: PushPayload;
  try {
    p = (e.data?.json() ?? {}) as PushPayload;
  } catch {
    p = { body: e.data?.text() };
  }
  const task = showing.then(() => showPush(p)).catch(() => undefined);
  showing = task;
  e.waitUntil(task);
});

async function showPush(p: PushPayload): Promise<void> {
  const noticeId = typeof p.noticeId === 'number' ? p.noticeId : undefined;
  if (p.tag && noticeId !== undefined) {
    const current = await sw.registration.getNotifications({ tag: p.tag });
    if (current.some((n) => typeof n.data?.noticeId === 'number' && n.data.noticeId > noticeId)) return;
  }
  const url = typeof p.url === 'string' && p.url.startsWith('/') ? p.url : '/parent';
  await sw.registration.showNotification(p.title || '校车通知 School bus', {
    body: p.body ?? '',
    tag: p.tag,
    lang: p.lang,
    icon: '/assets/icon-192.png',
    badge: '/assets/icon-192.png',
    renotify: Boolean(p.tag),
    data: { url, noticeId },
  });
}

sw.addEventListener('notificationclick', (e: NotificationEvent) => {
  e.notification.close();
  const url = new URL(e.notification.data?.url ?? '/parent', sw.location.origin).href;
  e.waitUntil(
    sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (windows) => {
      const same = windows.find((w) => w.url === url) ?? windows.find((w) => new URL(w.url).pathname === '/parent');
      if (same) {
        if (same.url !== url) await same.navigate(url);
        return same.focus();
      }
      return sw.clients.openWindow(url);
    }),
  );
});
