// Runs scripts/decode.ts as a child process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { vector } from '../jt808/fixture-files';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

function run(mode: string, input: string): { status: number | null; lines: any[]; stderr: string } {
  const r = spawnSync(TSX, ['scripts/decode.ts', mode], { cwd: ROOT, input, encoding: 'utf8', timeout: 30_000 });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  return { status: r.status, lines, stderr: r.stderr };
}

describe('scripts/decode.ts', () => {
  it('jt808: one JSON object per line, with fixes, events and replies; bad lines do not crash it', () => {
    const input = [
      vector('V1'),
      'not hex at all',
      '7e02007d037e',
      '',
      vector('V2', 'frame 2019'),
      vector('V5'),
      vector('V13', 'frame'),
      '7E020000520111111111100002000000000000000301789B3406238AFA0000018B00F62104020046090104000024C72B040B290B2930011731011B000400CE0B29000C00B222222222222222222222EB0E000C00B2222222222222222222226C7E',
      '7e02',
    ].join('\n');
    const { status, lines } = run('jt808', input);
    expect(status).toBe(0);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatchObject({ ok: true, msgId: '0x0200', phone: '123456789012', serial: 126, version: 2013 });
    expect(lines[0].fixes[0]).toMatchObject({
      time: '2018-10-15T02:10:10.000Z',
      lat: 12.222222,
      lon: 132.444444,
      speedKph: 6,
      headingDeg: 0,
      altitudeM: 40,
      alarms: ['sos'],
    });
    // the ack a server sends after storing: 0x8001 result 0 for serial 126 (0x007E, escaped)
    expect(lines[0].replies).toEqual(['7e800100051234567890120000007d02020000727e']);
    expect(lines[1]).toMatchObject({ ok: false, error: { code: 'bad_hex' } });
    expect(lines[2]).toMatchObject({ ok: false, error: { code: 'bad_escape' } });
    expect(lines[3]).toMatchObject({ ok: true, version: 2019, phone: '00000000013912345678' });
    expect(lines[3].fixes[0]).toMatchObject({
      speedKph: 72.5,
      alarms: ['overspeed'],
      attributes: { overspeedAreaId: 7 },
    });
    expect(lines[4]).toMatchObject({ ok: true, msgId: '0x0002', events: [{ type: 'heartbeat' }] });
    expect(lines[5]).toMatchObject({
      ok: true,
      msgId: '0x0100',
      events: [{ type: 'register', attributes: { plate: '沪A12345' } }],
    });
    expect(lines[5].replies[0].startsWith('7e8100')).toBe(true);
    expect(lines[6]).toMatchObject({ ok: false, error: { code: 'bad_checksum' }, msgId: '0x0200' });
    expect(lines[6].replies).toHaveLength(1);
    expect(lines[7]).toMatchObject({ ok: false });
  });

  it('osmand: request targets and JSON bodies', () => {
    const input = [
      '/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.2&speed=40&altitude=0&accuracy=5&batt=87',
      '{"device_id":"abc123","location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,"longitude":-122.084,"speed":18.67}}}',
      '/?lat=1&lon=2',
      '{broken',
    ].join('\n');
    const { status, lines } = run('osmand', input);
    expect(status).toBe(0);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ ok: true, deviceId: '123456789012345' });
    expect(lines[0].fixes[0]).toMatchObject({ time: '2017-09-07T05:56:50.000Z', lat: 40.7232948571, headingDeg: 7.2 });
    expect(lines[0].fixes[0].speedKph).toBeCloseTo(74.08, 6);
    expect(lines[1].fixes[0]).toMatchObject({ time: '2025-06-15T13:45:12.862Z', lat: 37.4219983 });
    expect(lines[2]).toMatchObject({ ok: false, error: { code: 'missing_id' } });
    expect(lines[3]).toMatchObject({ ok: false, error: { code: 'bad_json' } });
  });

  it('unknown mode prints usage and exits 2', () => {
    const r = spawnSync(TSX, ['scripts/decode.ts', 'nope'], {
      cwd: ROOT,
      input: '',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage');
  });
});
