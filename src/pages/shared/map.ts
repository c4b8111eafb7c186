// The pages' map, drawn by MapLibre GL JS (bundled, no CDN). By default its style is our own data — routes, stops,
// the school, buses, a violation's track — on a plain background (raster tiles under it with TILE_URL), so it works
// offline; MAP_STYLE_URL puts our layers over a vector basemap (PMTiles archives through the `pmtiles` protocol).
// MapLibre places the labels (no two overlap); a bus glides between fixes and turns with its heading. A map that
// follows a bus and a stop (the parent page) keeps both in view until the user moves the map, and again a while
// after. The page's <meta> tags carry the configuration: bg-map-worker, bg-map-style, bg-tile-url, bg-tile-attribution.
import type { AddProtocolResponseData, GeoJSONSource, GetResourceResponse, IControl, Map as GlMap } from 'maplibre-gl';
import type * as maplibre from 'maplibre-gl';
import type { Protocol as PmProtocol } from 'pmtiles';
import { h } from './dom';
import { type Glide, glideAt, glideTo, type LonLat } from './map-motion';
import {
  busImage,
  busImageNames,
  dataLayers,
  labelFont,
  plainStyle,
  ROUTE_COLOURS,
  SOURCES,
  type Tone,
} from './map-style';

export type { LonLat };

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
  tone?: Tone;
}

export interface PlaceMark {
  id: string | number;
  lat: number;
  lon: number;
  name: string;
}

export interface RouteLine {
  id: string | number;
  name?: string;
  coords: LonLat[];
}

export interface MapViewOptions {
  zoomLabels?: { in: string; out: string; fit: string };
  /** Phones: one finger scrolls the page, two move the map (and Ctrl + wheel zooms on a desktop). */
  cooperative?: { touch: string; windows: string; mac: string };
  /** Shown where the browser cannot draw the map (no WebGL). */
  unavailable?: string;
}

/** After the user moved the map, it follows the bus again once they left it alone this long. */
const RESUME_FOLLOW_MS = 30_000;

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || undefined;

type MapLibre = typeof maplibre;
let library: Promise<MapLibre> | undefined;
/**
 * MapLibre, loaded when the first map is laid out (its chunk comes after the page's own script, so the page shows
 * before the map library is parsed), with its worker script (served from /assets/, so no blob: worker is needed)
 * and the pmtiles protocol.
 */
function loadLibrary(): Promise<MapLibre> {
  return (library ??= import('maplibre-gl').then((ml) => {
    setUpLibrary(ml);
    return ml;
  }));
}

function setUpLibrary({ addProtocol, setWorkerUrl }: MapLibre) {
  const worker = meta('bg-map-worker');
  if (worker) setWorkerUrl(new URL(worker, location.href).href);
  if (meta('bg-map-style')) {
    // Only a configured basemap may name pmtiles:// archives; the decoder is loaded on the first such request.
    let pm: Promise<PmProtocol> | undefined;
    addProtocol('pmtiles', async (params, abort) => {
      pm ??= import('pmtiles').then(({ Protocol }) => new Protocol({ metadata: true }));
      // a TileJSON object for the archive's own URL, tile bytes for a tile
      return (await pm).tilev4(params, abort) as Promise<GetResourceResponse<AddProtocolResponseData>>;
    });
  }
}

const point = (lon: number, lat: number, properties: Record<string, unknown>) => ({
  type: 'Feature' as const,
  geometry: { type: 'Point' as const, coordinates: [lon, lat] },
  properties,
});
const line = (coords: LonLat[], properties: Record<string, unknown>) => ({
  type: 'Feature' as const,
  geometry: { type: 'LineString' as const, coordinates: coords },
  properties,
});
const collection = (features: ReturnType<typeof point | typeof line>[]) => ({
  type: 'FeatureCollection' as const,
  features,
});

class FitControl implements IControl {
  private box?: HTMLElement;
  constructor(
    private readonly label: string,
    private readonly onFit: () => void,
  ) {}
  onAdd() {
    this.box = h(
      'div',
      { class: 'maplibregl-ctrl maplibregl-ctrl-group' },
      h(
        'button',
        { type: 'button', class: 'map-fit', 'aria-label': this.label, title: this.label, onclick: this.onFit },
        h('span', { 'aria-hidden': 'true' }, '⤢'),
      ),
    );
    return this.box;
  }
  onRemove() {
    this.box?.remove();
  }
}

