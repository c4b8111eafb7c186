// GeoJSON → ImportedRoute. Accepts a Feature, a FeatureCollection or a bare LineString / MultiLineString.
// Exactly one (Multi)LineString is the path; Point features are stops. Pure.

import {
  RouteImportError,
  dropRepeatedPositions,
  normaliseClockTime,
  type ImportedRoute,
  type ImportedStop,
} from '../route-import';
import { distanceM, projectOntoPath, type LonLat } from './geometry';

/** A stop farther than this from the path is rejected. */
export const MAX_STOP_OFFSET_M = 500;
/** MultiLineString parts whose end and next start are this close count as joined. */
export const PART_JOIN_TOLERANCE_M = 1;

export interface GeoJsonIssue {
  /** where in the input, e.g. "$.features[2].geometry.coordinates[3][0]" */
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

interface LineCandidate {
  path: string;
  properties: Obj | undefined;
  id: unknown;
  coordinates: LonLat[] | undefined; // undefined when invalid (issues recorded)
}

interface StopCandidate {
  path: string;
  position: LonLat | undefined;
  name: string | undefined;
  sequence: number | undefined;
  scheduledTime: string | undefined;
  radiusM: number | undefined;
  code: string | undefined;
  externalId: string | undefined;
}

class Reader {
  readonly issues: GeoJsonIssue[] = [];
  readonly lines: LineCandidate[] = [];
  readonly stops: StopCandidate[] = [];

  issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  position(v: unknown, path: string): LonLat | undefined {
    if (!Array.isArray(v) || v.length < 2) {
      this.issue(path, `expected a position [lon, lat], got ${describe(v)}`);
      return undefined;
    }
    const [lon, lat] = v as unknown[];
    let ok = true;
    if (typeof lon !== 'number' || !Number.isFinite(lon)) {
      this.issue(`${path}[0]`, `longitude must be a finite number, got ${describe(lon)}`);
      ok = false;
    } else if (lon < -180 || lon > 180) {
      this.issue(`${path}[0]`, `longitude ${lon} is outside [-180, 180]`);
      ok = false;
    }
    if (typeof lat !== 'number' || !Number.isFinite(lat)) {
      this.issue(`${path}[1]`, `latitude must be a finite number, got ${describe(lat)}`);
      ok = false;
    } else if (lat < -90 || lat > 90) {
      this.issue(`${path}[1]`, `latitude ${lat} is outside [-90, 90]`);
      ok = false;
    }
    return ok ? [lon as number, lat as number] : undefined;
  }

  positions(v: unknown, path: string): LonLat[] | undefined {
    if (!Array.isArray(v)) {
      this.issue(path, `expected an array of positions, got ${describe(v)}`);
      return undefined;
    }
    const out: LonLat[] = [];
    let ok = true;
    v.forEach((p, i) => {
      const pos = this.position(p, `${path}[${i}]`);
      if (pos) out.push(pos);
      else ok = false;
    });
    return ok ? out : undefined;
  }

  lineCoordinates(geometry: Obj, path: string): LonLat[] | undefined {
    const coordsPath = `${path}.coordinates`;
    const coords = own(geometry, 'coordinates');
    let joined: LonLat[] | undefined;
    if (own(geometry, 'type') === 'LineString') {
      joined = this.positions(coords, coordsPath);
    } else {
      if (!Array.isArray(coords)) {
        this.issue(coordsPath, `expected an array of lines, got ${describe(coords)}`);
        return undefined;
      }
      const parts = coords.map((part, i) => this.positions(part, `${coordsPath}[${i}]`));
      if (parts.some((p) => p === undefined)) return undefined;
      joined = [];
      for (let i = 0; i < parts.length; i++) {
        const part = dropRepeatedPositions(parts[i]!);
        if (part.length === 0) {
          this.issue(`${coordsPath}[${i}]`, 'line part has no positions');
          return undefined;
        }
        const end = joined[joined.length - 1];
        if (end) {
          const gapM = distanceM(end, part[0]!);
          if (gapM > PART_JOIN_TOLERANCE_M) {
            this.issue(
              `${coordsPath}[${i}][0]`,
              `part ${i} does not start where part ${i - 1} ends (gap ${Math.round(gapM)} m); parts must join end to start`,
            );
            return undefined;
          }
          joined.push(...part.slice(1));
        } else {
          joined.push(...part);
        }
      }
    }
    if (!joined) return undefined;
    const line = dropRepeatedPositions(joined);
    if (line.length < 2) {
      this.issue(coordsPath, `a path needs at least 2 distinct positions, found ${line.length}`);
      return undefined;
    }
    return line;
  }

