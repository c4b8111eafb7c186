// The HTML shell of each page and its security headers. Runtime-neutral strings: the Node runtime serves them
// (src/runtime/node/pages.ts) with the asset names of the current build. The shell carries no data and no
// inline script or style: everything comes from /assets/ under a CSP that forbids remote origins.

export const pageNames = ['parent', 'attendant', 'manager', 'report'] as const;
export type PageName = (typeof pageNames)[number];

export interface PagesConfig {
  /** A MapLibre vector style for the maps' basemap (its sources may be pmtiles:// archives); wins over tileUrl. */
  mapStyleUrl?: string;
  /** Raster map tiles, e.g. https://tiles.example.org/{z}/{x}/{y}.png; unset = no tiles (route, stops, buses on a plain background). */
  tileUrl?: string;
  /** Attribution shown under the map when tiles are on. */
  tileAttribution?: string;
  /** The OsmAnd port, for the phone setup (Traccar Client) shown on the manager page; default 5055. */
  osmandPort?: number;
}

const titles: Record<PageName, { zh: string; en: string; mobile: boolean }> = {
  parent: { zh: '校车到哪了', en: 'Where is the bus', mobile: true },
  attendant: { zh: '随车照管', en: 'Bus attendant', mobile: true },
  manager: { zh: '校车安全管理', en: 'School-bus safety', mobile: false },
  report: { zh: '校车安全隐患举报', en: 'Report a school-bus hazard', mobile: true },
};

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The page: its script and stylesheet by their built names (content-hashed). */
export function pageHtml(
  page: PageName,
  assets: { script: string; style: string; mapWorker?: string },
  config: PagesConfig,
): string {
  const t = titles[page];
  const tiles = [
    assets.mapWorker ? `<meta name="bg-map-worker" content="/assets/${esc(assets.mapWorker)}">` : '',
    config.mapStyleUrl ? `<meta name="bg-map-style" content="${esc(config.mapStyleUrl)}">` : '',
    config.tileUrl ? `<meta name="bg-tile-url" content="${esc(config.tileUrl)}">` : '',
    config.tileUrl || config.mapStyleUrl
      ? `<meta name="bg-tile-attribution" content="${esc(config.tileAttribution ?? '')}">`
      : '',
  ]
    .filter(Boolean)
    .map((m) => `\n${m}`)
    .join('');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1${t.mobile ? ', viewport-fit=cover' : ''}">
<meta name="color-scheme" content="light">
<meta name="referrer" content="no-referrer">
<title>${t.zh} · ${t.en}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">${installable(page) ? `\n<link rel="manifest" href="/${page}.webmanifest">\n<meta name="theme-color" content="${THEME_COLOUR}">\n<link rel="apple-touch-icon" href="/assets/icon-192.png">` : ''}
<link rel="stylesheet" href="/assets/${esc(assets.style)}">${tiles}${config.osmandPort ? `\n<meta name="bg-osmand-port" content="${config.osmandPort}">` : ''}
<script type="module" src="/assets/${esc(assets.script)}"></script>
</head>
<body class="page-${page}">
<div id="app"><p class="loading" role="status">加载中… Loading…</p></div>
<noscript><p class="error">本页面需要 JavaScript。This page needs JavaScript.</p></noscript>
</body>
</html>
`;
}

/** The pages installed as apps (web app manifest, service worker): the phone pages. */
export const installablePages = ['parent', 'attendant'] as const satisfies readonly PageName[];
export const installable = (page: PageName) => (installablePages as readonly PageName[]).includes(page);
const THEME_COLOUR = '#1d2a3a';

/** The web app manifest of an installable page. */
export function pageManifest(page: (typeof installablePages)[number]) {
  const t = titles[page];
  return {
    id: `/${page}`,
    name: `${t.zh} · ${t.en}`,
    short_name: t.zh,
    lang: 'zh-CN',
    start_url: `/${page}`,
    scope: `/${page}`,
    display: 'standalone',
    orientation: 'portrait',
    background_color: '#ffffff',
    theme_color: THEME_COLOUR,
    icons: [
      { src: '/assets/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: '/assets/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: '/assets/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      { src: '/assets/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
    ],
  };
}

/** A tile URL's origin, if it is a valid http(s) URL template. */
export function tileOrigin(tileUrl: string | undefined): string | undefined {
  if (!tileUrl) return undefined;
  try {
    const u = new URL(tileUrl.replace(/\{[a-z]\}/g, '0'));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** A map style URL's origin, if it is a valid http(s) URL. */
export function styleOrigin(styleUrl: string | undefined): string | undefined {
  if (!styleUrl) return undefined;
  try {
    const u = new URL(styleUrl);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Content-Security-Policy of the pages: scripts (the map's worker too), styles, fonts and API calls from this
 * origin only (plus the WebSocket of this host); images also from data:/blob:; map tiles, glyphs and sprites from
 * the configured tile server and map style's origin (MapLibre fetches them), nothing else remote.
 */
export function pageCsp(host: string | undefined, config: PagesConfig): string {
  const ws =
    host && /^[\w.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(host) ? ` ws://${host} wss://${host}` : '';
  const maps = [...new Set([tileOrigin(config.tileUrl), styleOrigin(config.mapStyleUrl)].filter(Boolean))]
    .map((o) => ` ${o}`)
    .join('');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob:${maps}`,
    `connect-src 'self'${ws}${maps}`,
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const pageSecurityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(self)',
};

export const iconSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#f5b800"/><rect x="12" y="14" width="40" height="30" rx="5" fill="#1d2a3a"/><rect x="16" y="18" width="32" height="12" rx="2" fill="#cfe3ff"/><circle cx="21" cy="48" r="5" fill="#1d2a3a"/><circle cx="43" cy="48" r="5" fill="#1d2a3a"/></svg>`;
