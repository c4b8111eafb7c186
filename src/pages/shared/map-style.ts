// The maps' style: a plain background (optionally under raster tiles) and our own layers — routes, the track of a
// violation, stops, the school, buses — drawn from GeoJSON sources. No glyphs URL: MapLibre draws the labels with
// the phone's own fonts (Chinese included), so the default map needs no network at all.
import type { LayerSpecification, StyleSpecification, SymbolLayerSpecification } from 'maplibre-gl';

type SymbolLayout = NonNullable<SymbolLayerSpecification['layout']>;

export const SOURCES = {
  routes: 'bg-routes',
  track: 'bg-track',
  stops: 'bg-stops',
  places: 'bg-places',
  buses: 'bg-buses',
} as const;

/**
 * Our symbol layers, top first: MapLibre places them in this order, so the bus marker (always drawn) comes first,
 * then the child's stop's name, the bus's plate, the other stops, the school and the route names.
 */
export const LABEL_LAYERS = [
  'bg-bus',
  'bg-my-stop-label',
  'bg-bus-label',
  'bg-stop-labels',
  'bg-place-labels',
  'bg-route-labels',
] as const;

const INK = '#14202e';
const ROUTE = '#2f6fb3';
const PASSED = '#9aa5b1';
export const ROUTE_COLOURS = [ROUTE, '#8a4fb8', '#1f8a5b', '#c2571a', '#b3306b', '#4b6b8a'];

/** `{s}` in a tile template stands for a, b, c (MapLibre takes the list). */
export function rasterTiles(url: string): string[] {
  return url.includes('{s}') ? ['a', 'b', 'c'].map((s) => url.replace('{s}', s)) : [url];
}

/** The built-in style: a plain background, raster tiles under it when TILE_URL is set. */
export function plainStyle(tiles?: { url: string; attribution?: string }): StyleSpecification {
  return {
    version: 8,
    sources: tiles
      ? {
          'bg-raster': {
            type: 'raster',
            tiles: rasterTiles(tiles.url),
            tileSize: 256,
            maxzoom: 19,
            ...(tiles.attribution ? { attribution: tiles.attribution } : {}),
          },
        }
      : {},
    layers: [
      { id: 'bg-background', type: 'background', paint: { 'background-color': '#e9eef3' } },
      ...(tiles ? [{ id: 'bg-raster', type: 'raster', source: 'bg-raster' } as LayerSpecification] : []),
    ],
  };
}

// Without glyphs MapLibre draws with the CSS family of the stack's name (then sans-serif) and takes the weight from
// the name: these match the usual glyph servers' names too.
const LOCAL_FONT = ['Noto Sans Regular'];
const LOCAL_BOLD = ['Noto Sans Bold'];

/** The font stack of our labels: the basemap's own where it serves glyphs, else a local family. */
export function labelFont(style: StyleSpecification | undefined): string[] {
  if (style?.glyphs)
    for (const layer of style.layers)
      if (layer.type === 'symbol') {
        const font = layer.layout?.['text-font'];
        if (Array.isArray(font) && font.every((f) => typeof f === 'string')) return font as string[];
      }
  return LOCAL_FONT;
}

const stopLabel = (font: string[], size: number, offsetEm: number): SymbolLayout => ({
  'text-field': ['get', 'name'],
  'text-font': font,
  'text-size': size,
  'text-variable-anchor': ['left', 'right', 'top', 'bottom'],
  'text-radial-offset': offsetEm,
  'text-justify': 'auto',
  'text-max-width': 8,
});

const halo = { 'text-color': INK, 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 } as const;

