// Regression (issue 18, item 2): terminal identity was not canonical. The look-up stripped leading zeros while
// the unique index compared the raw string, so a manager of another school could register '13800000001' beside
// '013800000001' and take over the other school's terminal. Now one function makes the canonical identity, the
// registry stores it (a check constraint holds the database to it), a second spelling is a 409, and the
// migration that canonicalises existing rows refuses to merge colliding devices, naming them.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDeviceIdentifier } from '../../src/ingest/device-identity';
import type { PipelineIngest } from '../../src/pipeline/ingest';
import type { Jt808Server } from '../../src/runtime/node/jt808-server';
import type { Database } from '../../src/store/db';
import { migrationsFolder } from '../../src/store/migrate';
import { createPgliteDatabase } from '../../src/store/pglite-db';
import { createPostgresDatabase } from '../../src/store/postgres-db';
import { Jt808TerminalClient } from '../../src/demo/jt808-terminal';
import type { TestApp } from '../helpers/app';
import { testDbKind } from '../helpers/db';
import { ok } from '../runtime/jt808-helpers';
import { type TwoSchools, twoSchools } from './two-schools';

let t: TestApp;
let ingest: PipelineIngest;
let server: Jt808Server;
let schoolA: number;
let schoolB: number;
let managerA: string;
let managerB: string;
const clients: Jt808TerminalClient[] = [];

let world: TwoSchools | undefined;
beforeAll(async () => {
  world = await twoSchools(); // the registry's clock and the server's agree (windows expire in real time)
  ({ t, ingest, server, schoolA, schoolB, managerA, managerB } = world);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await world?.close();
});

