// OsmAnd / Traccar Client HTTP protocol → Fix. Pure: the receive time and the server time zone
// come in as parameters.
//
// Reports without coordinates: the reference says the device's last known position is reused and
// the report stored with `outdated` set. The decoder cannot know that position, so such a report
// comes back in `positionless` (a Fix without lat/lon, valid=false, attributes.outdated=true) instead
// of `fixes`; the caller completes it with `completeWithLastPosition(p, last)` (or drops it when the
// device has no position yet).
import type { AlarmName, AttributeValue, DecodeError, DeviceEvent, Fix } from '../../core/fix';
import { epochNumberToMs, parseOsmandTimestamp } from './timestamp';

export const KNOTS_TO_KPH = 1.852;
export const MPS_TO_KPH = 3.6;

export interface OsmandRequest {
  /** Request target: path and query (`/?id=…&lat=…`), or a bare query string. */
  target?: string;
  /** Raw body: empty, `application/x-www-form-urlencoded` pairs, or JSON. */
  body?: string;
  contentType?: string;
}

export interface OsmandContext {
  /** Server receive time, epoch ms UTC; used when the report has no timestamp. */
  receivedMs: number;
  /** Server time zone for `yyyy-MM-dd HH:mm:ss` timestamps, minutes east of UTC. Default 0. */
  serverTzOffsetMin?: number;
}

export type PositionlessFix = Omit<Fix, 'lat' | 'lon'>;

export interface OsmandResult {
  /** The device id when one was found (also on errors, for logging). */
  deviceId?: string;
  /** The device's secret (`password` or `key`), when sent; checked by the server, never stored. */
  secret?: string;
  fixes: Fix[];
  /** Reports without coordinates; see the module comment. */
  positionless: PositionlessFix[];
  events: DeviceEvent[];
  /**
   * Problems. Codes: missing_id, bad_id (U+0000 or a lone surrogate in the id), bad_json, bad_coordinates, bad_timestamp, bad_number. Any error means
   * the request is rejected as a whole (HTTP 400) and `fixes` / `positionless` are empty.
   */
  errors: DecodeError[];
}

/** Completes a positionless report with the device's last known position. */
export function completeWithLastPosition(p: PositionlessFix, last: { lat: number; lon: number }): Fix {
  return { ...p, lat: last.lat, lon: last.lon, attributes: { ...p.attributes, outdated: true } };
}

