// A small SVG map (no library, no network): the route, its stops, buses and tracks drawn in Web Mercator on a
// plain background, with optional raster tiles when a tile server is configured (<meta name="bg-tile-url">).
// Drag or arrow keys pan, wheel, +/- or the buttons zoom; "fit" frames everything again.
import { h, s } from './dom';

export type LonLat = [number, number];

export interface StopMark {
  id: string | number;
  lat: number;
  lon: number;
  name: string;
  /** the child's own stop, the current stop … */
  highlight?: boolean;
  passed?: boolean;
}

export interface BusMark {
  id: string | number;
  lat: number;
  lon: number;
  label: string;
  headingDeg?: number | null;
  tone?: 'ok' | 'warn' | 'alarm' | 'stale';
}

const TILE = 256;
const clampLat = (lat: number) => Math.max(-85.05, Math.min(85.05, lat));
/** lon/lat → world coordinates in [0, 1]. */
export function project(lon: number, lat: number): [number, number] {
  const phi = (clampLat(lat) * Math.PI) / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2];
}

function metaContent(name: string): string | undefined {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || undefined;
}

export class MapView {
  readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly layers: Record<'tiles' | 'route' | 'track' | 'stops' | 'buses', SVGGElement>;
  private route: LonLat[] = [];
  private track: { coords: LonLat[]; highlight?: [number, number] } | null = null;
  private stops: StopMark[] = [];
  private buses = new Map<string, BusMark>();
  private center: [number, number] = [0.5, 0.5];
  private zoom = 2;
  private fitted = false;
  private userMoved = false;
  private readonly tileUrl = metaContent('bg-tile-url');
  private width = 300;
  private height = 200;

