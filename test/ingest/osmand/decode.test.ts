import { describe, expect, it } from 'vitest';
import { completeWithLastPosition, decodeOsmand, parseOsmandTimestamp } from '../../../src/ingest/osmand';

const RECEIVED = Date.parse('2025-06-15T14:00:00Z');
const ctx = { receivedMs: RECEIVED };

describe('OsmAnd query-string form', () => {
  it('decodes the reference example from the Android app', () => {
    const r = decodeOsmand(
      {
        target:
          '/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.2&speed=40&altitude=0&accuracy=5&batt=87',
      },
      ctx,
    );
    expect(r.errors).toEqual([]);
    expect(r.deviceId).toBe('123456789012345');
    expect(r.fixes).toHaveLength(1);
    const f = r.fixes[0]!;
    expect(f).toMatchObject({
      deviceId: '123456789012345',
      protocol: 'osmand',
      lat: 40.7232948571,
      lon: -74.0061408571,
      headingDeg: 7.2,
      altitudeM: 0,
      accuracyM: 5,
      valid: true,
      alarms: [],
    });
    expect(f.timeMs).toBe(1504763810_000);
    expect(f.speedKph).toBeCloseTo(40 * 1.852, 9);
    expect(f.attributes).toEqual({ batteryLevel: 87 });
  });

  it('accepts the same pairs as a form-encoded POST body, and deviceid / location / heading / hdop aliases', () => {
    const r = decodeOsmand(
      {
        target: '/',
        body: 'deviceid=bus-7&location=31.2304,121.4737&heading=90&hdop=3&timestamp=1504763810',
        contentType: 'application/x-www-form-urlencoded',
      },
      ctx,
    );
    expect(r.fixes[0]).toMatchObject({ deviceId: 'bus-7', lat: 31.2304, lon: 121.4737, headingDeg: 90, accuracyM: 3 });
  });

  it('timestamp forms: epoch s, epoch ms (≥ 2^31), ISO-8601, server-local yyyy-MM-dd HH:mm:ss', () => {
    expect(parseOsmandTimestamp('1504763810')).toBe(1504763810_000);
    expect(parseOsmandTimestamp('1504763810123')).toBe(1504763810123);
    expect(parseOsmandTimestamp(String(2 ** 31))).toBe(2 ** 31);
    expect(parseOsmandTimestamp('2016-01-27T18:55:47Z')).toBe(Date.parse('2016-01-27T18:55:47Z'));
    expect(parseOsmandTimestamp('2016-01-27T18:55:47.250+08:00')).toBe(Date.parse('2016-01-27T10:55:47.250Z'));
    expect(parseOsmandTimestamp('2016-01-27 18:55:47', 480)).toBe(Date.parse('2016-01-27T10:55:47Z'));
    expect(parseOsmandTimestamp('2016-01-27 18:55:47')).toBe(Date.parse('2016-01-27T18:55:47Z'));
    expect(parseOsmandTimestamp('2016-02-30 18:55:47')).toBeUndefined();
    expect(parseOsmandTimestamp('yesterday')).toBeUndefined();
    const r = decodeOsmand(
      { target: '/?id=a&lat=1&lon=2&timestamp=2016-01-27%2018:55:47' },
      { receivedMs: RECEIVED, serverTzOffsetMin: 480 },
    );
    expect(r.fixes[0]!.timeMs).toBe(Date.parse('2016-01-27T10:55:47Z'));
    const plus = decodeOsmand({ target: '/?id=a&lat=1&lon=2&timestamp=2016-01-27+18:55:47' }, ctx);
    expect(plus.fixes[0]!.timeMs).toBe(Date.parse('2016-01-27T18:55:47Z'));
  });

  it('missing timestamp → receive time; bad timestamp → error', () => {
    expect(decodeOsmand({ target: '/?id=a&lat=1&lon=2' }, ctx).fixes[0]!.timeMs).toBe(RECEIVED);
    const bad = decodeOsmand({ target: '/?id=a&lat=1&lon=2&timestamp=soon' }, ctx);
    expect(bad.errors.map((e) => e.code)).toEqual(['bad_timestamp']);
    expect(bad.fixes).toEqual([]);
  });

  it('missing id → error (HTTP 400), nothing decoded', () => {
    const r = decodeOsmand({ target: '/?lat=1&lon=2' }, ctx);
    expect(r.errors.map((e) => e.code)).toEqual(['missing_id']);
    expect(r.fixes).toEqual([]);
  });

  it('missing lat/lon → a positionless report the caller completes with the last position', () => {
    const r = decodeOsmand({ target: '/?id=a&timestamp=1504763810&batt=50' }, ctx);
    expect(r.fixes).toEqual([]);
    expect(r.positionless).toHaveLength(1);
    expect(r.positionless[0]).toMatchObject({
      deviceId: 'a',
      timeMs: 1504763810_000,
      valid: false,
      attributes: { outdated: true, batteryLevel: 50 },
    });
    const fix = completeWithLastPosition(r.positionless[0]!, { lat: 10, lon: 20 });
    expect(fix).toMatchObject({ lat: 10, lon: 20, attributes: { outdated: true } });
  });

  it('out-of-range or half coordinates are errors', () => {
    expect(decodeOsmand({ target: '/?id=a&lat=91&lon=2' }, ctx).errors[0]!.code).toBe('bad_coordinates');
    expect(decodeOsmand({ target: '/?id=a&lat=1' }, ctx).errors[0]!.code).toBe('bad_coordinates');
  });

  it('negative speed / bearing / accuracy / batt mean unknown', () => {
    const f = decodeOsmand({ target: '/?id=a&lat=1&lon=2&speed=-1&bearing=-1&accuracy=-1&batt=-1' }, ctx).fixes[0]!;
    expect(f.speedKph).toBeUndefined();
    expect(f.headingDeg).toBeUndefined();
    expect(f.accuracyM).toBeUndefined();
    expect(f.attributes.batteryLevel).toBeUndefined();
  });

  it('extras are typed attributes; repeated keys are joined; alarm=SOS → sos alarm and event', () => {
    const r = decodeOsmand(
      {
        target:
          '/?id=a&lat=1&lon=2&ignition=true&rpm=933&fuel=24.5&charge=false&driverUniqueId=D-17&cell=1&cell=2&code=007&alarm=SOS',
      },
      ctx,
    );
    const f = r.fixes[0]!;
    expect(f.attributes).toEqual({
      ignition: true,
      rpm: 933,
      fuel: 24.5,
      charge: false,
      driverUniqueId: 'D-17',
      cell: '1;2',
      code: '007',
    });
    expect(f.alarms).toEqual(['sos']);
    expect(r.events).toEqual([
      { type: 'alarm', deviceId: 'a', protocol: 'osmand', timeMs: RECEIVED, alarms: ['sos'], text: 'SOS' },
    ]);
  });
});