/** Our layers, bottom first (added over whatever the style draws). */
export function dataLayers(font: string[]): LayerSpecification[] {
  const bold = font === LOCAL_FONT ? LOCAL_BOLD : font;
  return [
    {
      id: 'bg-route-casing',
      type: 'line',
      source: SOURCES.routes,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 8 },
    },
    {
      id: 'bg-route',
      type: 'line',
      source: SOURCES.routes,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['coalesce', ['get', 'colour'], ROUTE], 'line-width': 4 },
    },
    {
      id: 'bg-track',
      type: 'line',
      source: SOURCES.track,
      filter: ['==', ['get', 'role'], 'track'],
      paint: { 'line-color': '#6b7785', 'line-width': 3, 'line-dasharray': [2, 1.4] },
    },
    {
      id: 'bg-track-episode',
      type: 'line',
      source: SOURCES.track,
      filter: ['==', ['get', 'role'], 'episode'],
      layout: { 'line-cap': 'round' },
      paint: { 'line-color': '#b3261e', 'line-width': 5 },
    },
    {
      id: 'bg-places',
      type: 'circle',
      source: SOURCES.places,
      paint: {
        'circle-radius': 7,
        'circle-color': '#1f8a5b',
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2.5,
      },
    },
    {
      id: 'bg-stops',
      type: 'circle',
      source: SOURCES.stops,
      layout: { 'circle-sort-key': ['case', ['get', 'mine'], 1, 0] },
      paint: {
        'circle-radius': ['case', ['get', 'mine'], 8, 5],
        'circle-color': ['case', ['get', 'mine'], '#f5b800', '#ffffff'],
        'circle-stroke-color': ['case', ['get', 'mine'], INK, ['get', 'passed'], PASSED, ROUTE],
        'circle-stroke-width': ['case', ['get', 'mine'], 3, 2.5],
      },
    },
    {
      id: 'bg-route-labels',
      type: 'symbol',
      source: SOURCES.routes,
      filter: ['has', 'name'],
      layout: {
        'symbol-placement': 'line',
        'text-field': ['get', 'name'],
        'text-font': font,
        'text-size': 12,
        'symbol-spacing': 320,
      },
      paint: { ...halo, 'text-color': ['coalesce', ['get', 'colour'], ROUTE] },
    },
    {
      id: 'bg-place-labels',
      type: 'symbol',
      source: SOURCES.places,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': bold,
        'text-size': 13,
        'text-variable-anchor': ['top', 'bottom', 'left', 'right'],
        'text-radial-offset': 0.9,
        'text-max-width': 9,
      },
      paint: { ...halo, 'text-color': '#17603f' },
    },
    {
      id: 'bg-stop-labels',
      type: 'symbol',
      source: SOURCES.stops,
      filter: ['!', ['get', 'mine']],
      layout: {
        ...stopLabel(font, 12, 0.75),
        // in the route's order
        'symbol-sort-key': ['get', 'order'],
      },
      paint: { ...halo, 'text-color': ['case', ['get', 'passed'], '#5d6873', INK] },
    },
    {
      id: 'bg-bus-label',
      type: 'symbol',
      source: SOURCES.buses,
      layout: {
        'text-field': ['get', 'label'],
        'text-font': bold,
        'text-size': 12,
        // clear of the marker, however it is turned
        'text-variable-anchor': ['right', 'left', 'top', 'bottom'],
        'text-radial-offset': 2.1,
      },
      paint: halo,
    },
    {
      id: 'bg-my-stop-label',
      type: 'symbol',
      source: SOURCES.stops,
      filter: ['get', 'mine'],
      layout: stopLabel(bold, 14, 1),
      paint: halo,
    },
    {
      id: 'bg-bus',
      type: 'symbol',
      source: SOURCES.buses,
      layout: {
        'icon-image': ['concat', 'bg-bus-', ['get', 'tone'], ['case', ['has', 'heading'], '-dir', '']],
        'icon-rotate': ['coalesce', ['get', 'heading'], 0],
        'icon-rotation-alignment': 'map',
        // always drawn; labels keep clear of it
        'icon-allow-overlap': true,
      },
    },
  ];
}

const TONES = { ok: '#f5b800', warn: '#f59e0b', alarm: '#e5483d', stale: '#c1c9d2' } as const;
export type Tone = keyof typeof TONES;

/** The bus marker, drawn at twice its CSS size: a disc with a bus, and a nose pointing along the heading (up). */
export function busImage(tone: Tone, withHeading: boolean): ImageData {
  const size = 64;
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d')!;
  g.translate(size / 2, size / 2);
  g.scale(2, 2);
  g.lineJoin = 'round';
  if (withHeading) {
    g.fillStyle = INK;
    g.beginPath();
    g.moveTo(0, -15.5);
    g.lineTo(6.5, -8);
    g.lineTo(-6.5, -8);
    g.closePath();
    g.fill();
  }
  g.beginPath();
  g.arc(0, 0, 10.5, 0, Math.PI * 2);
  g.fillStyle = TONES[tone];
  g.fill();
  g.lineWidth = 2.5;
  g.strokeStyle = INK;
  g.stroke();
  g.fillStyle = INK;
  g.beginPath();
  g.roundRect(-5, -4.5, 10, 8, 1.5);
  g.fill();
  g.fillStyle = TONES[tone];
  g.fillRect(-3.5, -3, 7, 3);
  return g.getImageData(0, 0, size, size);
}

export const busImageNames = (Object.keys(TONES) as Tone[]).flatMap((tone) => [
  { name: `bg-bus-${tone}`, tone, withHeading: false },
  { name: `bg-bus-${tone}-dir`, tone, withHeading: true },
]);