describe('canonical device identity', () => {
  it('the canonical form: JT/T 808 phones without zero padding, hex lowercase; other ids trimmed and lowercase', () => {
    expect(canonicalDeviceIdentifier('jt808', '013800000001')).toBe('13800000001');
    expect(canonicalDeviceIdentifier('jt808', '00000000013800000001')).toBe('13800000001');
    expect(canonicalDeviceIdentifier('jt808', ' 13800000001 ')).toBe('13800000001');
    expect(canonicalDeviceIdentifier('jt808', '086A123BCDEF')).toBe('86a123bcdef');
    expect(canonicalDeviceIdentifier('jt808', '000000000000')).toBe('0');
    expect(canonicalDeviceIdentifier('osmand', ' Phone-1 ')).toBe('phone-1');
  });

  it('013800000001 and 13800000001 are one terminal: a second school gets 409 for either spelling', async () => {
    const first = await ok(
      t.call('POST', '/api/v1/devices', {
        token: managerA,
        body: { schoolId: schoolA, protocol: 'jt808', identifier: '013800000001', secret: 'CODE-A-0001' },
      }),
    );
    expect(first.identifier).toBe('13800000001');
    for (const spelling of ['13800000001', '013800000001', '00000000013800000001']) {
      const r = await t.call('POST', '/api/v1/devices', {
        token: managerB,
        body: { schoolId: schoolB, protocol: 'jt808', identifier: spelling, secret: 'CODE-B-0001' },
      });
      expect(r.status, spelling).toBe(409);
      expect(r.body.error.code).toBe('conflict');
      expect(r.body.error.details).toEqual({ protocol: 'jt808', identifier: '13800000001' }); // the other school is not named
    }
    // Renaming a device of one's own school onto the terminal is the same collision.
    const mine = await ok(
      t.call('POST', '/api/v1/devices', {
        token: managerB,
        body: { schoolId: schoolB, protocol: 'jt808', identifier: '13900000002' },
      }),
    );
    expect(
      (await t.call('PATCH', `/api/v1/devices/${mine.id}`, { token: managerB, body: { identifier: '0013800000001' } }))
        .status,
    ).toBe(409);
    // Only one device has the identity in the database.
    const rows = await t.database.query<{ school_id: number }>(
      "select school_id from devices where protocol = 'jt808' and identifier = '13800000001'",
    );
    expect(rows.map((r) => r.school_id)).toEqual([schoolA]);
  });

  it('look-up by either form finds the one device (registry and over TCP, 2013 and 2019 headers)', async () => {
    const a = await ingest.lookupDevice('jt808', '013800000001');
    const b = await ingest.lookupDevice('jt808', '13800000001');
    const c = await ingest.lookupDevice('jt808', '00000000013800000001');
    expect(a?.schoolId).toBe(schoolA);
    expect(b?.deviceId).toBe(a?.deviceId);
    expect(c?.deviceId).toBe(a?.deviceId);
    for (const [phone, version] of [
      ['013800000001', 2013],
      ['00000000013800000001', 2019],
    ] as const) {
      const term = await Jt808TerminalClient.connect(server.port, phone, { version });
      clients.push(term);
      expect((await term.authenticate('CODE-A-0001')).result, phone).toBe(0);
      expect((await term.authenticate('CODE-B-0001')).result, phone).toBe(1);
    }
  });

  it('OsmAnd ids collide regardless of case and surrounding spaces; a hex-form JT/T 808 phone is stored lowercase', async () => {
    const phone = await ok(
      t.call('POST', '/api/v1/devices', {
        token: managerA,
        body: { schoolId: schoolA, protocol: 'osmand', identifier: 'Demo-Phone-9' },
      }),
    );
    expect(phone.identifier).toBe('demo-phone-9');
    expect(
      (
        await t.call('POST', '/api/v1/devices', {
          token: managerB,
          body: { schoolId: schoolB, protocol: 'osmand', identifier: ' demo-PHONE-9 ' },
        })
      ).status,
    ).toBe(409);
    expect((await ingest.lookupDevice('osmand', 'DEMO-phone-9'))?.deviceId).toBe(phone.id);
    const hex = await ok(
      t.call('POST', '/api/v1/devices', {
        token: managerA,
        body: { schoolId: schoolA, protocol: 'jt808', identifier: '086A123BCDEF' },
      }),
    );
    expect(hex.identifier).toBe('86a123bcdef');
    expect(
      (
        await t.call('POST', '/api/v1/devices', {
          token: managerB,
          body: { schoolId: schoolB, protocol: 'jt808', identifier: '0000000000086a123bcdef'.slice(-20) },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await t.call('POST', '/api/v1/devices', {
          token: managerA,
          body: { schoolId: schoolA, protocol: 'jt808', identifier: 'abc' },
        })
      ).status,
    ).toBe(400);
  });

  it('the database refuses a non-canonical identifier written around the API', async () => {
    await expect(
      t.database.query("insert into devices (school_id, protocol, identifier) values ($1, 'jt808', '013800000009')", [
        schoolA,
      ]),
    ).rejects.toThrow(/devices_identifier_canonical/);
  });
});

describe('the migration that canonicalises existing devices', () => {
  /** A database migrated up to (not including) the canonicalisation migration, and a way to finish. */
  async function databaseBeforeCanonicalisation(): Promise<{
    database: Database;
    finish(): Promise<void>;
    close(): Promise<void>;
  }> {
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
      entries: { tag: string }[];
    };
    const cut = journal.entries.findIndex((e) => e.tag.endsWith('device_identity_canonical'));
    expect(cut).toBeGreaterThan(0);
    const partial = mkdtempSync(join(tmpdir(), 'bg-migrations-'));
    cpSync(migrationsFolder, partial, { recursive: true });
    writeFileSync(
      join(partial, 'meta/_journal.json'),
      JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }),
    );
    let database: Database;
    let drop = async () => {};
    if (testDbKind === 'pglite') {
      database = await createPgliteDatabase();
    } else {
      const serverUrl = process.env.TEST_DATABASE_URL!;
      const name = `bg_mig_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      await admin.end();
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      database = createPostgresDatabase({ url: url.toString(), maxConnections: 2 });
      drop = async () => {
        const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
        await again.unsafe(`drop database if exists ${name} with (force)`);
        await again.end();
      };
    }
    const run = (folder: string) =>
      database.kind === 'pglite'
        ? migratePglite(database.db as never, { migrationsFolder: folder })
        : migratePostgres(database.db as never, { migrationsFolder: folder });
    await run(partial);
    rmSync(partial, { recursive: true, force: true });
    return {
      database,
      finish: () => run(migrationsFolder),
      close: async () => {
        await database.close();
        await drop();
      },
    };
  }

  async function seedSchools(database: Database): Promise<[number, number]> {
    const rows = await database.query<{ id: number }>(
      "insert into schools (name, lat, lon) values ('Old A', 31.2, 121.4), ('Old B', 31.3, 121.5) returning id",
    );
    return [rows[0]!.id, rows[1]!.id];
  }

  it('stops on colliding devices, naming them, and changes nothing', async () => {
    const m = await databaseBeforeCanonicalisation();
    try {
      const [a, b] = await seedSchools(m.database);
      const ids = await m.database.query<{ id: number }>(
        `insert into devices (school_id, protocol, identifier) values
           ($1, 'jt808', '013800000001'), ($2, 'jt808', '13800000001'), ($1, 'osmand', 'Phone-7'), ($2, 'osmand', 'phone-7 '), ($1, 'jt808', '013900000003')
         returning id`,
        [a, b],
      );
      const [jtA, jtB, osA, osB] = ids.map((r) => r.id);
      let failure: unknown;
      await m.finish().catch((err) => (failure = err));
      const text = `${(failure as Error)?.message} ${String((failure as { cause?: unknown })?.cause ?? '')}`;
      expect(text).toMatch(/device identity conflicts/);
      expect(text).toContain(
        `jt808 13800000001 = devices ${jtA}, ${jtB} (schools ${a}, ${b}; identifiers '013800000001', '13800000001')`,
      );
      expect(text).toContain(`osmand phone-7 = devices ${osA}, ${osB}`);
      // Nothing was merged or rewritten.
      const rows = await m.database.query<{ identifier: string }>('select identifier from devices order by id');
      expect(rows.map((r) => r.identifier)).toEqual([
        '013800000001',
        '13800000001',
        'Phone-7',
        'phone-7 ',
        '013900000003',
      ]);
    } finally {
      await m.close();
    }
  });

  it('without collisions, rewrites every identifier to its canonical form', async () => {
    const m = await databaseBeforeCanonicalisation();
    try {
      const [a, b] = await seedSchools(m.database);
      await m.database.query(
        `insert into devices (school_id, protocol, identifier) values ($1, 'jt808', '013800000001'), ($2, 'jt808', '00000000013900000002'), ($1, 'osmand', ' Phone-8'), ($2, 'json', 'Partner-1')`,
        [a, b],
      );
      await m.finish();
      const rows = await m.database.query<{ identifier: string }>('select identifier from devices order by id');
      expect(rows.map((r) => r.identifier)).toEqual(['13800000001', '13900000002', 'phone-8', 'partner-1']);
    } finally {
      await m.close();
    }
  });
});
