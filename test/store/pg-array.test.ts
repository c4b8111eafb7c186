// Array results on the real server are parsed by our own reader (the driver's per-connection type query is off):
// literals by hand, then every shape the server itself prints, round-tripped through PostgreSQL.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePgArray } from '../../src/store/pg-array';
import { createTestDatabase, type TestDatabase, testDbKind } from '../helpers/db';

describe('parsePgArray', () => {
  it('reads plain, quoted, escaped, NULL, empty, nested and offset literals', () => {
    const text = (s: string) => s;
    expect(parsePgArray('{}', text)).toEqual([]);
    expect(parsePgArray('{overspeed,sos}', text)).toEqual(['overspeed', 'sos']);
    expect(parsePgArray('{"a,b","say \\"hi\\"","back\\\\slash",NULL,"NULL"}', text)).toEqual([
      'a,b',
      'say "hi"',
      'back\\slash',
      null,
      'NULL',
    ]);
    expect(parsePgArray('{{1,2},{3,4}}', Number)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parsePgArray('[0:1]={7,8}', Number)).toEqual([7, 8]);
  });
});

describe.runIf(testDbKind === 'postgres')('array results from PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('text[], int[], float8[] and bool[] come back as the arrays that went in', async () => {
    const [row] = await database.query<{ t: unknown; i: unknown; f: unknown; b: unknown; e: unknown }>(
      `select array['a', null, 'x,"y"']::text[] as t, array[1, -2]::int[] as i, array[1.5]::float8[] as f,
              array[true, false]::bool[] as b, '{}'::text[] as e`,
    );
    expect(row).toEqual({ t: ['a', null, 'x,"y"'], i: [1, -2], f: [1.5], b: [true, false], e: [] });
  });

  it('any list of strings survives the trip through the server (alarm names with commas, quotes, braces)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 6 }), async (list) => {
        const clean = list.map((s) => s.replace(/\u0000/g, ''));
        const [row] = await database.query<{ a: unknown }>('select $1::text[] as a', [clean]);
        expect(row!.a).toEqual(clean);
      }),
      { numRuns: 150 },
    );
  });
});