  constructor(label: string, opts: { zoomLabels?: { in: string; out: string; fit: string } } = {}) {
    const z = opts.zoomLabels ?? { in: 'Zoom in', out: 'Zoom out', fit: 'Show all' };
    this.layers = { tiles: s('g'), route: s('g'), track: s('g'), stops: s('g'), buses: s('g') };
    this.svg = s(
      'svg',
      { class: 'map-svg', role: 'img', 'aria-label': label, focusable: 'false' },
      ...Object.values(this.layers),
    );
    const attribution = this.tileUrl ? metaContent('bg-tile-attribution') : undefined;
    this.el = h(
      'div',
      { class: 'map', tabindex: 0, 'aria-label': label, 'aria-roledescription': 'map' },
      this.svg,
      h(
        'div',
        { class: 'map-controls' },
        h('button', { type: 'button', 'aria-label': z.in, title: z.in, onclick: () => this.zoomBy(1) }, '+'),
        h('button', { type: 'button', 'aria-label': z.out, title: z.out, onclick: () => this.zoomBy(-1) }, '−'),
        h('button', { type: 'button', 'aria-label': z.fit, title: z.fit, onclick: () => this.fit(true) }, '⤢'),
      ),
      attribution ? h('div', { class: 'map-attribution' }, attribution) : null,
    );
    this.el.addEventListener('keydown', (ev) => this.onKey(ev));
    this.el.addEventListener(
      'wheel',
      (ev) => {
        ev.preventDefault();
        this.zoomBy(ev.deltaY < 0 ? 0.5 : -0.5);
      },
      { passive: false },
    );
    let drag: { x: number; y: number; c: [number, number] } | null = null;
    this.svg.addEventListener('pointerdown', (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, c: [...this.center] as [number, number] };
      this.svg.setPointerCapture(ev.pointerId);
    });
    this.svg.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const scale = this.scale();
      this.center = [drag.c[0] - (ev.clientX - drag.x) / scale, drag.c[1] - (ev.clientY - drag.y) / scale];
      this.userMoved = true;
      this.render();
    });
    const end = () => (drag = null);
    this.svg.addEventListener('pointerup', end);
    this.svg.addEventListener('pointercancel', end);
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.resize()).observe(this.el);
  }

  setRoute(coords: LonLat[]) {
    this.route = coords;
    this.fitted = false;
    this.render();
  }

  setStops(stops: StopMark[]) {
    this.stops = stops;
    this.render();
  }

  setTrack(coords: LonLat[] | null, highlight?: [number, number]) {
    this.track = coords ? { coords, highlight } : null;
    this.fitted = false;
    this.render();
  }

  setBus(bus: BusMark) {
    if (!Number.isFinite(bus.lat) || !Number.isFinite(bus.lon)) return;
    this.buses.set(String(bus.id), bus);
    this.render();
  }

  removeBus(id: string | number) {
    this.buses.delete(String(id));
    this.render();
  }

  clearBuses() {
    this.buses.clear();
    this.render();
  }

  /** Frames everything drawn (on the first data, or when asked). */
  fit(force = false) {
    if (force) this.userMoved = false;
    const pts: [number, number][] = [
      ...this.route.map(([lon, lat]) => project(lon, lat)),
      ...(this.track?.coords ?? []).map(([lon, lat]) => project(lon, lat)),
      ...this.stops.map((p) => project(p.lon, p.lat)),
      ...[...this.buses.values()].map((b) => project(b.lon, b.lat)),
    ].filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return;
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    this.center = [(x0 + x1) / 2, (y0 + y1) / 2];
    // The padding never takes more than half the map (a map not laid out yet has no size: keep the zoom).
    const pad = Math.min(40, this.width / 4, this.height / 4);
    const spanX = Math.max(x1 - x0, 1e-7);
    const spanY = Math.max(y1 - y0, 1e-7);
    const z = Math.log2(Math.min((this.width - pad * 2) / (spanX * TILE), (this.height - pad * 2) / (spanY * TILE)));
    if (Number.isFinite(z)) this.zoom = Math.max(2, Math.min(18, z));
    this.fitted = true;
    this.render();
  }

  private scale() {
    return TILE * 2 ** this.zoom;
  }

  private zoomBy(dz: number) {
    this.zoom = Math.max(2, Math.min(19, this.zoom + dz));
    this.userMoved = true;
    this.render();
  }

  private onKey(ev: KeyboardEvent) {
    const step = 80 / this.scale();
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    if (moves[ev.key]) {
      this.center = [this.center[0] + moves[ev.key]![0], this.center[1] + moves[ev.key]![1]];
      this.userMoved = true;
      this.render();
    } else if (ev.key === '+' || ev.key === '=') this.zoomBy(1);
    else if (ev.key === '-') this.zoomBy(-1);
    else if (ev.key === '0') this.fit(true);
    else return;
    ev.preventDefault();
  }

  private resize() {
    const r = this.el.getBoundingClientRect();
    if (!r.width || !r.height) return;
    this.width = r.width;
    this.height = r.height;
    if (!this.userMoved) this.fitted = false;
    this.render();
  }

  private xy(lon: number, lat: number): [number, number] {
    const [wx, wy] = project(lon, lat);
    const sc = this.scale();
    return [(wx - this.center[0]) * sc + this.width / 2, (wy - this.center[1]) * sc + this.height / 2];
  }

  private path(coords: LonLat[]): string {
    return coords
      .map(
        ([lon, lat], i) =>
          `${i ? 'L' : 'M'}${this.xy(lon, lat)
            .map((v) => v.toFixed(1))
            .join(' ')}`,
      )
      .join('');
  }

  render() {
    if (!this.fitted && !this.userMoved && (this.route.length || this.stops.length || this.buses.size || this.track)) {
      this.fit();
      return;
    }
    this.svg.setAttribute('viewBox', `0 0 ${this.width} ${this.height}`);
    this.renderTiles();
    this.layers.route.replaceChildren(
      ...(this.route.length > 1
        ? [
            s('path', { class: 'map-route-casing', d: this.path(this.route) }),
            s('path', { class: 'map-route', d: this.path(this.route) }),
          ]
        : []),
    );
    const tr = this.track;
    const trackEls: SVGElement[] = [];
    if (tr && tr.coords.length > 1) {
      trackEls.push(s('path', { class: 'map-track', d: this.path(tr.coords) }));
      if (tr.highlight)
        trackEls.push(
          s('path', {
            class: 'map-track-episode',
            d: this.path(tr.coords.slice(tr.highlight[0], tr.highlight[1] + 1)),
          }),
        );
    }
    this.layers.track.replaceChildren(...trackEls);
    this.layers.stops.replaceChildren(
      ...this.stops.map((st) => {
        const [x, y] = this.xy(st.lon, st.lat);
        return s(
          'g',
          {
            class: `map-stop${st.highlight ? ' is-mine' : ''}${st.passed ? ' is-passed' : ''}`,
            transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
          },
          s('title', null, st.name),
          s('circle', { r: st.highlight ? 9 : 5 }),
          st.highlight || this.zoom > 14 ? s('text', { x: 12, y: 4 }, st.name) : null,
        );
      }),
    );
    this.layers.buses.replaceChildren(
      ...[...this.buses.values()].map((b) => {
        const [x, y] = this.xy(b.lon, b.lat);
        return s(
          'g',
          {
            class: `map-bus tone-${b.tone ?? 'ok'}`,
            transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
            'data-bus': String(b.id),
          },
          s('title', null, b.label),
          b.headingDeg != null
            ? s('path', {
                class: 'map-bus-heading',
                d: 'M0 -20 L6 -10 L-6 -10 Z',
                transform: `rotate(${b.headingDeg})`,
              })
            : null,
          s('circle', { r: 11 }),
          s('rect', { class: 'map-bus-icon', x: -5, y: -4, width: 10, height: 7, rx: 1.5 }),
          s('text', { class: 'map-bus-label', x: 15, y: -10 }, b.label),
        );
      }),
    );
  }

  private renderTiles() {
    if (!this.tileUrl) return;
    const z = Math.max(0, Math.min(19, Math.round(this.zoom)));
    const n = 2 ** z;
    const sc = this.scale();
    const size = sc / n;
    const left = this.center[0] - this.width / 2 / sc;
    const top = this.center[1] - this.height / 2 / sc;
    const x0 = Math.floor(left * n);
    const y0 = Math.max(0, Math.floor(top * n));
    const x1 = Math.floor((left + this.width / sc) * n);
    const y1 = Math.min(n - 1, Math.floor((top + this.height / sc) * n));
    const imgs: SVGElement[] = [];
    for (let ty = y0; ty <= y1; ty++)
      for (let tx = x0; tx <= x1; tx++) {
        const wrapped = ((tx % n) + n) % n;
        const href = this.tileUrl
          .replace('{z}', String(z))
          .replace('{x}', String(wrapped))
          .replace('{y}', String(ty))
          .replace('{s}', 'a');
        imgs.push(
          s('image', {
            href,
            x: ((tx / n - left) * sc).toFixed(1),
            y: ((ty / n - top) * sc).toFixed(1),
            width: size + 0.5,
            height: size + 0.5,
          }),
        );
      }
    this.layers.tiles.replaceChildren(...imgs);
  }
}
