import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/runtime/node/config';

describe('config', () => {
  it('documents defaults: embedded database with the demo', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: './data',
      demo: true,
      simulate: true,
      logLevel: 'info',
      jt808Port: 6808,
      osmandPort: 5055,
      jobs: { defaultTimeZone: 'Asia/Shanghai', lateAfterMin: 10, complianceWarnDays: 30, keepRawPositionsDays: 180 },
      pages: { mapStyleUrl: undefined, tileUrl: undefined, tileAttribution: undefined, osmandPort: 5055 },
      push: {
        allowedHosts: [
          'fcm.googleapis.com',
          'updates.push.services.mozilla.com',
          '*.notify.windows.com',
          'web.push.apple.com',
        ],
        vapid: { publicKey: undefined, privateKey: undefined, subject: undefined },
      },
      alertWebhooks: [],
    });
  });
  it('reads the Web Push settings and refuses bad ones', () => {
    expect(loadConfig({ PUSH_ALLOWED_HOSTS: 'push.example, 127.0.0.1:8443' }).push.allowedHosts).toEqual([
      'push.example',
      '127.0.0.1:8443',
    ]);
    expect(() => loadConfig({ PUSH_ALLOWED_HOSTS: 'https://push.example/x' })).toThrow(/PUSH_ALLOWED_HOSTS/);
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'abc' })).toThrow(/VAPID_/);
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'abc', VAPID_PRIVATE_KEY: 'def' })).toThrow(/VAPID_PUBLIC_KEY/);
    expect(() => loadConfig({ VAPID_SUBJECT: 'admin' })).toThrow(/VAPID_SUBJECT/);
  });
  it('turns the demo off with DATABASE_URL unless DEMO=1', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db' }).demo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db', DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ DEMO: '0' }).demo).toBe(false);
    expect(loadConfig({ DEMO: '0' }).simulate).toBe(false);
    expect(loadConfig({ SIMULATE: '0' })).toMatchObject({ demo: true, simulate: false });
  });
  it('reads the alert webhooks and refuses malformed ones', () => {
    const hook = { name: 'bureau', url: 'https://bureau.example/alerts', secret: 'a-secret-of-16-chars' };
    expect(loadConfig({ ALERT_WEBHOOKS: JSON.stringify([hook]) }).alertWebhooks).toEqual([hook]);
    expect(() => loadConfig({ ALERT_WEBHOOKS: 'not json' })).toThrow(/ALERT_WEBHOOKS/);
    expect(() => loadConfig({ ALERT_WEBHOOKS: JSON.stringify([{ ...hook, secret: 'short' }]) })).toThrow(/secret/);
    expect(() => loadConfig({ ALERT_WEBHOOKS: JSON.stringify([{ ...hook, url: 'ftp://x' }]) })).toThrow(
      /ALERT_WEBHOOKS/,
    );
    expect(() => loadConfig({ ALERT_WEBHOOKS: JSON.stringify([hook, hook]) })).toThrow(/differ/);
  });
  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', ADMIN_TOKEN: '', PORT: '' })).toMatchObject({ port: 3000, demo: true });
  });
  it('refuses bad values with a readable message', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
    expect(() => loadConfig({ DEMO: 'maybe' })).toThrow(/DEMO/);
    expect(() => loadConfig({ DEFAULT_TIME_ZONE: 'Mars/Base' })).toThrow(/DEFAULT_TIME_ZONE/);
    expect(() => loadConfig({ TILE_URL: 'https://tiles.example/x.png' })).toThrow(/TILE_URL/);
    expect(() => loadConfig({ TILE_URL: 'ftp://tiles.example/{z}/{x}/{y}.png' })).toThrow(/TILE_URL/);
    expect(loadConfig({ TILE_URL: 'https://tiles.example/{z}/{x}/{y}.png' }).pages.tileUrl).toBe(
      'https://tiles.example/{z}/{x}/{y}.png',
    );
    expect(() => loadConfig({ MAP_STYLE_URL: 'pmtiles://tiles.example/area.pmtiles' })).toThrow(/MAP_STYLE_URL/);
    expect(() => loadConfig({ MAP_STYLE_URL: 'style.json' })).toThrow(/MAP_STYLE_URL/);
    expect(loadConfig({ MAP_STYLE_URL: 'https://maps.example/style.json' }).pages.mapStyleUrl).toBe(
      'https://maps.example/style.json',
    );
  });
});
