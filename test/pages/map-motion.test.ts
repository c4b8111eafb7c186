// The map's pure parts: how a bus glides and turns between fixes, and the style's choices (tiles, label font).
import { describe, expect, it } from 'vitest';
import { bearingDeg, glideAt, glideTo, turnDeg } from '../../src/pages/shared/map-motion';
import { labelFont, plainStyle, rasterTiles } from '../../src/pages/shared/map-style';

describe('bus motion', () => {
  it('turns the short way round', () => {
    expect(turnDeg(350, 10, 0.5)).toBeCloseTo(0, 9);
    expect(turnDeg(10, 350, 0.5)).toBeCloseTo(0, 9);
    expect(turnDeg(90, 180, 1)).toBeCloseTo(180, 9);
    expect(turnDeg(0, 270, 0.5)).toBeCloseTo(315, 9);
  });

  it('bears east along a parallel, north along a meridian', () => {
    expect(bearingDeg([121.5, 31.2], [121.51, 31.2])).toBeCloseTo(90, 1);
    expect(bearingDeg([121.5, 31.2], [121.5, 31.3])).toBeCloseTo(0, 6);
  });

  it('glides from where it is drawn to the fix, heading where it moved when the fix has none', () => {
    const g = glideTo({ at: [121.5, 31.2], heading: null }, [121.501, 31.2], null, 1000, 1000);
    expect(g.durationMs).toBe(900);
    const mid = glideAt(g, 1000 + 450);
    expect(mid.at[0]).toBeGreaterThan(121.5);
    expect(mid.at[0]).toBeLessThan(121.501);
    expect(mid.done).toBe(false);
    const end = glideAt(g, 1000 + 900);
    expect(end.at).toEqual([121.501, 31.2]);
    expect(end.heading).toBeCloseTo(90, 1);
    expect(end.done).toBe(true);
  });

  it('takes the fix’s heading, and jumps (no glide) across a gap of kilometres or on the first fix', () => {
    const turned = glideTo({ at: [121.5, 31.2], heading: 0 }, [121.5001, 31.2], 180, 0, 500);
    expect(glideAt(turned, 1e6).heading).toBe(180);
    expect(glideTo(undefined, [121.5, 31.2], null, 0, 1000).durationMs).toBe(0);
    expect(glideTo({ at: [121.5, 31.2], heading: 0 }, [121.6, 31.2], null, 0, 1000).durationMs).toBe(0);
  });
});

describe('map style', () => {
  it('expands {s} in a tile template and puts raster tiles under our layers only when configured', () => {
    expect(rasterTiles('https://{s}.tiles.example/{z}/{x}/{y}.png')).toEqual([
      'https://a.tiles.example/{z}/{x}/{y}.png',
      'https://b.tiles.example/{z}/{x}/{y}.png',
      'https://c.tiles.example/{z}/{x}/{y}.png',
    ]);
    expect(plainStyle().sources).toEqual({});
    expect(plainStyle().glyphs).toBeUndefined();
    expect(plainStyle({ url: 'https://t.example/{z}/{x}/{y}.png' }).layers.map((l) => l.id)).toEqual([
      'bg-background',
      'bg-raster',
    ]);
  });

  it('labels with the basemap’s font where it serves glyphs, else a local family', () => {
    expect(labelFont(plainStyle())).toEqual(['Noto Sans Regular']);
    expect(
      labelFont({
        version: 8,
        glyphs: 'https://maps.example/fonts/{fontstack}/{range}.pbf',
        sources: {},
        layers: [{ id: 'place', type: 'symbol', source: 'x', layout: { 'text-font': ['Open Sans Semibold'] } }],
      }),
    ).toEqual(['Open Sans Semibold']);
  });
});