interface DrawnBus {
  mark: BusMark;
  glide: Glide;
  fixAtMs: number;
  at: LonLat;
  heading: number | null;
}

export class MapView {
  readonly el: HTMLElement;
  /** The MapLibre map, once the element was laid out (tests read its camera and placed labels). */
  gl: GlMap | null = null;
  private ml: MapLibre | null = null;
  private routes: RouteLine[] = [];
  private track: { coords: LonLat[]; highlight?: [number, number] } | null = null;
  private stops: StopMark[] = [];
  private places: PlaceMark[] = [];
  private readonly buses = new Map<string, DrawnBus>();
  private follow: { busId: string; stopId: string } | null = null;
  private userMovedAtMs: number | null = null;
  private framed = false;
  private ready = false;
  private fellBack = false;
  private raf = 0;
  private easeEndsAtMs = 0;
  private font: string[] = ['sans-serif'];

  constructor(
    private readonly label: string,
    private readonly opts: MapViewOptions = {},
  ) {
    this.el = h('div', { class: 'map' });
    (this.el as HTMLElement & { bgMap?: MapView }).bgMap = this;
    // MapLibre needs a laid-out container: made on the first non-empty size.
    const ro = new ResizeObserver(() => {
      if (this.gl || !this.el.clientWidth || !this.el.clientHeight) return;
      ro.disconnect();
      void this.create();
    });
    ro.observe(this.el);
  }

  private async create() {
    const z = this.opts.zoomLabels ?? { in: 'Zoom in', out: 'Zoom out', fit: 'Show all' };
    const styleUrl = meta('bg-map-style');
    const tileUrl = meta('bg-tile-url');
    const attribution = meta('bg-tile-attribution');
    const coop = this.opts.cooperative;
    let gl: GlMap;
    let ml: MapLibre;
    try {
      ml = await loadLibrary();
      gl = new ml.Map({
        container: this.el,
        style: styleUrl ?? plainStyle(tileUrl ? { url: tileUrl, attribution } : undefined),
        center: [0, 0],
        zoom: 1,
        maxZoom: 19,
        attributionControl: false,
        cooperativeGestures: Boolean(coop),
        dragRotate: false,
        pitchWithRotate: false,
        touchPitch: false,
        maxPitch: 0,
        locale: {
          'Map.Title': this.label,
          'NavigationControl.ZoomIn': z.in,
          'NavigationControl.ZoomOut': z.out,
          ...(coop
            ? {
                'CooperativeGesturesHandler.MobileHelpText': coop.touch,
                'CooperativeGesturesHandler.WindowsHelpText': coop.windows,
                'CooperativeGesturesHandler.MacHelpText': coop.mac,
              }
            : {}),
        },
      });
    } catch (err) {
      console.warn('map unavailable', err);
      this.el.classList.add('map-unavailable');
      this.el.replaceChildren(
        h('p', { role: 'status' }, this.opts.unavailable ?? '此设备无法显示地图 · This device cannot show the map'),
      );
      return;
    }
    this.gl = gl;
    this.ml = ml;
    gl.touchZoomRotate.disableRotation();
    gl.keyboard.disableRotation();
    gl.addControl(new ml.NavigationControl({ showCompass: false }), 'top-right');
    gl.addControl(new FitControl(z.fit, () => this.fit(true)), 'top-right');
    // the raster source carries TILE_ATTRIBUTION; over a basemap style it is shown beside the style's own
    if (styleUrl || tileUrl)
      gl.addControl(
        new ml.AttributionControl({ compact: true, customAttribution: styleUrl ? attribution : undefined }),
        'bottom-right',
      );
    gl.on('style.load', () => this.install());
    gl.on('error', (e) => {
      // A basemap that cannot be had (offline, a bad URL): our own style instead, so the map still shows.
      if (styleUrl && !this.ready && !this.fellBack) {
        this.fellBack = true;
        console.warn('basemap unavailable, drawing the plain map', e.error);
        gl.setStyle(plainStyle(tileUrl ? { url: tileUrl, attribution } : undefined));
        return;
      }
      console.error(e.error);
    });
    gl.on('movestart', (e) => {
      if (e.originalEvent) this.userMovedAtMs = Date.now();
    });
    gl.on('moveend', (e) => {
      if (e.originalEvent) this.userMovedAtMs = Date.now();
    });
    this.frame(false);
  }