  geometry(geometry: unknown, path: string, properties: Obj | undefined, id: unknown): void {
    if (!isObject(geometry)) {
      this.issue(path, `expected a geometry object, got ${describe(geometry)}`);
      return;
    }
    const type = own(geometry, 'type');
    if (type === 'LineString' || type === 'MultiLineString') {
      this.lines.push({ path, properties, id, coordinates: this.lineCoordinates(geometry, path) });
    } else if (type === 'Point') {
      this.stop(geometry, path, properties, id);
    } else {
      this.issue(
        `${path}.type`,
        `unsupported geometry type ${describe(type)}; expected LineString, MultiLineString or Point`,
      );
    }
  }

  stop(geometry: Obj, path: string, properties: Obj | undefined, id: unknown): void {
    const stop: StopCandidate = {
      path,
      position: this.position(own(geometry, 'coordinates'), `${path}.coordinates`),
      name: undefined,
      sequence: undefined,
      scheduledTime: undefined,
      radiusM: undefined,
      code: undefined,
      externalId: typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? String(id) : undefined,
    };
    const props = properties ?? {};
    const propsPath = `${path.replace(/\.geometry$/, '')}.properties`;
    const name = own(props, 'name');
    if (typeof name === 'string' && name.trim() !== '') stop.name = name.trim();
    else this.issue(`${propsPath}.name`, `a stop needs a name, got ${describe(name)}`);

    const sequence = own(props, 'sequence');
    if (sequence !== undefined && sequence !== null) {
      if (typeof sequence === 'number' && Number.isSafeInteger(sequence) && sequence >= 0) stop.sequence = sequence;
      else this.issue(`${propsPath}.sequence`, `sequence must be a whole number ≥ 0, got ${describe(sequence)}`);
    }

    const timeKey = own(props, 'scheduledTime') !== undefined ? 'scheduledTime' : 'time';
    const time = own(props, timeKey);
    if (time !== undefined && time !== null && time !== '') {
      const normalised = typeof time === 'string' ? normaliseClockTime(time) : undefined;
      if (normalised) stop.scheduledTime = normalised;
      else this.issue(`${propsPath}.${timeKey}`, `expected a time 'HH:MM' or 'HH:MM:SS', got ${describe(time)}`);
    }

    const radiusM = own(props, 'radiusM');
    if (radiusM !== undefined && radiusM !== null) {
      if (typeof radiusM === 'number' && Number.isFinite(radiusM) && radiusM > 0) stop.radiusM = radiusM;
      else this.issue(`${propsPath}.radiusM`, `radiusM must be a positive number of metres, got ${describe(radiusM)}`);
    }

    const code = own(props, 'code');
    if (typeof code === 'string' && code.trim() !== '') stop.code = code.trim();
    else if (typeof code === 'number' && Number.isFinite(code)) stop.code = String(code);

    this.stops.push(stop);
  }

  feature(f: unknown, path: string): void {
    if (!isObject(f) || own(f, 'type') !== 'Feature') {
      this.issue(path, `expected a Feature, got ${isObject(f) ? `type ${describe(own(f, 'type'))}` : describe(f)}`);
      return;
    }
    const properties = own(f, 'properties');
    if (properties !== undefined && properties !== null && !isObject(properties)) {
      this.issue(`${path}.properties`, `properties must be an object or null, got ${describe(properties)}`);
      return;
    }
    this.geometry(own(f, 'geometry'), `${path}.geometry`, properties ?? undefined, own(f, 'id'));
  }