describe('OsmAnd JSON form', () => {
  const example = {
    device_id: 'abc123',
    location: {
      timestamp: '2025-06-15T13:45:12.862Z',
      coords: { latitude: 37.4219983, longitude: -122.084, accuracy: 5, speed: 18.67, heading: 63, altitude: 35.7 },
      is_moving: true,
      odometer: 0,
      event: 'motionchange',
      battery: { level: 0.87, is_charging: false },
      activity: { type: 'in_vehicle' },
      extras: { any: 'value' },
    },
  };

  it('decodes the reference example (speed in m/s)', () => {
    const r = decodeOsmand({ target: '/', body: JSON.stringify(example), contentType: 'application/json' }, ctx);
    expect(r.errors).toEqual([]);
    const f = r.fixes[0]!;
    expect(f).toMatchObject({
      deviceId: 'abc123',
      lat: 37.4219983,
      lon: -122.084,
      accuracyM: 5,
      headingDeg: 63,
      altitudeM: 35.7,
      valid: true,
    });
    expect(f.timeMs).toBe(Date.parse('2025-06-15T13:45:12.862Z'));
    expect(f.speedKph).toBeCloseTo(18.67 * 3.6, 9);
    expect(f.attributes).toEqual({
      motion: true,
      odometerM: 0,
      event: 'motionchange',
      batteryLevel: 87,
      charge: false,
      activity: 'in_vehicle',
      any: 'value',
    });
  });

  it('negative speed, heading and battery level are unknown', () => {
    const body = JSON.stringify({
      ...example,
      location: {
        ...example.location,
        coords: { ...example.location.coords, speed: -1, heading: -1 },
        battery: { level: -1, is_charging: true },
      },
    });
    const f = decodeOsmand({ body, contentType: 'application/json' }, ctx).fixes[0]!;
    expect(f.speedKph).toBeUndefined();
    expect(f.headingDeg).toBeUndefined();
    expect(f.attributes.batteryLevel).toBeUndefined();
    expect(f.attributes.charge).toBe(true);
  });

  it('missing device_id and broken JSON are errors', () => {
    expect(decodeOsmand({ body: JSON.stringify({ location: example.location }) }, ctx).errors[0]!.code).toBe(
      'missing_id',
    );
    expect(decodeOsmand({ body: '{"device_id":', contentType: 'application/json' }, ctx).errors[0]!.code).toBe(
      'bad_json',
    );
  });

  it('a batch of locations gives one fix each', () => {
    const body = JSON.stringify({ device_id: 'x', location: [example.location, example.location] });
    expect(decodeOsmand({ body }, ctx).fixes).toHaveLength(2);
  });
});