  /** Our images, sources and layers, over whatever the style draws (again after each style change). */
  private install() {
    const gl = this.gl!;
    this.font = labelFont(gl.getStyle());
    for (const img of busImageNames)
      if (!gl.hasImage(img.name)) gl.addImage(img.name, busImage(img.tone, img.withHeading), { pixelRatio: 2 });
    for (const id of Object.values(SOURCES))
      if (!gl.getSource(id)) gl.addSource(id, { type: 'geojson', data: collection([]) });
    for (const layer of dataLayers(this.font)) if (!gl.getLayer(layer.id)) gl.addLayer(layer);
    this.ready = true;
    this.pushAll();
    this.frame(false);
  }

  private source(id: string): GeoJSONSource | undefined {
    return this.ready ? this.gl?.getSource<GeoJSONSource>(id) : undefined;
  }

  private pushAll() {
    this.pushRoutes();
    this.pushTrack();
    this.pushStops();
    this.pushPlaces();
    this.pushBuses();
  }

  private pushRoutes() {
    this.source(SOURCES.routes)?.setData(
      collection(
        this.routes
          .filter((r) => r.coords.length > 1)
          .map((r, i) =>
            line(r.coords, {
              id: String(r.id),
              colour: ROUTE_COLOURS[i % ROUTE_COLOURS.length],
              ...(r.name ? { name: r.name } : {}),
            }),
          ),
      ),
    );
  }

  private pushTrack() {
    const tr = this.track;
    const features = [];
    if (tr && tr.coords.length > 1) {
      features.push(line(tr.coords, { role: 'track' }));
      const ep = tr.highlight ? tr.coords.slice(tr.highlight[0], tr.highlight[1] + 1) : [];
      if (ep.length > 1) features.push(line(ep, { role: 'episode' }));
    }
    this.source(SOURCES.track)?.setData(collection(features));
  }

  private pushStops() {
    this.source(SOURCES.stops)?.setData(
      collection(
        this.stops.map((st, i) =>
          point(st.lon, st.lat, {
            id: String(st.id),
            name: st.name,
            mine: Boolean(st.highlight),
            passed: Boolean(st.passed),
            order: i,
          }),
        ),
      ),
    );
  }

  private pushPlaces() {
    this.source(SOURCES.places)?.setData(
      collection(this.places.map((p) => point(p.lon, p.lat, { id: String(p.id), name: p.name }))),
    );
  }

  private pushBuses() {
    this.source(SOURCES.buses)?.setData(
      collection(
        [...this.buses.values()].map((b) =>
          point(b.at[0], b.at[1], {
            id: String(b.mark.id),
            label: b.mark.label,
            tone: b.mark.tone ?? 'ok',
            ...(b.heading != null ? { heading: b.heading } : {}),
          }),
        ),
      ),
    );
  }

  setRoute(coords: LonLat[]) {
    this.setRoutes(coords.length ? [{ id: 'route', coords }] : []);
  }

  /** Several routes (the fleet view), each in its colour with its name along the line. */
  setRoutes(routes: RouteLine[]) {
    this.routes = routes;
    this.framed = false;
    this.pushRoutes();
    this.frame(false);
  }

  setStops(stops: StopMark[]) {
    this.stops = stops.filter((st) => Number.isFinite(st.lat) && Number.isFinite(st.lon));
    this.pushStops();
    this.frame(false);
  }

  /** The school (or any named place) as a point with its label. */
  setPlaces(places: PlaceMark[]) {
    this.places = places.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
    this.pushPlaces();
  }

  setTrack(coords: LonLat[] | null, highlight?: [number, number]) {
    this.track = coords ? { coords, highlight } : null;
    this.framed = false;
    this.pushTrack();
    this.frame(false);
  }

  /** Keep this bus and this stop in view (the parent page): the map frames both at every fix. */
  followBusAndStop(busId: string | number, stopId: string | number) {
    this.follow = { busId: String(busId), stopId: String(stopId) };
    this.frame(false);
  }

  setBus(bus: BusMark) {
    if (!Number.isFinite(bus.lat) || !Number.isFinite(bus.lon)) return;
    const key = String(bus.id);
    const now = performance.now();
    const prev = this.buses.get(key);
    const drawn = prev ? glideAt(prev.glide, now) : undefined;
    const glide = glideTo(drawn, [bus.lon, bus.lat], bus.headingDeg, now, prev ? now - prev.fixAtMs : 1000);
    const at = glideAt(glide, now);
    this.buses.set(key, { mark: bus, glide, fixAtMs: now, at: at.at, heading: at.heading });
    this.animate();
    if (this.follow?.busId === key) this.frame(true);
  }