export function decodeOsmand(req: OsmandRequest, ctx: OsmandContext): OsmandResult {
  const out: OsmandResult = { fixes: [], positionless: [], events: [], errors: [] };
  const body = req.body ?? '';
  const trimmed = body.trim();
  const isJson =
    (req.contentType ?? '').toLowerCase().includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[');
  try {
    if (isJson && trimmed !== '') decodeJson(trimmed, ctx, out);
    else decodeParams(collectParams(req.target ?? '', trimmed), ctx, out);
  } catch (e) {
    // Defensive: decoding must never throw on input; report instead.
    out.errors.push({ code: 'bad_request', message: e instanceof Error ? e.message : String(e) });
  }
  if (out.errors.length > 0) {
    out.fixes = [];
    out.positionless = [];
    out.events = [];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Query-string / form form

type Params = Map<string, string[]>;

function collectParams(target: string, formBody: string): Params {
  const params: Params = new Map();
  const q = target.indexOf('?');
  let query = '';
  if (q >= 0) query = target.slice(q + 1);
  else if (!target.startsWith('/') && target.includes('=')) query = target;
  const hash = query.indexOf('#');
  if (hash >= 0) query = query.slice(0, hash);
  for (const source of [query, formBody]) {
    if (source === '') continue;
    for (const [k, v] of new URLSearchParams(source)) {
      const list = params.get(k);
      if (list) list.push(v);
      else params.set(k, [v]);
    }
  }
  return params;
}

const CONSUMED = new Set([
  'id',
  'deviceid',
  'lat',
  'lon',
  'location',
  'timestamp',
  'speed',
  'bearing',
  'heading',
  'altitude',
  'accuracy',
  'hdop',
  'batt',
  'charge',
  'alarm',
  'driverUniqueId',
  'valid',
  'password',
  'key',
]);

function decodeParams(params: Params, ctx: OsmandContext, out: OsmandResult): void {
  const first = (k: string): string | undefined => {
    const v = params.get(k)?.[0]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const deviceId = first('id') ?? first('deviceid');
  if (deviceId === undefined) {
    out.errors.push({ code: 'missing_id', message: 'id (or deviceid) is required' });
    return;
  }
  if (badId(deviceId, out)) return;
  out.deviceId = deviceId;
  const secret = params.get('password')?.[0] ?? params.get('key')?.[0];
  if (secret !== undefined) out.secret = secret;

  let latText = first('lat');
  let lonText = first('lon');
  const location = first('location');
  if (latText === undefined && lonText === undefined && location !== undefined) {
    const comma = location.indexOf(',');
    if (comma < 0) {
      out.errors.push({ code: 'bad_coordinates', message: 'location must be LAT,LON' });
      return;
    }
    latText = location.slice(0, comma).trim();
    lonText = location.slice(comma + 1).trim();
  }

  const timeText = first('timestamp');
  let timeMs = ctx.receivedMs;
  if (timeText !== undefined) {
    const t = parseOsmandTimestamp(timeText, ctx.serverTzOffsetMin ?? 0);
    if (t === undefined) {
      out.errors.push({
        code: 'bad_timestamp',
        message: `timestamp '${timeText}' is not epoch seconds/ms, ISO-8601 or yyyy-MM-dd HH:mm:ss`,
      });
      return;
    }
    timeMs = t;
  }

  const attributes: Record<string, AttributeValue> = {};
  const num = (key: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (text === '' || !Number.isFinite(v)) {
      out.errors.push({ code: 'bad_number', message: `${key} '${text}' is not a number` });
      return undefined;
    }
    return v;
  };
  const known = (v: number | undefined): number | undefined => (v === undefined || v < 0 ? undefined : v);

  const base: PositionlessFix = { deviceId, protocol: 'osmand', timeMs, valid: true, alarms: [], attributes };
  const speedKnots = known(num('speed', first('speed')));
  if (speedKnots !== undefined) base.speedKph = speedKnots * KNOTS_TO_KPH;
  const heading = known(num('bearing', first('bearing') ?? first('heading')));
  if (heading !== undefined) base.headingDeg = heading % 360;
  const altitude = num('altitude', first('altitude'));
  if (altitude !== undefined) base.altitudeM = altitude;
  const accuracy = known(num('accuracy', first('accuracy') ?? first('hdop')));
  if (accuracy !== undefined) base.accuracyM = accuracy;
  const batt = known(num('batt', first('batt')));
  if (batt !== undefined) attributes.batteryLevel = batt;
  const charge = first('charge');
  if (charge !== undefined) attributes.charge = typed(charge);
  const driver = first('driverUniqueId');
  if (driver !== undefined) attributes.driverUniqueId = driver;
  const valid = first('valid');
  if (valid !== undefined && (valid === 'false' || valid === '0')) base.valid = false;
  const alarm = first('alarm');
  if (alarm !== undefined) addAlarm(base, alarm, out);

  for (const [k, values] of params) {
    if (CONSUMED.has(k)) continue;
    if (values.length === 1) attributes[k] = typed(values[0]!);
    else attributes[k] = values.join(';');
  }
  if (out.errors.length > 0) return;
  finish(base, latText, lonText, out);
}

/** U+0000 (PostgreSQL text refuses it) or a lone surrogate (not well-formed UTF-16). */
const UNSTORABLE_ID = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** An id no registry row can have: refused here rather than failing the lookup. */
function badId(deviceId: string, out: OsmandResult): boolean {
  if (deviceId.length <= 256 && !UNSTORABLE_ID.test(deviceId)) return false;
  out.errors.push({ code: 'bad_id', message: 'id must be at most 256 characters of well-formed text without U+0000' });
  return true;
}

function finish(
  base: PositionlessFix,
  latText: string | number | undefined,
  lonText: string | number | undefined,
  out: OsmandResult,
): void {
  if (latText === undefined && lonText === undefined) {
    base.valid = false;
    base.attributes.outdated = true;
    out.positionless.push(base);
    return;
  }
  const lat = typeof latText === 'number' ? latText : Number(latText);
  const lon = typeof lonText === 'number' ? lonText : Number(lonText);
  if (
    latText === undefined ||
    lonText === undefined ||
    latText === '' ||
    lonText === '' ||
    !Number.isFinite(lat) ||
    !Number.isFinite(lon) ||
    Math.abs(lat) > 90 ||
    Math.abs(lon) > 180
  ) {
    out.errors.push({
      code: 'bad_coordinates',
      message: `bad coordinates lat=${String(latText)} lon=${String(lonText)}`,
    });
    return;
  }
  out.fixes.push({ ...base, lat, lon });
}

function addAlarm(base: PositionlessFix, text: string, out: OsmandResult): void {
  const name: AlarmName = text.trim().toLowerCase() === 'sos' ? 'sos' : text.trim();
  base.alarms.push(name);
  out.events.push({
    type: 'alarm',
    deviceId: base.deviceId,
    protocol: 'osmand',
    timeMs: base.timeMs,
    alarms: [name],
    text,
  });
}

const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** 'true'/'false' → boolean, plain decimal numbers → number (not '007'), else the string. */
function typed(v: string): AttributeValue {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (NUMBER_TEXT.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// JSON form (newer apps)

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeJson(text: string, ctx: OsmandContext, out: OsmandResult): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    out.errors.push({ code: 'bad_json', message: 'body is not valid JSON' });
    return;
  }
  if (!isObject(doc)) {
    out.errors.push({ code: 'bad_json', message: 'body must be a JSON object' });
    return;
  }
  const idValue = doc.device_id ?? doc.deviceId ?? doc.id;
  const deviceId = typeof idValue === 'string' ? idValue.trim() : typeof idValue === 'number' ? String(idValue) : '';
  if (deviceId === '') {
    out.errors.push({ code: 'missing_id', message: 'device_id is required' });
    return;
  }
  if (badId(deviceId, out)) return;
  out.deviceId = deviceId;
  const locations = Array.isArray(doc.location) ? doc.location : doc.location === undefined ? [] : [doc.location];
  if (locations.length === 0) {
    out.errors.push({ code: 'bad_coordinates', message: 'location is required' });
    return;
  }
  for (const loc of locations) {
    if (!isObject(loc)) {
      out.errors.push({ code: 'bad_json', message: 'location must be an object' });
      return;
    }
    decodeJsonLocation(deviceId, loc, ctx, out);
  }
}

function finiteNumber(v: Json | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function decodeJsonLocation(deviceId: string, loc: Record<string, Json>, ctx: OsmandContext, out: OsmandResult): void {
  let timeMs = ctx.receivedMs;
  const ts = loc.timestamp;
  if (ts !== undefined && ts !== null) {
    const t =
      typeof ts === 'number'
        ? epochNumberToMs(ts)
        : typeof ts === 'string'
          ? parseOsmandTimestamp(ts, ctx.serverTzOffsetMin ?? 0)
          : undefined;
    if (t === undefined) {
      out.errors.push({ code: 'bad_timestamp', message: `timestamp ${JSON.stringify(ts)} is not a valid time` });
      return;
    }
    timeMs = t;
  }
  const attributes: Record<string, AttributeValue> = {};
  const base: PositionlessFix = { deviceId, protocol: 'osmand', timeMs, valid: true, alarms: [], attributes };
  const coords = isObject(loc.coords) ? loc.coords : {};
  const known = (v: number | undefined): number | undefined => (v === undefined || v < 0 ? undefined : v);
  const speedMps = known(finiteNumber(coords.speed));
  if (speedMps !== undefined) base.speedKph = speedMps * MPS_TO_KPH;
  const heading = known(finiteNumber(coords.heading));
  if (heading !== undefined) base.headingDeg = heading % 360;
  const altitude = finiteNumber(coords.altitude);
  if (altitude !== undefined) base.altitudeM = altitude;
  const accuracy = known(finiteNumber(coords.accuracy));
  if (accuracy !== undefined) base.accuracyM = accuracy;
  if (typeof loc.is_moving === 'boolean') attributes.motion = loc.is_moving;
  const odometer = finiteNumber(loc.odometer);
  if (odometer !== undefined) attributes.odometerM = odometer;
  if (typeof loc.event === 'string') attributes.event = loc.event;
  if (isObject(loc.battery)) {
    const level = known(finiteNumber(loc.battery.level));
    if (level !== undefined) attributes.batteryLevel = Math.round(level * 1000) / 10;
    if (typeof loc.battery.is_charging === 'boolean') attributes.charge = loc.battery.is_charging;
  }
  if (isObject(loc.activity) && typeof loc.activity.type === 'string') attributes.activity = loc.activity.type;
  if (typeof loc.uuid === 'string') attributes.uuid = loc.uuid;
  if (isObject(loc.extras)) {
    for (const [k, v] of Object.entries(loc.extras)) {
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
        attributes[k] = v;
      else if (v !== null) attributes[k] = JSON.stringify(v);
    }
  }
  const alarm =
    typeof loc.alarm === 'string'
      ? loc.alarm
      : isObject(loc.extras) && typeof loc.extras.alarm === 'string'
        ? loc.extras.alarm
        : undefined;
  if (alarm !== undefined && alarm.trim() !== '') addAlarm(base, alarm, out);
  const lat = coords.latitude;
  const lon = coords.longitude;
  const latIn = typeof lat === 'number' || typeof lat === 'string' ? lat : undefined;
  const lonIn = typeof lon === 'number' || typeof lon === 'string' ? lon : undefined;
  if ((lat !== undefined && latIn === undefined) || (lon !== undefined && lonIn === undefined)) {
    out.errors.push({ code: 'bad_coordinates', message: 'latitude/longitude must be numbers' });
    return;
  }
  finish(base, latIn, lonIn, out);
}