  root(input: unknown): void {
    if (!isObject(input)) {
      this.issue('$', `expected a GeoJSON object, got ${describe(input)}`);
      return;
    }
    const type = own(input, 'type');
    if (type === 'FeatureCollection') {
      const features = own(input, 'features');
      if (!Array.isArray(features)) {
        this.issue('$.features', `expected an array of features, got ${describe(features)}`);
        return;
      }
      features.forEach((f, i) => this.feature(f, `$.features[${i}]`));
    } else if (type === 'Feature') {
      this.feature(input, '$');
    } else if (type === 'LineString' || type === 'MultiLineString') {
      this.geometry(input, '$', undefined, undefined);
    } else {
      this.issue('$.type', `expected a FeatureCollection, Feature or LineString, got ${describe(type)}`);
    }
  }
}

function invalid(issues: GeoJsonIssue[]): RouteImportError {
  const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return new RouteImportError(`GeoJSON route is invalid: ${shown.join('; ')}${more}`, 'geojson_invalid', issues);
}

/**
 * Parses a GeoJSON route. Input may also be JSON text. Stops keep their `sequence` order when every stop
 * has one; when none has, they are ordered by distance along the path. Throws RouteImportError
 * 'geojson_invalid' (details: GeoJsonIssue[]) or 'geojson_stop_off_path' (details: the stops too far away).
 */
export function parseGeoJsonRoute(input: unknown, opts: { name?: string } = {}): ImportedRoute {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw invalid([{ path: '$', message: `not valid JSON (${err instanceof Error ? err.message : 'parse error'})` }]);
    }
  }
  const reader = new Reader();
  reader.root(value);
  const { issues, lines, stops } = reader;

  if (lines.length !== 1 && !issues.some((i) => i.path === '$' || i.path === '$.type' || i.path === '$.features')) {
    reader.issue(
      '$',
      lines.length === 0
        ? 'no LineString or MultiLineString found; exactly one is needed as the route path'
        : `found ${lines.length} lines (${lines.map((l) => l.path).join(', ')}); exactly one LineString or MultiLineString is needed`,
    );
  }
  const line = lines.length === 1 ? lines[0] : undefined;

  const withSequence = stops.filter((s) => s.sequence !== undefined);
  if (withSequence.length > 0 && withSequence.length < stops.length) {
    const missing = stops.find((s) => s.sequence === undefined)!;
    reader.issue(
      `${missing.path.replace(/\.geometry$/, '')}.properties.sequence`,
      `${withSequence.length} of ${stops.length} stops have a sequence; give every stop a sequence or none`,
    );
  }
  const seen = new Map<number, string>();
  for (const s of withSequence) {
    const first = seen.get(s.sequence!);
    if (first !== undefined) {
      reader.issue(
        `${s.path.replace(/\.geometry$/, '')}.properties.sequence`,
        `sequence ${s.sequence} repeats (also at ${first})`,
      );
    } else {
      seen.set(s.sequence!, s.path);
    }
  }

  let name: string | undefined;
  const optName = opts?.name;
  if (typeof optName === 'string' && optName.trim() !== '') {
    name = optName.trim();
  } else if (line) {
    const lineName = line.properties ? own(line.properties, 'name') : undefined;
    if (typeof lineName === 'string' && lineName.trim() !== '') name = lineName.trim();
    else {
      const at =
        line.path === '$' ? '$.properties.name' : `${line.path.replace(/\.geometry$|^\$$/, '')}.properties.name`;
      reader.issue(at, 'the route has no name: give opts.name or properties.name on the line');
    }
  }

  if (issues.length > 0 || !line || !line.coordinates || !name) throw invalid(issues);

  const path = line.coordinates;
  const placed = stops.map((s, index) => ({ s, index, ...projectOntoPath(path, s.position!) }));
  const off = placed.filter((p) => p.offsetM > MAX_STOP_OFFSET_M);
  if (off.length > 0) {
    const details = off.map((p) => ({ path: p.s.path, name: p.s.name, offsetM: Math.round(p.offsetM) }));
    const shown = details.slice(0, 3).map((d) => `${d.name} (${d.offsetM} m)`);
    throw new RouteImportError(
      `${off.length} stop${off.length > 1 ? 's are' : ' is'} farther than ${MAX_STOP_OFFSET_M} m from the route path: ${shown.join(', ')}${details.length > 3 ? ', …' : ''}`,
      'geojson_stop_off_path',
      details,
    );
  }
  if (withSequence.length === stops.length) placed.sort((a, b) => a.s.sequence! - b.s.sequence!);
  else placed.sort((a, b) => a.alongM - b.alongM || a.index - b.index);

  const importedStops: ImportedStop[] = placed.map(({ s }, i) => {
    const stop: ImportedStop = { name: s.name!, lat: s.position![1], lon: s.position![0], sequence: i + 1 };
    if (s.scheduledTime !== undefined) stop.scheduledTime = s.scheduledTime;
    if (s.externalId !== undefined) stop.externalId = s.externalId;
    if (s.code !== undefined) stop.code = s.code;
    if (s.radiusM !== undefined) stop.radiusM = s.radiusM;
    return stop;
  });

  const route: ImportedRoute = { name, path: { type: 'LineString', coordinates: path }, stops: importedStops };
  if (typeof line.id === 'string' || (typeof line.id === 'number' && Number.isFinite(line.id)))
    route.externalId = String(line.id);
  const shortName = line.properties ? own(line.properties, 'shortName') : undefined;
  if (typeof shortName === 'string' && shortName.trim() !== '') route.shortName = shortName.trim();
  return route;
}