  removeBus(id: string | number) {
    this.buses.delete(String(id));
    this.pushBuses();
  }

  clearBuses() {
    this.buses.clear();
    this.pushBuses();
  }

  /** Where a bus is drawn now (between two fixes while it glides). */
  drawnBus(id: string | number): { lon: number; lat: number; headingDeg: number | null } | undefined {
    const b = this.buses.get(String(id));
    if (!b) return undefined;
    const d = glideAt(b.glide, performance.now());
    return { lon: d.at[0], lat: d.at[1], headingDeg: d.heading };
  }

  private animate() {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.tick());
  }

  private tick() {
    this.raf = 0;
    const now = performance.now();
    let moving = false;
    for (const b of this.buses.values()) {
      const d = glideAt(b.glide, now);
      b.at = d.at;
      b.heading = d.heading;
      if (!d.done) moving = true;
    }
    this.pushBuses();
    // a gliding bus stays in view on every frame, not only at its fixes
    if (this.follow && this.buses.has(this.follow.busId)) this.frame(true);
    if (moving) this.animate();
  }

  /** Frames everything again (the "show all" button): follows the bus again at once. */
  fit(force = false) {
    if (force) {
      this.userMovedAtMs = null;
      this.framed = false;
    }
    this.frame(false);
  }

  /** What the camera keeps in view: the followed bus (where it is drawn and where it goes) and stop, else all. */
  private framePoints(): LonLat[] {
    const bus = this.follow && this.buses.get(this.follow.busId);
    const stop = this.follow && this.stops.find((st) => String(st.id) === this.follow!.stopId);
    if (bus) return [bus.at, bus.glide.to, ...(stop ? [[stop.lon, stop.lat] as LonLat] : [])];
    return [
      ...this.routes.flatMap((r) => r.coords),
      ...(this.track?.coords ?? []),
      ...this.stops.map((st): LonLat => [st.lon, st.lat]),
      ...this.places.map((p): LonLat => [p.lon, p.lat]),
      ...[...this.buses.values()].map((b) => b.glide.to),
    ].filter(([lon, lat]) => Number.isFinite(lon) && Number.isFinite(lat));
  }

  private frame(animate: boolean) {
    const gl = this.gl;
    const ml = this.ml;
    if (!gl || !ml) return;
    if (this.userMovedAtMs != null) {
      if (Date.now() - this.userMovedAtMs < RESUME_FOLLOW_MS) return;
      this.userMovedAtMs = null;
    }
    const following = Boolean(this.follow && this.buses.has(this.follow.busId));
    if (this.framed && !following) return;
    const pts = this.framePoints();
    if (!pts.length) return;
    const bounds = pts.reduce((b, p) => b.extend(p), new ml.LngLatBounds(pts[0], pts[0]));
    const { clientWidth: w, clientHeight: hgt } = gl.getContainer();
    // room for the labels around the points, never more than a quarter of the map
    const pad = Math.round(Math.min(60, w / 4, hgt / 4));
    const cam = gl.cameraForBounds(bounds, { padding: pad, maxZoom: following ? 16 : 17 });
    if (!cam) return;
    let jump = !this.framed || !animate;
    if (this.framed && following) {
      const at = (edge: number) =>
        pts.every((p) => {
          const q = gl.project(p);
          return q.x >= edge && q.x <= w - edge && q.y >= edge && q.y <= hgt - edge;
        });
      if (!at(4))
        jump = true; // leaving the screen: catch up at once
      else if (performance.now() < this.easeEndsAtMs)
        return; // on its way to a frame that has them
      // still well inside, and not much closer to be had: leave the camera alone
      else if (at(pad / 2) && (cam.zoom ?? gl.getZoom()) - gl.getZoom() < 1) return;
    }
    if (jump) {
      gl.jumpTo({ ...cam, bearing: 0 });
      this.easeEndsAtMs = 0;
    } else {
      gl.easeTo({ ...cam, bearing: 0, duration: 500 });
      this.easeEndsAtMs = performance.now() + 500;
    }
    this.framed = true;
  }
}
