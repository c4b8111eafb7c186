// The simulator's JT/T 808 terminals keep the auth code they were issued across restarts (DATA_DIR file).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJt808Credentials } from '../../src/demo/auth-codes';

const dir = mkdtempSync(join(tmpdir(), 'bg-sim-codes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noWindow = async () => {
  throw new Error('not expected');
};

describe('simulator auth codes', () => {
  it('a code remembered by one run is the code the next run tries first (any spelling of the phone)', () => {
    const file = join(dir, 'jt808-auth-codes.json');
    const first = createJt808Credentials({
      file,
      known: new Map([['013800000001', 'AUTH0001']]),
      openWindow: noWindow,
      log: () => {},
    });
    expect(first.code('13800000001')).toBe('AUTH0001'); // the demo's provisioned code
    first.remember('013800000001', 'ISSUED-CODE-1');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ '13800000001': 'ISSUED-CODE-1' });
    expect(statSync(file).mode & 0o077).toBe(0); // a secret: owner only
    const restarted = createJt808Credentials({
      file,
      known: new Map([['013800000001', 'AUTH0001']]),
      openWindow: noWindow,
      log: () => {},
    });
    expect(restarted.code('00000000013800000001')).toBe('ISSUED-CODE-1');
  });
});
