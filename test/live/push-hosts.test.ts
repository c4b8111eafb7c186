// PUSH_ALLOWED_HOSTS: which push-service URLs the server may POST to.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PUSH_ALLOWED_HOSTS, endpointProblem, parseAllowedHosts } from '../../src/live/push/hosts';

const defaults = parseAllowedHosts(DEFAULT_PUSH_ALLOWED_HOSTS);

describe('push host allow-list', () => {
  it('allows the major browsers’ push services by default', () => {
    for (const url of [
      'https://fcm.googleapis.com/fcm/send/abc:def',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
      'https://wns2-par02p.notify.windows.com/w/?token=BQYAAA',
      'https://a.b.notify.windows.com/w/',
      'https://web.push.apple.com/QGuQyavXutnMH',
      'https://FCM.googleapis.com./fcm/send/x',
    ])
      expect(endpointProblem(url, defaults), url).toBeNull();
  });
  it('refuses everything else', () => {
    const cases: [string, RegExp][] = [
      ['https://evil.example/x', /not in PUSH_ALLOWED_HOSTS/],
      ['https://fcm.googleapis.com.evil.example/x', /not in PUSH_ALLOWED_HOSTS/],
      ['https://notify.windows.com/w/', /not in PUSH_ALLOWED_HOSTS/], // the wildcard needs a label below the domain
      ['https://evilnotify.windows.com/w/', /not in PUSH_ALLOWED_HOSTS/],
      ['https://fcm.googleapis.com:444/x', /not in PUSH_ALLOWED_HOSTS/],
      ['http://fcm.googleapis.com/x', /https/],
      ['ftp://fcm.googleapis.com/x', /https/],
      ['https://user@fcm.googleapis.com/x', /user info/],
      ['http://127.0.0.1/x', /https/],
      ['http://169.254.169.254:80/latest', /https/],
      ['nonsense', /not a URL/],
    ];
    for (const [url, why] of cases) expect(endpointProblem(url, defaults), url).toMatch(why);
  });
  it('takes host:port entries (plain http only for a loopback host with its port)', () => {
    const rules = parseAllowedHosts(' push.example:8443, 127.0.0.1:4000,*.push.example ');
    expect(endpointProblem('https://push.example:8443/x', rules)).toBeNull();
    expect(endpointProblem('https://push.example/x', rules)).toMatch(/not in/);
    expect(endpointProblem('http://127.0.0.1:4000/x', rules)).toBeNull();
    expect(endpointProblem('http://127.0.0.1:4001/x', rules)).toMatch(/not in/);
    expect(endpointProblem('http://push.example:8443/x', rules)).toMatch(/https/);
    expect(endpointProblem('https://eu.push.example/x', rules)).toBeNull();
  });
  it('refuses malformed entries', () => {
    for (const bad of ['https://x.example', 'x.example/path', '*', '*.', 'a..b', 'host:0', 'host:70000', 'a*.b.com'])
      expect(() => parseAllowedHosts(bad), bad).toThrow(/PUSH_ALLOWED_HOSTS/);
  });
});
